// Words that say nothing about a topic; kept short on purpose, the length rule does the rest.
const STOP = new Set(
  `about above after again against almost also because been before being below between both
  could does doing down during each every from further have having here into just like more
  most much only other over really same should some such than that their them then there these
  they thing things this those through under until very want what when where which while who
  whom why will with would your yours you've we've they're that's it's don't nobody anything
  come came comes make made makes know take took said says back even well still long little
  since many thank please tonight today home right tell tells told around onto upon
  something everything one two three four five first second third last ever never always`.split(
    /\s+/,
  ),
);

export function tokens(text: string): string[] {
  return (text.toLowerCase().match(/[a-z][a-z']+/g) ?? []).filter(
    (w) => w.length >= 4 && !STOP.has(w),
  );
}

/** The transcript's most frequent content words; ties broken alphabetically (deterministic). */
export function topKeywords(texts: readonly string[], n = 8): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of tokens(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts.entries()]
    .filter(([, c]) => c >= 2)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([w]) => w);
}
