/**
 * Horizon's campaign goals (spec §4.5): configuration, not state. The machine closes over them,
 * so a changed goal applies from the next message; a new `goal_window` starts a new count.
 */

/** A posting window, `HH:MM` in UTC; `end` is exclusive, and a window may wrap past midnight. */
export interface PostingWindow {
  start: string;
  end: string;
}

export interface HorizonGoals {
  /** The window these goals apply to (e.g. `2026-W48`); every guidance is tagged with it. */
  goal_window: string;
  /** Target share of output per topic (0..1, adding up to at most 1). */
  topic_mix: Readonly<Record<string, number>>;
  posts_per_day: number;
  /** Windows the campaign wants posts in; empty: any time of day. */
  preferred_windows: readonly PostingWindow[];
  /** Engagement history per topic (any non-negative scale, e.g. mean views per clip). */
  engagement?: Readonly<Record<string, number>>;
  /** Engagement history per posting window, same scale rules. */
  slot_engagement?: readonly (PostingWindow & { engagement: number })[];
}

export interface HorizonOptions {
  goals: HorizonGoals;
  /** Period of the re-publication (spec: daily cadence). */
  daily_ms: number;
  /** A topic whose share exceeds its target by more than this is drifting. */
  drift_margin: number;
  /** Promoted clips needed before drift is judged: one clip is not a mix. */
  min_clips: number;
}

export const DEFAULT_HORIZON: Omit<HorizonOptions, 'goals'> = {
  daily_ms: 86_400_000,
  drift_margin: 0.15,
  min_clips: 3,
};

const HHMM = /^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$/;

/** Minutes after midnight UTC of an `HH:MM` (00:00 to 24:00); throws on anything else. */
export function minutesOf(hhmm: string): number {
  const m = HHMM.exec(hhmm);
  if (!m) throw new Error(`horizon goals: "${hhmm}" is not an HH:MM time (00:00 to 24:00)`);
  return Number(m[1] ?? m[3]) * 60 + Number(m[2] ?? m[4]);
}

/**
 * HorizonGuidance's pattern stops at 23:59; an end of 24:00 is written 00:00, which means the
 * same thing for an exclusive end under the wrap-around rule.
 */
export const contractTime = (hhmm: string) => (hhmm === '24:00' ? '00:00' : hhmm);

/** Whether a minute of the day (UTC) lies in a window; start > end wraps past midnight. */
export function inside(w: PostingWindow, minute: number): boolean {
  const a = minutesOf(w.start) % 1440;
  const b = minutesOf(w.end) % 1440;
  return a < b ? minute >= a && minute < b : minute >= a || minute < b;
}

export const minuteOfDay = (t: number) =>
  Math.floor((((t % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);

function checkWindow(w: PostingWindow, where: string) {
  const a = minutesOf(w.start);
  if (a === 1440 || a === minutesOf(w.end) % 1440) {
    // A zero-length (or whole-day) window says nothing about when to post.
    throw new Error(`horizon goals: ${where} ${w.start}–${w.end} is empty or the whole day`);
  }
}

/** Defaults filled in and every value checked, so a bad config fails at start. */
export function resolveHorizon(
  input: Pick<HorizonOptions, 'goals'> & Partial<HorizonOptions>,
): HorizonOptions {
  const o: HorizonOptions = { ...DEFAULT_HORIZON, ...input };
  const g = o.goals;
  if (typeof g.goal_window !== 'string' || g.goal_window.length < 1 || g.goal_window.length > 128) {
    throw new Error('horizon goals: goal_window must be 1 to 128 characters');
  }
  let sum = 0;
  for (const [t, v] of Object.entries(g.topic_mix)) {
    if (t.length < 1 || t.length > 100) throw new Error(`horizon goals: topic "${t}" is too long`);
    if (!(v >= 0 && v <= 1)) throw new Error(`horizon goals: topic_mix.${t} must be in 0..1`);
    sum += v;
  }
  if (sum > 1 + 1e-9) throw new Error('horizon goals: topic_mix adds up to more than 1');
  if (!Number.isInteger(g.posts_per_day) || g.posts_per_day < 0) {
    throw new Error('horizon goals: posts_per_day must be a non-negative integer');
  }
  for (const w of g.preferred_windows) checkWindow(w, 'preferred window');
  for (const w of g.slot_engagement ?? []) {
    checkWindow(w, 'slot_engagement window');
    if (!(w.engagement >= 0)) throw new Error('horizon goals: slot engagement must be ≥ 0');
  }
  for (const [t, v] of Object.entries(g.engagement ?? {})) {
    if (!(v >= 0) || !Number.isFinite(v))
      throw new Error(`horizon goals: engagement.${t} must be ≥ 0`);
  }
  if (!(o.drift_margin >= 0 && o.drift_margin < 1))
    throw new Error('horizon: drift_margin in 0..1');
  if (!Number.isInteger(o.min_clips) || o.min_clips < 1) throw new Error('horizon: min_clips ≥ 1');
  if (!(o.daily_ms > 0)) throw new Error('horizon: daily_ms must be positive');
  return o;
}
