import {
  type ChorusPackage,
  chorusPackageSchema,
  uploadJobSchema,
} from '../../../protocols/index.ts';
import type { Draft } from './voice.ts';

/**
 * The compliance pass over a draft: banned terms, required disclosures and the platform's
 * limits. It fixes what the policy says how to fix and records each fix as a change with its
 * reason; what it cannot fix becomes a conflict, and a conflict holds the clip (Chorus never
 * lets a guess about compliance reach a platform).
 */
export interface Policy {
  /** Matched case-insensitively on word boundaries; a phrase matches across any whitespace. */
  banned_terms: string[];
  /** Text that must appear in the title or the description (e.g. `#ad`); appended if missing. */
  required_disclosures: string[];
  /** Banned term → wording to use instead (keys match case-insensitively). */
  replacements?: Record<string, string>;
}

export const EMPTY_POLICY: Policy = { banned_terms: [], required_disclosures: [] };

export type Change = ChorusPackage['changes'][number];
export type Conflict = ChorusPackage['conflicts'][number];

/** The UploadJob's limits, read from the contracts so they cannot drift apart. */
export const LIMITS = {
  title: uploadJobSchema.properties.title.maxLength,
  description: uploadJobSchema.properties.description.maxLength,
  keywords: uploadJobSchema.properties.keywords.maxItems,
  keyword: chorusPackageSchema.properties.keywords.items.maxLength,
  /** A change's `from` / `to`. */
  diffText: chorusPackageSchema.properties.changes.items.properties.from.maxLength,
  term: chorusPackageSchema.properties.conflicts.items.properties.term.maxLength,
  detail: chorusPackageSchema.properties.conflicts.items.properties.detail.maxLength,
  why: chorusPackageSchema.properties.changes.items.properties.why.maxLength,
} as const;

export interface PolicyResult extends Draft {
  changes: Change[];
  conflicts: Conflict[];
}

const ELLIPSIS = '…';
const DISCLOSURE_SEP = '\n\n';

/** A prefix of at most `n` UTF-16 units that never splits a surrogate pair (an emoji). */
function prefix(text: string, n: number): string {
  const cut = text.slice(0, Math.max(0, n));
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A word edge inside a camelCase hashtag (#sourdough|Tips): a boundary like a space. */
const CAMEL = '(?<=\\p{Ll})(?=\\p{Lu})';
const START = `(?:(?<![\\p{L}\\p{N}_])|${CAMEL})`;
const END = `(?:(?![\\p{L}\\p{N}_])|${CAMEL})`;

/** Case-insensitive by character class: the `i` flag would make \p{Lu} match lowercase too. */
const caseless = (c: string) => {
  const lo = c.toLowerCase();
  const up = c.toUpperCase();
  return lo !== up && lo.length === 1 && up.length === 1
    ? `[${escapeRe(lo)}${escapeRe(up)}]`
    : escapeRe(c);
};

/**
 * A term on word boundaries: "ad" matches "#ad" and "Ad," but not "adventure" or "bad"; the
 * camelCase edges of generated hashtags count as boundaries, so "free money" also matches
 * "#freeMoney" and a banned word cannot hide in a tag.
 */
export function termPattern(term: string): RegExp {
  const words = term
    .trim()
    .split(/\s+/)
    .map((w) => [...w].map(caseless).join(''));
  return new RegExp(`${START}${words.join(`(?:\\s+|${CAMEL})`)}${END}`, 'gu');
}

export const containsTerm = (text: string, term: string) =>
  term.trim() !== '' && termPattern(term).test(text);

/** Cuts at the last word boundary that leaves room for an ellipsis. */
export function truncateAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return '';
  const cut = prefix(text, max - ELLIPSIS.length);
  const space = cut.search(/\s\S*$/);
  // Without a space in the last ~40% the text is one long word: cut it rather than lose most.
  const head = space > cut.length * 0.6 ? cut.slice(0, space) : cut;
  return `${head.trimEnd()}${ELLIPSIS}`;
}

/** Keeps `from` / `to` inside the contract while saying how much was left out. */
export function excerpt(text: string, max: number = LIMITS.diffText): string {
  if (text.length <= max) return text;
  const marker = ` ${ELLIPSIS} [${text.length} characters in all]`;
  return `${prefix(text, max - marker.length)}${marker}`;
}

const clip = (s: string, max: number) => (s.length <= max ? s : `${prefix(s, max - 1)}${ELLIPSIS}`);
const listText = (keywords: readonly string[]) => keywords.join(', ');

/** Drops empties and repeats; terms and disclosures repeat regardless of case. */
function dedupe(items: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const k of items) {
    const key = k.toLowerCase();
    if (k && !seen.has(key)) {
      seen.add(key);
      out.push(k);
    }
  }
  return out;
}

/**
 * The replacement keeps a capital where the banned word had one (a title's first word), and
 * inside a hashtag it is camelCased so the tag stays one token (#cheapBread → #simpleBread).
 */
function replaceTerm(text: string, term: string, replacement: string): string {
  const out = text.replace(termPattern(term), (m: string, offset: number) => {
    const capital = /^\p{Lu}/u.test(m);
    const inTag = /#[^\s#]*$/u.test(text.slice(0, offset));
    const words = replacement.trim().split(/\s+/);
    const joined = inTag
      ? words.map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join('')
      : replacement;
    return capital ? joined.charAt(0).toUpperCase() + joined.slice(1) : joined;
  });
  // An empty replacement deletes the word; it must not leave a double space behind.
  return replacement.trim() ? out : out.replace(/[ \t]{2,}/g, ' ').trim();
}

function replacementFor(policy: Policy, term: string): string | undefined {
  const entries = Object.entries(policy.replacements ?? {});
  return entries.find(([k]) => k.trim().toLowerCase() === term.trim().toLowerCase())?.[1];
}

export function applyPolicy(draft: Draft, transcript: string, policy: Policy): PolicyResult {
  const changes: Change[] = [];
  const conflicts: Conflict[] = [];
  const change = (field: Change['field'], from: string, to: string, why: string) => {
    changes.push({ field, from: excerpt(from), to: excerpt(to), why: clip(why, LIMITS.why) });
  };
  let { title, description } = draft;
  let keywords = [...draft.keywords];
  const banned = dedupe(policy.banned_terms.map((t) => t.trim()).filter(Boolean));

  // 1. Banned terms the policy knows how to reword.
  for (const term of banned) {
    const instead = replacementFor(policy, term);
    if (instead === undefined) continue;
    const why = `banned term "${term}" replaced with "${instead}" (policy replacement)`;
    for (const field of ['title', 'description'] as const) {
      const before = field === 'title' ? title : description;
      const after = replaceTerm(before, term, instead);
      if (after === before) continue;
      change(field, before, after, why);
      if (field === 'title') title = after;
      else description = after;
    }
    const replaced = dedupe(keywords.map((k) => replaceTerm(k, term, instead).toLowerCase()));
    if (listText(replaced) !== listText(keywords)) {
      change('keywords', listText(keywords), listText(replaced), why);
      keywords = replaced;
    }
  }

  // 2. What is still banned cannot be published. The transcript is what the clip says (and its
  // burned captions show): no metadata edit removes it, so even a term with a replacement holds.
  // Keywords one by one: a phrase must not match across two neighbouring keywords.
  const fields: [Conflict['field'], readonly string[]][] = [
    ['title', [title]],
    ['description', [description]],
    ['keywords', keywords],
    ['transcript', [transcript]],
  ];
  for (const term of banned) {
    const reword = replacementFor(policy, term) !== undefined;
    for (const [field, texts] of fields) {
      if (!texts.some((text) => containsTerm(text, term))) continue;
      const detail =
        field === 'transcript'
          ? `"${term}" is said in the clip itself; rewording the metadata cannot remove it, a person must decide`
          : reword
            ? `"${term}" is still present after its replacement (the replacement brings it back)`
            : `"${term}" is banned and the policy has no replacement for it`;
      conflicts.push({
        rule: 'banned_term',
        field,
        term: clip(term, LIMITS.term),
        detail: clip(detail, LIMITS.detail),
      });
    }
  }

  // 3. Platform limits: the package must drop into an UploadJob unchanged.
  if (title.length > LIMITS.title) {
    const cut = truncateAtWord(title, LIMITS.title);
    change(
      'title',
      title,
      cut,
      `platform limit: title was ${title.length} characters, UploadJob allows ${LIMITS.title}; cut at a word boundary`,
    );
    title = cut;
  }
  const fitting = keywords.filter((k) => k.length <= LIMITS.keyword);
  if (fitting.length < keywords.length) {
    change(
      'keywords',
      listText(keywords),
      listText(fitting),
      `platform limit: keywords longer than ${LIMITS.keyword} characters dropped`,
    );
    keywords = fitting;
  }
  if (keywords.length > LIMITS.keywords) {
    const kept = keywords.slice(0, LIMITS.keywords);
    change(
      'keywords',
      listText(keywords),
      listText(kept),
      `platform limit: ${keywords.length} keywords, UploadJob allows ${LIMITS.keywords}; kept the first (topic first)`,
    );
    keywords = kept;
  }
  description = fitDescription(title, description, policy.required_disclosures, change, conflicts);
  return { title, description, keywords, changes, conflicts };
}

const unfit = (d: string): Conflict => ({
  rule: 'platform_limit',
  field: 'description',
  term: clip(d, LIMITS.term),
  detail: `required disclosure "${clip(d, 100)}" does not fit in the ${LIMITS.description}-character description`,
});

/**
 * Appends missing disclosures, then fits the description into its limit by shortening the
 * text before them, so a disclosure is never the part that gets cut. A disclosure that cannot
 * fit even on its own is a conflict.
 */
function fitDescription(
  title: string,
  body: string,
  required: readonly string[],
  change: (field: Change['field'], from: string, to: string, why: string) => void,
  conflicts: Conflict[],
): string {
  const disclosures = dedupe(required.map((d) => d.trim()).filter(Boolean));
  const shown = (d: string, text: string) => containsTerm(title, d) || containsTerm(text, d);
  const join = (text: string, tail: readonly string[]) =>
    tail.length === 0 ? text : `${text}${text ? DISCLOSURE_SEP : ''}${tail.join(' ')}`;

  const missing = disclosures.filter((d) => !shown(d, body));
  const tailLength = (tail: readonly string[]) =>
    tail.length === 0 ? 0 : DISCLOSURE_SEP.length + tail.join(' ').length;
  const tail: string[] = [];
  let text = body;
  for (const d of missing) {
    if (tailLength([...tail, d]) > LIMITS.description) {
      conflicts.push(unfit(d));
      continue;
    }
    tail.push(d);
    const next = join(body, tail);
    change('description', text, next, `required disclosure "${d}" was missing; appended`);
    text = next;
  }
  if (text.length <= LIMITS.description) return text;

  // Over the limit: shorten the body; a disclosure the cut would remove moves to the tail.
  const dropped = new Set<string>();
  let cut = body;
  for (;;) {
    cut = truncateAtWord(body, Math.max(0, LIMITS.description - tailLength(tail)));
    const lost = disclosures.filter(
      (d) => !tail.includes(d) && !dropped.has(d) && shown(d, body) && !shown(d, cut),
    );
    if (lost.length === 0) break;
    for (const d of lost) {
      if (tailLength([...tail, d]) <= LIMITS.description) tail.push(d);
      else {
        dropped.add(d);
        conflicts.push(unfit(d));
      }
    }
  }
  const fitted = join(cut, tail);
  change(
    'description',
    text,
    fitted,
    `platform limit: description was ${text.length} characters, UploadJob allows ${LIMITS.description}; shortened at a word boundary, disclosures kept whole`,
  );
  return fitted;
}
