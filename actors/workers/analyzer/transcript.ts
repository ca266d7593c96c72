import { parseSync } from 'subtitle';

/** A word with its time in seconds from the start of the video. */
export interface Word {
  w: string;
  start: number;
  end: number;
}

/** A sentence (or caption cue) with its words; what candidates are cut from. */
export interface Segment {
  start: number;
  end: number;
  text: string;
  words: Word[];
}

export type TranscriptSource = 'srt' | 'vtt' | 'pocketsphinx' | 'whisper';

/** What the analyzer stores beside the media (the report carries its URI). */
export interface Transcript {
  source: TranscriptSource;
  segments: Segment[];
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Caption cues (SRT or VTT) as segments. Captions time cues, not words, so each cue's words
 * share its time in proportion to their length: close enough to highlight a word on screen.
 */
export function fromCaptions(text: string): Segment[] {
  const cues = parseSync(text.replace(/^\uFEFF/, '')).flatMap((node) =>
    node.type === 'cue' && typeof node.data === 'object' ? [node.data] : [],
  );
  return cues
    .map((c) => ({
      start: c.start / 1000,
      end: c.end / 1000,
      text: c.text
        .replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    }))
    .filter((c) => c.text.length > 0 && c.end > c.start)
    .map((c) => ({ ...c, words: spread(c.text, c.start, c.end) }));
}

function spread(text: string, start: number, end: number): Word[] {
  const tokens = text.split(' ').filter(Boolean);
  const total = tokens.reduce((n, t) => n + t.length + 1, 0);
  let at = start;
  return tokens.map((w) => {
    const d = ((end - start) * (w.length + 1)) / total;
    const word = { w, start: r3(at), end: r3(at + d) };
    at += d;
    return word;
  });
}

/**
 * Segments as sentences: cues that end mid-sentence are joined with the next one, so a
 * candidate never starts or stops inside a sentence. Untimed-punctuation ASR output (no
 * full stops) is split at pauses instead, see {@link fromWords}.
 */
export function toSentences(segments: readonly Segment[]): Segment[] {
  const out: Segment[] = [];
  let open: Segment | undefined;
  for (const s of segments) {
    open = open
      ? {
          start: open.start,
          end: s.end,
          text: `${open.text} ${s.text}`,
          words: [...open.words, ...s.words],
        }
      : { ...s, words: [...s.words] };
    if (/[.!?…]["')\]]*$/.test(open.text)) {
      out.push(open);
      open = undefined;
    }
  }
  if (open) out.push(open);
  return out;
}

/** ASR words as segments, a new one wherever the speaker pauses at least `gap_s`. */
export function fromWords(words: readonly Word[], gapS = 0.6): Segment[] {
  const out: Segment[] = [];
  for (const w of words) {
    const last = out.at(-1);
    if (last && w.start - last.end < gapS) {
      last.words.push(w);
      last.end = w.end;
      last.text += ` ${w.w}`;
    } else {
      out.push({ start: w.start, end: w.end, text: w.w, words: [w] });
    }
  }
  return out;
}

/** One chunk of a long input, recognised on its own: word times are relative to `offset`. */
export interface Chunk {
  /** Where the chunk's own span starts and ends in the video (seconds). */
  offset: number;
  span: number;
  /** The chunk was decoded with this much extra audio on both sides, so no word is cut. */
  overlap: number;
  words: Word[];
}

/**
 * Joins chunked recognition back into one timeline: each word is shifted by its chunk's start
 * (offset − overlap) and kept by the one chunk whose own span holds its start, so words in the
 * overlaps appear once and every time is absolute, however the input was cut.
 */
export function mergeChunks(chunks: readonly Chunk[]): Word[] {
  const out: Word[] = [];
  for (const c of [...chunks].sort((a, b) => a.offset - b.offset)) {
    const shift = Math.max(0, c.offset - c.overlap);
    for (const w of c.words) {
      const start = r3(w.start + shift);
      if (start >= c.offset && start < c.offset + c.span)
        out.push({ w: w.w, start, end: r3(w.end + shift) });
    }
  }
  return out;
}
