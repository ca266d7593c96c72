import type { ClipCandidate } from '../../../protocols/index.ts';
import type { MediaFeatures } from './features.ts';
import { tokens, topKeywords } from './keywords.ts';
import type { Segment } from './transcript.ts';

export interface CandidateOptions {
  min_s: number;
  max_s: number;
  max_candidates: number;
}

export const DEFAULT_CANDIDATES: CandidateOptions = { min_s: 15, max_s: 60, max_candidates: 8 };

/** The measured inputs and score terms of one candidate (AnalysisReport.candidate_features). */
export interface Explained {
  start_time: number;
  end_time: number;
  features: Record<string, number>;
  scores: Record<string, number>;
  sentences: number;
  /** The candidate's own words, for whoever writes its title. */
  text: string;
}

/**
 * The score's terms and weights (sum 1). Each term is a 0..1 reading of one feature, so a
 * candidate's confidence is their weighted sum and can be recomputed by hand from the report.
 */
export const WEIGHTS = {
  energy: 0.3, // louder than the video's own average: emphasis
  hook: 0.2, // opens on a question or a "here is the part…" line
  pace: 0.2, // near 2.8 words per second: neither dragging nor rushed
  topic: 0.15, // dense in the video's keywords
  flow: 0.1, // few silences
  visual: 0.05, // scene cuts per minute
} as const;

const HOOK =
  /\?$|^(here is|here's|the (secret|trick|part|truth|one thing)|nobody|if you remember|why )/i;
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const clamp = (x: number) => Math.min(1, Math.max(0, x));

export interface CandidateSet {
  candidates: ClipCandidate[];
  explained: Explained[];
  keywords: string[];
  virality_score: number;
  relevance_score: number;
}

/**
 * Candidates cut on sentence boundaries: every run of whole sentences lasting min..max
 * seconds is scored, then the best are taken greedily without overlap. Pure and
 * deterministic: same sentences and features, same candidates in the same order.
 */
export function selectCandidates(
  sentences: readonly Segment[],
  media: MediaFeatures,
  opts: CandidateOptions = DEFAULT_CANDIDATES,
): CandidateSet {
  const keywords = topKeywords(sentences.map((s) => s.text));
  const kw = new Set(keywords);
  const meanLoud = mean(media.loudness.filter((l) => l > -70)) ?? -70;
  const windows: { explained: Explained; tags: string[]; confidence: number }[] = [];
  for (let i = 0; i < sentences.length; i++) {
    for (let j = i; j < sentences.length; j++) {
      const start = (sentences[i] as Segment).start;
      const end = (sentences[j] as Segment).end;
      const duration = end - start;
      if (duration > opts.max_s) break;
      if (duration < opts.min_s) continue;
      windows.push(score(sentences.slice(i, j + 1), media, meanLoud, kw));
    }
  }
  windows.sort(
    (a, b) => b.confidence - a.confidence || a.explained.start_time - b.explained.start_time,
  );
  const chosen: typeof windows = [];
  for (const w of windows) {
    if (chosen.length >= opts.max_candidates) break;
    if (chosen.some((c) => overlaps(c.explained, w.explained))) continue;
    chosen.push(w);
  }
  const withKeyword = sentences.filter((s) => tokens(s.text).some((t) => kw.has(t))).length;
  return {
    candidates: chosen.map((c) => ({
      start_time: c.explained.start_time,
      end_time: c.explained.end_time,
      confidence: c.confidence,
      subject_focus: 'creator',
      // No face detector runs here; zero is the honest count, not a measurement.
      faces_detected: 0,
      semantic_tags: c.tags,
      pantheon_votes: {},
      lattice_priority: 0.5,
    })),
    explained: chosen.map((c) => c.explained),
    keywords,
    virality_score: chosen[0]?.confidence ?? 0,
    relevance_score: sentences.length ? r3(withKeyword / sentences.length) : 0,
  };
}

function score(
  run: readonly Segment[],
  media: MediaFeatures,
  meanLoud: number,
  kw: ReadonlySet<string>,
) {
  const start = (run[0] as Segment).start;
  const end = (run.at(-1) as Segment).end;
  const duration = end - start;
  const words = run.reduce((n, s) => n + s.words.length, 0);
  const loud =
    mean(media.loudness.slice(Math.floor(start), Math.ceil(end)).filter((l) => l > -70)) ?? -70;
  const silent = media.silences.reduce(
    (t, [a, b]) => t + Math.max(0, Math.min(b, end) - Math.max(a, start)),
    0,
  );
  const cuts = media.scenes.filter((t) => t >= start && t < end).length;
  const toks = run.flatMap((s) => tokens(s.text));
  const hits = toks.filter((t) => kw.has(t));
  const features = {
    duration_s: r3(duration),
    loudness_lufs: r3(loud),
    loudness_delta: r3(loud - meanLoud),
    words_per_s: r3(words / duration),
    silence_ratio: r3(silent / duration),
    scene_cuts_per_min: r3((cuts * 60) / duration),
    keyword_hits: hits.length,
    hook: HOOK.test((run[0] as Segment).text.trim()) ? 1 : 0,
  };
  const terms = {
    energy: clamp(0.5 + features.loudness_delta / 6),
    hook: features.hook,
    pace: clamp(1 - Math.abs(features.words_per_s - 2.8) / 2.8),
    topic: clamp(hits.length / run.length / 2),
    flow: clamp(1 - features.silence_ratio * 2),
    visual: clamp(features.scene_cuts_per_min / 6),
  };
  const scores = Object.fromEntries(
    Object.entries(terms).map(([k, v]) => [k, r3(v * WEIGHTS[k as keyof typeof WEIGHTS])]),
  );
  const confidence = r3(clamp(Object.values(scores).reduce((a, b) => a + b, 0)));
  const tags = [...new Set(hits)].slice(0, 5);
  return {
    explained: {
      start_time: r3(start),
      end_time: r3(end),
      features,
      scores,
      sentences: run.length,
      text: run
        .map((x) => x.text)
        .join(' ')
        .slice(0, 4000),
    },
    tags,
    confidence,
  };
}

function overlaps(a: Explained, b: Explained): boolean {
  return a.start_time < b.end_time && b.start_time < a.end_time;
}

function mean(xs: readonly number[]): number | undefined {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
}
