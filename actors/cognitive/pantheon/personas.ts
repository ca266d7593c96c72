/**
 * Pantheon's voter personas (spec §4.6): each is a pure, documented scoring over one
 * candidate's measured features (AnalysisReport.candidate_features) and Horizon's topic
 * weights. Same input, same ballot: no randomness, no clock, every number rounded to 3
 * decimals so a float's last bits never reorder a ranking.
 *
 * A feature the analyzer did not report counts as neutral (its documented fallback) and lowers
 * the ballot's confidence instead of failing: older analyzers or hand-made reports still vote.
 */

/** What a persona sees of one candidate. */
export interface PersonaInput {
  start_time: number;
  end_time: number;
  /** ClipCandidate.semantic_tags. */
  tags: readonly string[];
  /** candidate_features[i].features (loudness_lufs, words_per_s, hook, …); may be partial. */
  features: Readonly<Record<string, number>>;
  /** Horizon's topic weights (−1..1), keys lower-cased; empty without guidance. */
  topic_weights: Readonly<Record<string, number>>;
  /** Whether Horizon guidance has arrived at all (an empty map then means "no opinion"). */
  guided: boolean;
}

export interface Ballot {
  vote: number;
  confidence: number;
  /** ≤ 500 characters; names the features that drove the vote. */
  commentary: string;
}

export interface Persona {
  /** VoteReport agent name (`^[a-z_]+$`). */
  agent: string;
  /** One line on what the persona values, for reports and the README. */
  values: string;
  vote(input: PersonaInput): Ballot;
}

export const r3 = (x: number): number => Math.round(x * 1000) / 1000;
export const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
const pct = (x: number) => `${Math.round(x * 100)}%`;

/** The feature's value, or undefined when it is absent or not a finite number. */
function feature(input: PersonaInput, name: string): number | undefined {
  const v = input.features[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function duration(input: PersonaInput): number {
  return feature(input, 'duration_s') ?? Math.max(0, input.end_time - input.start_time);
}

/** Share of the named features present: how much of its evidence a persona actually had. */
function coverage(input: PersonaInput, names: readonly string[]): number {
  return names.filter((n) => feature(input, n) !== undefined).length / names.length;
}

function ballot(vote: number, confidence: number, commentary: string): Ballot {
  return {
    vote: r3(clamp01(vote)),
    confidence: r3(clamp01(confidence)),
    commentary: commentary.length > 500 ? `${commentary.slice(0, 497)}...` : commentary,
  };
}

/** Horizon's weight for a tag (case-insensitive), undefined when Horizon does not know it. */
function weightOf(input: PersonaInput, tag: string): number | undefined {
  const w = input.topic_weights[tag.trim().toLowerCase()];
  return typeof w === 'number' && Number.isFinite(w) ? Math.max(-1, Math.min(1, w)) : undefined;
}

/**
 * risk_guard — values clips that are safe to publish as they are: short enough to hold,
 * little dead air, no shouting, no rushed speech.
 *   vote = 1 − (0.35·long + 0.25·silent + 0.2·loud + 0.2·fast), where
 *   long = clamp((duration_s − 45) / 30), silent = clamp((silence_ratio − 0.1) / 0.3),
 *   loud = clamp((loudness_lufs + 10) / 6), fast = clamp((words_per_s − 3.5) / 1.5).
 *   confidence = 0.9 · (0.5 + 0.5 · coverage of silence_ratio, loudness_lufs, words_per_s);
 *   a missing feature carries no penalty. The first 10% of silence is free: pauses between
 *   sentences are normal speech, not dead air.
 */
export const riskGuard: Persona = {
  agent: 'risk_guard',
  values: 'penalises long, silent, very loud or very fast clips',
  vote(input) {
    const d = duration(input);
    const silence = feature(input, 'silence_ratio');
    const lufs = feature(input, 'loudness_lufs');
    const wps = feature(input, 'words_per_s');
    const terms: [string, number, number][] = [
      [`${r3(d)} s long`, 0.35, clamp01((d - 45) / 30)],
      [
        `${silence === undefined ? '?' : pct(silence)} silent`,
        0.25,
        clamp01(((silence ?? 0) - 0.1) / 0.3),
      ],
      [`${lufs ?? '?'} LUFS`, 0.2, clamp01(((lufs ?? -23) + 10) / 6)],
      [`${wps ?? '?'} words/s`, 0.2, clamp01(((wps ?? 0) - 3.5) / 1.5)],
    ];
    const penalty = terms.reduce((sum, [, w, p]) => sum + w * p, 0);
    const hits = terms.filter(([, , p]) => p > 0);
    const commentary = hits.length
      ? `risky: ${hits.map(([what, w, p]) => `${what} (-${r3(w * p)})`).join(', ')}`
      : `safe: ${terms.map(([what]) => what).join(', ')} all within bounds`;
    const cov = coverage(input, ['silence_ratio', 'loudness_lufs', 'words_per_s']);
    return ballot(1 - penalty, 0.9 * (0.5 + 0.5 * cov), commentary);
  },
};

/**
 * explorer — values new ground: topics Horizon under-weights or has never named, and visual
 * variety.
 *   novelty(tag) = 1 when Horizon has no weight for it, else (1 − weight) / 2;
 *   vote = 0.75 · mean novelty over the tags (0.5 without tags) + 0.25 · clamp(scene_cuts_per_min / 6).
 *   confidence = 0.7 · (0.4 + 0.6 · evidence), evidence = 1 with tags and guidance, 0.5 with
 *   tags but no guidance yet (everything looks new then), 0 without tags. A missing
 *   scene_cuts_per_min counts 3 (variety 0.5).
 */
export const explorer: Persona = {
  agent: 'explorer',
  values: 'rewards topics Horizon under-weights or has never named, and visual variety',
  vote(input) {
    const tags = [...new Set(input.tags.map((t) => t.trim().toLowerCase()))].sort();
    const novel = tags.map((t) => {
      const w = weightOf(input, t);
      return { t, n: w === undefined ? 1 : (1 - w) / 2, known: w !== undefined };
    });
    const novelty = novel.length ? novel.reduce((s, x) => s + x.n, 0) / novel.length : 0.5;
    const cuts = feature(input, 'scene_cuts_per_min');
    const variety = clamp01((cuts ?? 3) / 6);
    const evidence = tags.length === 0 ? 0 : input.guided ? 1 : 0.5;
    const fresh = novel.filter((x) => x.n >= 0.5).map((x) => (x.known ? x.t : `${x.t} (new)`));
    const commentary = [
      tags.length === 0
        ? 'no tags to judge novelty'
        : fresh.length
          ? `under-explored topics: ${fresh.join(', ')}`
          : `topics already favoured: ${tags.join(', ')}`,
      `novelty ${r3(novelty)}`,
      `${cuts ?? '?'} scene cuts/min`,
      ...(input.guided ? [] : ['no Horizon guidance yet']),
    ].join('; ');
    return ballot(0.75 * novelty + 0.25 * variety, 0.7 * (0.4 + 0.6 * evidence), commentary);
  },
};

/**
 * trend_chaser — values what Horizon says is wanted now, and clips dense in the video's keywords.
 *   alignment = mean Horizon weight over the tags (unknown tags count 0; 0 without tags);
 *   vote = 0.6 · (alignment + 1) / 2 + 0.4 · clamp(keyword_hits / 8).
 *   confidence = 0.8 · (0.4 + 0.6 · evidence), evidence = 1 when Horizon weighs at least one
 *   tag, 0.5 when guidance exists but names none of them, 0 without guidance. A missing
 *   keyword_hits counts 0: no evidence of density is not density.
 */
export const trendChaser: Persona = {
  agent: 'trend_chaser',
  values: "rewards Horizon's positive topic weights and keyword hits",
  vote(input) {
    const tags = [...new Set(input.tags.map((t) => t.trim().toLowerCase()))].sort();
    const weighed = tags.flatMap((t) => {
      const w = weightOf(input, t);
      return w === undefined ? [] : [{ t, w }];
    });
    const alignment = tags.length ? weighed.reduce((s, x) => s + x.w, 0) / tags.length : 0;
    const hits = feature(input, 'keyword_hits');
    const density = clamp01((hits ?? 0) / 8);
    const evidence = weighed.length ? 1 : input.guided ? 0.5 : 0;
    const named = weighed.map((x) => `${x.t} ${x.w > 0 ? '+' : ''}${r3(x.w)}`);
    const commentary = [
      named.length
        ? `Horizon weights: ${named.join(', ')}`
        : input.guided
          ? 'Horizon names none of these topics'
          : 'no Horizon guidance yet',
      `alignment ${r3(alignment)}`,
      `${hits ?? '?'} keyword hits`,
    ].join('; ');
    return ballot(
      0.6 * ((alignment + 1) / 2) + 0.4 * density,
      0.8 * (0.4 + 0.6 * evidence),
      commentary,
    );
  },
};

/**
 * hook_hunter — values retention: an opening that hooks, energy above the video's average, and
 * a pace near 2.8 words/s (the analyzer's own sweet spot).
 *   vote = 0.45 · hook + 0.3 · energy + 0.25 · pace, where hook ∈ {0, 1},
 *   energy = clamp(0.5 + loudness_delta / 6), pace = clamp(1 − |words_per_s − 2.8| / 2.8);
 *   a missing term counts 0.5. confidence = 0.85 · (0.5 + 0.5 · coverage of the three).
 */
export const hookHunter: Persona = {
  agent: 'hook_hunter',
  values: 'rewards an opening hook, energy and pace (retention)',
  vote(input) {
    const hook = feature(input, 'hook');
    const delta = feature(input, 'loudness_delta');
    const wps = feature(input, 'words_per_s');
    const h = hook === undefined ? 0.5 : hook > 0 ? 1 : 0;
    const energy = delta === undefined ? 0.5 : clamp01(0.5 + delta / 6);
    const pace = wps === undefined ? 0.5 : clamp01(1 - Math.abs(wps - 2.8) / 2.8);
    const commentary = [
      hook === undefined ? 'hook unknown' : hook > 0 ? 'opens on a hook' : 'no opening hook',
      `energy ${r3(energy)} (${delta === undefined ? '?' : `${delta > 0 ? '+' : ''}${delta}`} LU vs video)`,
      `pace ${r3(pace)} (${wps ?? '?'} words/s)`,
    ].join('; ');
    const cov = coverage(input, ['hook', 'loudness_delta', 'words_per_s']);
    return ballot(0.45 * h + 0.3 * energy + 0.25 * pace, 0.85 * (0.5 + 0.5 * cov), commentary);
  },
};

/** The personas in agent-name order: the order their votes appear in for one candidate. */
export const PERSONAS: readonly Persona[] = [explorer, hookHunter, riskGuard, trendChaser];
