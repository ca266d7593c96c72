/**
 * A channel's posting rules (design §8: "slots with spacing rules"). They are configuration,
 * not state: the machine closes over them, so a change of rules applies to the next order
 * without touching stored snapshots.
 */

/** A preferred posting window, `HH:MM` in UTC; `end` is exclusive and may be `24:00`. */
export interface PostingWindow {
  start: string;
  end: string;
}

export interface Rules {
  /** Minimum distance between any two bookings of the channel. */
  min_spacing_minutes: number;
  /** At most this many bookings per UTC calendar day. */
  max_per_day: number;
  /** Automatic slots must lie in one of these; empty means any time of day. */
  windows: readonly PostingWindow[];
  /** How far ahead of `now` the scheduler looks for a slot. */
  horizon_days: number;
}

/**
 * Rules for every channel, or per channel: a map from channel to (partial) rules, where the
 * key `*` (never a valid channel token) holds the default the others are merged over.
 */
export type SchedulerRules = Partial<Rules> | Readonly<Record<string, Partial<Rules>>>;

export const DEFAULT_RULES: Readonly<Rules> = Object.freeze({
  min_spacing_minutes: 120,
  max_per_day: 4,
  windows: Object.freeze([]),
  horizon_days: 14,
});

const RULE_KEYS = ['min_spacing_minutes', 'max_per_day', 'windows', 'horizon_days'] as const;
const HHMM = /^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$/;

/** Minutes after midnight UTC of an `HH:MM` string; throws on anything else. */
export function minutesOf(hhmm: string): number {
  const m = HHMM.exec(hhmm);
  if (!m) throw new Error(`scheduler rules: "${hhmm}" is not an HH:MM time (00:00 to 24:00)`);
  return Number(m[1] ?? m[3]) * 60 + Number(m[2] ?? m[4]);
}

/** Defaults filled in and every value checked, so a bad config fails at start, not mid-order. */
export function resolveRules(input: Partial<Rules> = {}, base: Rules = DEFAULT_RULES): Rules {
  const r: Rules = { ...base, ...input };
  const positiveInt = (name: keyof Rules, v: number) => {
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`scheduler rules: ${name} must be a positive integer, got ${v}`);
    }
  };
  positiveInt('min_spacing_minutes', r.min_spacing_minutes);
  positiveInt('max_per_day', r.max_per_day);
  positiveInt('horizon_days', r.horizon_days);
  for (const w of r.windows) {
    // A window of zero length would never match and silently skip every clip.
    const start = minutesOf(w.start);
    if (start === 1440 || start === minutesOf(w.end)) {
      throw new Error(`scheduler rules: window ${w.start}–${w.end} is empty`);
    }
  }
  return Object.freeze({ ...r, windows: Object.freeze(r.windows.map((w) => ({ ...w }))) });
}

function isRules(x: SchedulerRules): x is Partial<Rules> {
  return RULE_KEYS.some((k) => k in x);
}

/** Resolves the configured rules into a lookup per channel (all validated up front). */
export function rulesLookup(config: SchedulerRules = {}): (channel: string) => Rules {
  if (isRules(config)) {
    const all = resolveRules(config);
    return () => all;
  }
  const map = config as Readonly<Record<string, Partial<Rules>>>;
  const fallback = resolveRules(map['*'] ?? {});
  const byChannel = new Map(
    Object.entries(map)
      .filter(([channel]) => channel !== '*')
      .map(([channel, r]) => [channel, resolveRules(r, fallback)] as const),
  );
  return (channel) => byChannel.get(channel) ?? fallback;
}

/** `17:00–21:00 UTC`, for reasons. */
export function describeWindows(rules: Rules): string {
  if (rules.windows.length === 0) return 'any time of day';
  return `${rules.windows.map((w) => `${w.start}–${w.end}`).join(', ')} UTC`;
}
