import type {
  AnalysisReport,
  ClipCandidate,
  LatticeHints,
  WorkerStatus,
} from '../../../protocols/index.ts';

/**
 * Lattice's decisions as pure functions (spec §4.4): a priority delta per candidate from the
 * topic mix of promoted clips (and Horizon's weights), and routing hints from each worker's
 * queue depth. Every number is explained in a note, so HaloLux can narrate it.
 */

export interface LatticeOptions {
  /** A worker with this many jobs in flight gets no new work until it drains below it. */
  max_queue_depth: number;
  /** Period of the recalibration that republishes the current hints. */
  recalibrate_ms: number;
  /** Target share of promoted clips per topic; without it, every topic seen gets an equal share. */
  topic_targets?: Readonly<Record<string, number>>;
  /** A job with no status for this long is taken for finished (its worker died mid-job). */
  stale_ms: number;
}

export const DEFAULT_LATTICE: LatticeOptions = {
  max_queue_depth: 8,
  recalibrate_ms: 600_000,
  stale_ms: 3_600_000,
};

/** How strongly the gap to a topic's target share moves a priority, and its cap. */
export const TOPIC_GAIN = 0.5;
export const TOPIC_CAP = 0.25;
/** How much of Horizon's topic weight (−1..1) reaches a priority. */
export const HORIZON_GAIN = 0.1;

export const r3 = (x: number) => Math.round(x * 1000) / 1000;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const pct = (x: number) => `${Math.round(x * 100)} %`;

/** The topic of a candidate, by the same rule Zenith uses when it promotes one. */
export function topicOf(c: Pick<ClipCandidate, 'semantic_tags'>, keywords: readonly string[]) {
  return (c.semantic_tags[0] ?? keywords[0] ?? 'general').slice(0, 100);
}

/** Checks the options once, so a bad config fails at start rather than on the first message. */
export function resolveLattice(opts: Partial<LatticeOptions> = {}): LatticeOptions {
  const o: LatticeOptions = { ...DEFAULT_LATTICE, ...opts };
  if (!Number.isInteger(o.max_queue_depth) || o.max_queue_depth < 1) {
    throw new Error(
      `lattice: max_queue_depth must be a positive integer, got ${o.max_queue_depth}`,
    );
  }
  for (const [k, v] of [
    ['recalibrate_ms', o.recalibrate_ms],
    ['stale_ms', o.stale_ms],
  ] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new Error(`lattice: ${k} must be positive, got ${v}`);
  }
  const targets = Object.entries(o.topic_targets ?? {});
  for (const [t, v] of targets) {
    if (!(v >= 0 && v <= 1))
      throw new Error(`lattice: topic_targets.${t} must be in 0..1, got ${v}`);
  }
  if (targets.reduce((a, [, v]) => a + v, 0) > 1 + 1e-9) {
    throw new Error('lattice: topic_targets add up to more than 1');
  }
  return o;
}

/**
 * A topic's target share. Configured topics have theirs; the rest of the mix is split evenly
 * among the other topics seen. Without targets, every topic seen gets an equal share.
 */
export function targetShare(
  o: Pick<LatticeOptions, 'topic_targets'>,
  topic: string,
  seen: readonly string[],
): number {
  const all = new Set([...seen, topic]);
  const targets = o.topic_targets;
  if (!targets || Object.keys(targets).length === 0) return 1 / all.size;
  if (Object.hasOwn(targets, topic)) return targets[topic] as number;
  const rest = 1 - Object.values(targets).reduce((a, b) => a + b, 0);
  const others = [...all].filter((t) => !Object.hasOwn(targets, t)).length;
  return Math.max(0, rest) / Math.max(1, others);
}

export type Delta = { delta: number; note: string };

/**
 * The priority delta of a topic: toward its target share, plus Horizon's nudge. `seen` are the
 * topics competing for the mix (promoted ones and those of the analysis at hand).
 */
export function topicDelta(
  o: Pick<LatticeOptions, 'topic_targets'>,
  promoted: Readonly<Record<string, number>>,
  horizon: Readonly<Record<string, number>>,
  topic: string,
  seen: readonly string[] = Object.keys(promoted),
): Delta {
  const total = Object.values(promoted).reduce((a, b) => a + b, 0);
  const parts: string[] = [];
  let delta = 0;
  if (total === 0) {
    parts.push('no promoted clips yet');
  } else {
    const share = (promoted[topic] ?? 0) / total;
    const target = targetShare(o, topic, [...Object.keys(promoted), ...seen]);
    delta = clamp(TOPIC_GAIN * (target - share), -TOPIC_CAP, TOPIC_CAP);
    const verdict =
      share < target
        ? 'underrepresented: boosted'
        : share > target
          ? 'over-represented: dampened'
          : 'on target';
    parts.push(
      `${topic} is ${pct(share)} of ${total} promoted clips against ${pct(target)}, ${verdict}`,
    );
  }
  const h = horizon[topic];
  if (h !== undefined && h !== 0) {
    delta += HORIZON_GAIN * h;
    parts.push(`Horizon weight ${h > 0 ? '+' : ''}${h}`);
  }
  return { delta: r3(clamp(delta, -1, 1)), note: parts.join('; ').slice(0, 300) };
}

/** One hint row per candidate: priority = confidence + delta, kept within 0..1. */
export function candidateHints(
  o: Pick<LatticeOptions, 'topic_targets'>,
  promoted: Readonly<Record<string, number>>,
  horizon: Readonly<Record<string, number>>,
  a: AnalysisReport,
): LatticeHints['candidates'] {
  const topics = a.result.clip_candidates.map((c) => topicOf(c, a.result.keywords_detected));
  return a.result.clip_candidates.map((c, i) => {
    const topic = topics[i] as string;
    const d = topicDelta(o, promoted, horizon, topic, topics);
    const priority = r3(clamp(c.confidence + d.delta, 0, 1));
    return {
      candidate_index: i,
      start_time: c.start_time,
      end_time: c.end_time,
      priority,
      // What was applied after clamping, so priority = confidence + priority_delta holds.
      priority_delta: r3(priority - c.confidence),
      topic,
      note: d.note,
    };
  });
}

// ---- queue depth ---------------------------------------------------------------------------

/** Jobs in flight per worker: job id → when its last status arrived. */
export type InFlight = Record<string, Record<string, number>>;

const OPEN: readonly WorkerStatus['status'][] = ['PENDING', 'RUNNING'];

/** A status moves a job in (PENDING, RUNNING) or out (DONE, ERROR, CANCELLED, SKIPPED). */
export function applyStatus(inflight: Readonly<InFlight>, s: WorkerStatus, now: number): InFlight {
  const jobs = { ...(inflight[s.worker] ?? {}) };
  if (OPEN.includes(s.status)) jobs[s.job_id] = now;
  else delete jobs[s.job_id];
  // The worker stays listed at depth 0: its hint says it has capacity.
  return { ...inflight, [s.worker]: jobs };
}

/** Drops jobs silent for longer than `stale_ms`; returns how many were dropped. */
export function pruneStale(
  inflight: Readonly<InFlight>,
  now: number,
  staleMs: number,
): { inflight: InFlight; dropped: number } {
  let dropped = 0;
  const out: InFlight = {};
  for (const [worker, jobs] of Object.entries(inflight)) {
    out[worker] = {};
    for (const [job, seen] of Object.entries(jobs)) {
      if (seen >= now - staleMs) (out[worker] as Record<string, number>)[job] = seen;
      else dropped++;
    }
  }
  return { inflight: dropped > 0 ? out : { ...inflight }, dropped };
}

export function depths(inflight: Readonly<InFlight>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of Object.keys(inflight).sort()) out[w] = Object.keys(inflight[w] ?? {}).length;
  return out;
}

/** The workers at or above the bound: they should get no new work. */
export function overBound(depth: Readonly<Record<string, number>>, max: number): string[] {
  return Object.keys(depth)
    .filter((w) => (depth[w] ?? 0) >= max)
    .sort();
}

/**
 * One hint per worker. A hint starts with `hold` or `accept`, so Zenith can act on the first
 * word; the rest says why.
 */
export function routingHints(
  depth: Readonly<Record<string, number>>,
  held: readonly string[],
  max: number,
): NonNullable<LatticeHints['routing']> {
  return Object.keys(depth)
    .sort()
    .map((worker) => {
      const d = depth[worker] ?? 0;
      return {
        worker,
        hint: held.includes(worker)
          ? `hold new work: ${d} jobs in flight, bound ${max}`
          : `accept work: ${d} of ${max} jobs in flight`,
      };
    });
}
