import type { ScheduleTask } from '../../../protocols/index.ts';
import { describeWindows, minutesOf, type Rules } from './rules.ts';

/**
 * Slot choice for one channel, pure: bookings in, decision out. Time is whatever `now` the
 * caller passes (the runtime's clock in the machine, a simulated one in tests).
 */

const MINUTE_MS = 60_000;
export const GRID_MS = 5 * MINUTE_MS;
export const DAY_MS = 24 * 60 * MINUTE_MS;

/** The channel's bookings: clip_id → slot (ISO 8601, UTC). */
export type Bookings = Readonly<Record<string, string>>;

export interface SlotRequest {
  clip_id: string;
  recommended_time: string;
  final_decision_source: ScheduleTask['final_decision_source'];
  /** The caller's clock, ms since the epoch. */
  now: number;
}

export type SlotDecision =
  | { change: 'scheduled'; slot: string; reason: string }
  | { change: 'rescheduled'; slot: string; previous_slot: string; reason: string }
  | { change: 'skipped'; reason: string }
  /** A binding time that breaks a rule: nothing is booked (spec §5.5 `scheduler_fault`). */
  | { change: 'fault'; reason: string };

type Booked = { clip_id: string; at: number };

const iso = (t: number) => new Date(t).toISOString();
const ceilGrid = (t: number) => Math.ceil(t / GRID_MS) * GRID_MS;
const dayOf = (t: number) => iso(t).slice(0, 10);
const spacingMs = (rules: Rules) => rules.min_spacing_minutes * MINUTE_MS;

/** Whether `t` falls in a preferred window; windows may wrap past midnight (22:00–02:00). */
export function inWindow(t: number, rules: Rules): boolean {
  if (rules.windows.length === 0) return true;
  const minute = Math.floor((((t % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
  return rules.windows.some((w) => {
    const start = minutesOf(w.start);
    const end = minutesOf(w.end);
    return start < end ? minute >= start && minute < end : minute >= start || minute < end;
  });
}

/**
 * Drops bookings that can no longer affect a future slot: older than a day (so per-day counts
 * of today and later are whole) and than the spacing (so no future slot is within reach).
 */
export function pruneBookings(bookings: Bookings, now: number, rules: Rules): Bookings {
  const cutoff = now - Math.max(DAY_MS, spacingMs(rules));
  const kept = Object.entries(bookings).filter(([, slot]) => Date.parse(slot) >= cutoff);
  return kept.length === Object.keys(bookings).length ? bookings : Object.fromEntries(kept);
}

/** Applies a decision: a slot is booked for the clip; skips and faults change nothing. */
export function applyDecision(bookings: Bookings, clip_id: string, d: SlotDecision): Bookings {
  if (d.change !== 'scheduled' && d.change !== 'rescheduled') return bookings;
  if (bookings[clip_id] === d.slot) return bookings;
  return { ...bookings, [clip_id]: d.slot };
}

/**
 * The decision for one request:
 * - automatic (zenith, automation): the earliest 5-minute slot at or after the recommended time
 *   (and not before `now`) inside a preferred window, at least `min_spacing_minutes` from every
 *   other booking and under `max_per_day`, before `now + horizon_days`; none → `skipped`;
 * - `operator_override`: the recommended time exactly, windows aside; a clash with another
 *   clip's booking on spacing or per-day count → `fault`;
 * - a clip already booked: the same slot again → `scheduled` (idempotent), another → `rescheduled`
 *   with `previous_slot`. A slot that has already passed is never moved.
 */
export function chooseSlot(bookings: Bookings, request: SlotRequest, rules: Rules): SlotDecision {
  const current = bookings[request.clip_id];
  const others: Booked[] = Object.entries(bookings)
    .filter(([clip_id]) => clip_id !== request.clip_id)
    .map(([clip_id, slot]) => ({ clip_id, at: Date.parse(slot) }))
    .sort((a, b) => a.at - b.at);
  const override = request.final_decision_source === 'operator_override';
  const wanted = Date.parse(request.recommended_time);

  // Past its slot the clip has gone out (or is going): moving it now would post it twice.
  if (current !== undefined && Date.parse(current) <= request.now) {
    if (override && wanted !== Date.parse(current)) {
      return {
        change: 'fault',
        reason: `operator_override to ${iso(wanted)} refused: the clip's slot ${current} has already passed and cannot move`,
      };
    }
    return {
      change: 'scheduled',
      slot: current,
      reason: `unchanged: the slot ${current} has already passed`,
    };
  }

  if (override) {
    const problem = overrideProblem(others, wanted, rules);
    if (problem) return { change: 'fault', reason: problem };
    const reason = `operator_override: ${iso(wanted)} is binding and keeps min_spacing_minutes (${rules.min_spacing_minutes}) and max_per_day (${rules.max_per_day})`;
    return decided(current, wanted, reason);
  }

  const found = search(others, wanted, request.now, rules);
  if ('slot' in found) return decided(current, found.slot, found.reason);
  // A request that cannot be met leaves an existing booking where it is rather than drop it.
  if (current !== undefined) {
    return {
      change: 'scheduled',
      slot: current,
      reason: `unchanged: ${found.reason}; the booking at ${current} stands`,
    };
  }
  return { change: 'skipped', reason: found.reason };
}

function decided(current: string | undefined, slot: number, reason: string): SlotDecision {
  if (current === undefined) return { change: 'scheduled', slot: iso(slot), reason };
  if (Date.parse(current) === slot) {
    return { change: 'scheduled', slot: current, reason: `unchanged, already booked: ${reason}` };
  }
  return { change: 'rescheduled', slot: iso(slot), previous_slot: current, reason };
}

function overrideProblem(others: Booked[], t: number, rules: Rules): string | undefined {
  const clash = others.find((o) => Math.abs(o.at - t) < spacingMs(rules));
  if (clash) {
    return `operator_override at ${iso(t)} breaks min_spacing_minutes (${rules.min_spacing_minutes}): clip ${clash.clip_id} is booked at ${iso(clash.at)}`;
  }
  const sameDay = others.filter((o) => dayOf(o.at) === dayOf(t)).length;
  if (sameDay >= rules.max_per_day) {
    return `operator_override at ${iso(t)} breaks max_per_day (${rules.max_per_day}): ${sameDay} clips are already booked on ${dayOf(t)}`;
  }
  return undefined;
}

type Found = { slot: number; reason: string } | { reason: string };

/** Walks the 5-minute grid from the first allowed time, jumping over what a rule rules out. */
function search(others: Booked[], wanted: number, now: number, rules: Rules): Found {
  const from = Math.max(wanted, now);
  const start = ceilGrid(from);
  const end = now + rules.horizon_days * DAY_MS;
  if (start >= end) {
    return {
      reason: `the recommended time ${iso(wanted)} lies beyond horizon_days (${rules.horizon_days}) from now`,
    };
  }
  const perDay = new Map<string, number>();
  for (const o of others) perDay.set(dayOf(o.at), (perDay.get(dayOf(o.at)) ?? 0) + 1);
  // Which rules turned candidates away, in the order they first did: they are the reason.
  const pushedBy = new Set<string>();
  const spacing = spacingMs(rules);
  let t = start;
  while (t < end) {
    if (!inWindow(t, rules)) {
      pushedBy.add(`windows (${describeWindows(rules)})`);
      t += GRID_MS;
      continue;
    }
    if ((perDay.get(dayOf(t)) ?? 0) >= rules.max_per_day) {
      pushedBy.add(`max_per_day (${rules.max_per_day})`);
      t = Math.floor(t / DAY_MS) * DAY_MS + DAY_MS;
      continue;
    }
    const clash = others.find((o) => Math.abs(o.at - t) < spacing);
    if (clash) {
      pushedBy.add(`min_spacing_minutes (${rules.min_spacing_minutes})`);
      // Every time before clash + spacing clashes with the same booking.
      t = ceilGrid(clash.at + spacing);
      continue;
    }
    if (pushedBy.size === 0) {
      const basis =
        now > wanted ? `now (the recommended ${iso(wanted)} had passed)` : 'the recommended time';
      const rounded = t === from ? '' : ', rounded up to the 5-minute grid,';
      return {
        slot: t,
        reason: `${basis}${rounded} is free: in windows (${describeWindows(rules)}), min_spacing_minutes (${rules.min_spacing_minutes}) and max_per_day (${rules.max_per_day}) kept`,
      };
    }
    return {
      slot: t,
      reason: `earliest free slot after ${iso(from)}; earlier ones broke ${[...pushedBy].join(', ')}`,
    };
  }
  const broke = pushedBy.size > 0 ? `; every candidate broke ${[...pushedBy].join(', ')}` : '';
  return {
    reason: `no slot from ${iso(start)} within horizon_days (${rules.horizon_days})${broke}`,
  };
}
