import type { HorizonGuidance } from '../../../protocols/index.ts';
import {
  contractTime,
  type HorizonGoals,
  type HorizonOptions,
  inside,
  minuteOfDay,
} from './goals.ts';

/**
 * Horizon's guidance as pure functions (spec §4.5, Use Case 3, Example 3): topic weights that
 * pull the output toward the campaign's mix, slot weights from the preferred windows and
 * engagement, and warnings when the mix drifts or a post lands outside every good window.
 */

/** How far the gap to a topic's target moves its weight (a 0.5 gap saturates at ±1). */
export const GAP_GAIN = 2;
/** The most engagement history lifts a topic's weight (the best-performing topic gets it all). */
export const ENGAGEMENT_LIFT = 0.2;
/** Slot weights from this up mark a good window (Zenith reads them with the same threshold). */
export const GOOD_WEIGHT = 0.5;

/** A booking outside every good window: `[clip, channel, slot ISO, stardust id or '']`. */
export type OffWindow = [clip: string, channel: string, slot: string, packet: string];

export type GuidanceState = {
  promoted: Readonly<Record<string, number>>;
  /** `[clip, topic]` of promoted clips, so a warning about a booking can name its topic. */
  clips: readonly [string, string][];
  off: readonly OffWindow[];
};

type Slots = HorizonGuidance['slot_weights'];
type Drift = HorizonGuidance['drift'][number];

export const r3 = (x: number) => Math.round(x * 1000) / 1000;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const pct = (x: number) => `${Math.round(x * 100)} %`;

/** Preferred windows weigh 1; windows known only from engagement weigh relative to the best. */
export function slotWeights(g: HorizonGoals): Slots {
  const out: Slots = g.preferred_windows.map((w) => ({
    start: contractTime(w.start),
    end: contractTime(w.end),
    weight: 1,
  }));
  const history = g.slot_engagement ?? [];
  const best = Math.max(0, ...history.map((w) => w.engagement));
  for (const w of history) {
    const start = contractTime(w.start);
    const end = contractTime(w.end);
    if (out.some((x) => x.start === start && x.end === end)) continue;
    out.push({ start, end, weight: best > 0 ? r3(w.engagement / best) : 0 });
  }
  return out;
}

/** Whether a slot lies outside every good window (never, when no window is good). */
export function isOffWindow(slots: Slots, slotMs: number): boolean {
  const good = slots.filter((w) => w.weight >= GOOD_WEIGHT);
  if (good.length === 0) return false;
  const m = minuteOfDay(slotMs);
  return !good.some((w) => inside(w, m));
}

/** The first start of a good window after the slot, within two days. */
export function nextGoodStart(
  slots: Slots,
  slotMs: number,
): { at: string; window: string } | undefined {
  const good = slots.filter((w) => w.weight >= GOOD_WEIGHT);
  const t = new Date(slotMs);
  const day0 = Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate());
  const starts = [0, 1].flatMap((d) =>
    good.map((w) => {
      const [h, m] = w.start.split(':').map(Number) as [number, number];
      return { at: day0 + d * 86_400_000 + (h * 60 + m) * 60_000, window: `${w.start}–${w.end}` };
    }),
  );
  const next = starts.filter((s) => s.at > slotMs).sort((a, b) => a.at - b.at)[0];
  return next ? { at: new Date(next.at).toISOString(), window: next.window } : undefined;
}

const totalOf = (promoted: Readonly<Record<string, number>>) =>
  Object.values(promoted).reduce((a, b) => a + b, 0);

/** Topics in the mix first (config order), then any others seen or with history, sorted. */
function topicsOf(g: HorizonGoals, promoted: Readonly<Record<string, number>>): string[] {
  const extra = [...Object.keys(promoted), ...Object.keys(g.engagement ?? {})]
    .filter((t) => !Object.hasOwn(g.topic_mix, t))
    .sort();
  return [...new Set([...Object.keys(g.topic_mix), ...extra])];
}

/**
 * Weight = 2 × (target − share), plus up to 0.2 for engagement relative to the best topic,
 * within −1..1: positive under target, negative over it.
 */
export function topicWeights(
  g: HorizonGoals,
  promoted: Readonly<Record<string, number>>,
): Record<string, number> {
  const total = totalOf(promoted);
  const best = Math.max(0, ...Object.values(g.engagement ?? {}));
  const out: Record<string, number> = {};
  for (const t of topicsOf(g, promoted)) {
    const share = total > 0 ? (promoted[t] ?? 0) / total : 0;
    const target = g.topic_mix[t] ?? 0;
    const lift = best > 0 ? (ENGAGEMENT_LIFT * (g.engagement?.[t] ?? 0)) / best : 0;
    out[t] = r3(clamp(GAP_GAIN * (target - share) + lift, -1, 1));
  }
  return out;
}

/** Topics whose share exceeds their target by more than the margin, worst first. */
export function topicDrift(
  o: Pick<HorizonOptions, 'goals' | 'drift_margin' | 'min_clips'>,
  promoted: Readonly<Record<string, number>>,
): Drift[] {
  const total = totalOf(promoted);
  if (total < o.min_clips) return [];
  const rows = topicsOf(o.goals, promoted).map((topic) => ({
    topic,
    share: (promoted[topic] ?? 0) / total,
    target: o.goals.topic_mix[topic] ?? 0,
  }));
  const excess = (d: (typeof rows)[number]) => d.share - d.target;
  return (
    rows
      // An epsilon, so a share exactly at the margin (0.5 − 0.35) is not drift by rounding.
      .filter((d) => excess(d) > o.drift_margin + 1e-9)
      .sort((a, b) => excess(b) - excess(a) || a.topic.localeCompare(b.topic))
      .map((d) => ({
        topic: d.topic,
        share: r3(d.share),
        target: d.target,
        warning:
          `${d.topic} is ${pct(d.share)} of ${total} promoted clips against a ${pct(d.target)} target: over-indexed, favour other topics`.slice(
            0,
            300,
          ),
      }))
  );
}

/**
 * A warning per booking still outside every good window and still ahead, naming the clip and
 * the window to move it to (Use Case 3). The contract has no field for this, so it travels as
 * a drift entry under the clip's topic.
 */
export function scheduleDrift(o: Pick<HorizonOptions, 'goals'>, s: GuidanceState, now: number) {
  const slots = slotWeights(o.goals);
  const total = totalOf(s.promoted);
  const drift: Drift[] = [];
  const packets: string[] = [];
  for (const [clip, channel, slot, packet] of s.off) {
    const at = Date.parse(slot);
    if (at <= now || !isOffWindow(slots, at)) continue;
    const topic = s.clips.find(([c]) => c === clip)?.[1] ?? 'unknown';
    const next = nextGoodStart(slots, at);
    drift.push({
      topic,
      share: r3(total > 0 ? (s.promoted[topic] ?? 0) / total : 0),
      target: o.goals.topic_mix[topic] ?? 0,
      warning:
        `clip ${clip} is booked at ${slot} on ${channel}, outside every preferred window${next ? `: shift it to ${next.window} UTC (next ${next.at})` : ''}`.slice(
          0,
          300,
        ),
    });
    if (packet) packets.push(packet);
  }
  return { drift, packets };
}

/** The whole guidance, and the schedule packets its warnings rest on. */
export function buildGuidance(
  o: HorizonOptions,
  s: GuidanceState,
  now: number,
  guidance_id: string,
): { guidance: HorizonGuidance; packets: string[] } {
  const schedule = scheduleDrift(o, s, now);
  return {
    guidance: {
      guidance_id,
      goal_window: o.goals.goal_window,
      topic_weights: topicWeights(o.goals, s.promoted),
      slot_weights: slotWeights(o.goals),
      posts_per_day: o.goals.posts_per_day,
      drift: [...topicDrift(o, s.promoted), ...schedule.drift],
    },
    packets: schedule.packets,
  };
}
