// The scheduler's slot logic on its own (design §10: pure, simulated clock): bookings and a
// request in, a decision out; time is the `now` each request carries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  applyDecision,
  type Bookings,
  chooseSlot,
  DEFAULT_RULES,
  pruneBookings,
  type Rules,
  resolveRules,
  rulesLookup,
  type SlotDecision,
  type SlotRequest,
} from '../../actors/workers/scheduler/index.ts';

const T0 = Date.parse('2026-11-02T08:00:00.000Z');
const at = (hhmm: string, day = 0) =>
  new Date(Date.parse(`2026-11-02T${hhmm}:00.000Z`) + day * 86_400_000).toISOString();
const R = resolveRules({
  min_spacing_minutes: 60,
  max_per_day: 3,
  windows: [{ start: '17:00', end: '21:00' }],
  horizon_days: 14,
});

function req(clip_id: string, recommended_time: string, o: Partial<SlotRequest> = {}) {
  return {
    clip_id,
    recommended_time,
    final_decision_source: 'zenith' as const,
    now: T0,
    ...o,
  };
}
const override = { final_decision_source: 'operator_override' as const };

function slotOf(d: SlotDecision): string | undefined {
  return 'slot' in d ? d.slot : undefined;
}

test('scheduler slots - an empty channel books the recommended time on the 5-minute grid', () => {
  const exact = chooseSlot({}, req('a', at('17:00')), R);
  assert.is(exact.change, 'scheduled');
  assert.is(slotOf(exact), at('17:00'));
  assert.not.ok(exact.reason.includes('rounded'), exact.reason);
  const odd = chooseSlot({}, req('a', '2026-11-02T17:02:30Z'), R);
  assert.is(slotOf(odd), at('17:05'));
  assert.ok(odd.reason.includes('rounded up to the 5-minute grid'), odd.reason);
});

test('scheduler slots - a time outside the preferred windows moves to the next window opening', () => {
  const morning = chooseSlot({}, req('a', at('10:00')), R);
  assert.is(slotOf(morning), at('17:00'));
  assert.ok(morning.reason.includes('windows (17:00–21:00 UTC)'), morning.reason);
  // `end` is exclusive: 21:00 is already outside.
  assert.is(slotOf(chooseSlot({}, req('a', at('20:58')), R)), at('17:00', 1));
  const night = resolveRules({ ...R, windows: [{ start: '22:00', end: '02:00' }] });
  assert.is(slotOf(chooseSlot({}, req('a', at('03:00')), night)), at('22:00'));
  assert.is(slotOf(chooseSlot({}, req('a', at('01:55', 1)), night)), at('01:55', 1));
  const anyTime = resolveRules({ ...R, windows: [] });
  assert.is(slotOf(chooseSlot({}, req('a', at('09:00')), anyTime)), at('09:00'));
});

test('scheduler slots - min spacing keeps every booking apart, before and after', () => {
  const after = chooseSlot({ b: at('17:00') }, req('a', at('17:00')), R);
  assert.is(slotOf(after), at('18:00'));
  assert.ok(after.reason.includes('min_spacing_minutes (60)'), after.reason);
  // A booking 40 minutes after the wanted time rules it out too.
  assert.is(slotOf(chooseSlot({ b: at('17:40') }, req('a', at('17:00')), R)), at('18:40'));
  // Exactly the spacing apart is allowed.
  assert.is(slotOf(chooseSlot({ b: at('18:00') }, req('a', at('17:00')), R)), at('17:00'));
  // An off-grid booking (an operator override at 17:59) is 59 minutes from 17:00: too close.
  assert.is(slotOf(chooseSlot({ b: at('17:59') }, req('a', at('17:00')), R)), at('19:00'));
  const crowded = { b: at('17:00'), c: at('18:10') };
  assert.is(slotOf(chooseSlot(crowded, req('a', at('17:00')), R)), at('19:10'));
});

test('scheduler slots - max per day sends a clip to the next day', () => {
  const two = resolveRules({ ...R, max_per_day: 2 });
  const d = chooseSlot({ b: at('17:00'), c: at('19:00') }, req('a', at('17:00')), two);
  assert.is(slotOf(d), at('17:00', 1), '20:00 keeps the spacing but the day is full');
  assert.ok(d.reason.includes('max_per_day (2)'), d.reason);
  // Days are UTC calendar days: a booking late the previous day does not count.
  const anyTime = resolveRules({ ...two, windows: [], min_spacing_minutes: 5 });
  const late = { b: at('23:50', -1), c: at('23:55', -1) };
  assert.is(slotOf(chooseSlot(late, req('a', at('09:00')), anyTime)), at('09:00'));
});

test('scheduler slots - a repeated request keeps its slot; a new time reschedules it', () => {
  let bookings: Bookings = {};
  const book = (clip: string, rec: string, now = T0) => {
    const d = chooseSlot(bookings, req(clip, rec, { now }), R);
    bookings = applyDecision(bookings, clip, d);
    return d;
  };
  assert.is(slotOf(book('a', at('17:00'))), at('17:00'));
  assert.is(slotOf(book('b', at('17:00'))), at('18:00'));
  const again = book('b', at('17:00'), T0 + 3_600_000);
  assert.equal(again.change, 'scheduled');
  assert.is(slotOf(again), at('18:00'), 'the same request finds the same slot');
  assert.ok(again.reason.startsWith('unchanged'), again.reason);
  const moved = book('b', at('17:00', 1));
  assert.equal(moved, {
    change: 'rescheduled',
    slot: at('17:00', 1),
    previous_slot: at('18:00'),
    reason: moved.reason,
  });
  assert.equal(bookings, { a: at('17:00'), b: at('17:00', 1) }, 'one booking per clip');
});

test('scheduler slots - no slot within the horizon skips the clip and books nothing', () => {
  const tight = resolveRules({ ...R, max_per_day: 1, horizon_days: 3 });
  const full = { x: at('17:00'), y: at('17:00', 1), z: at('17:00', 2) };
  const d = chooseSlot(full, req('a', at('17:00')), tight);
  assert.is(d.change, 'skipped');
  assert.is(slotOf(d), undefined);
  assert.ok(d.reason.includes('horizon_days (3)'), d.reason);
  assert.ok(d.reason.includes('max_per_day (1)'), d.reason);
  assert.is(applyDecision(full, 'a', d), full);
  const far = chooseSlot({}, req('a', at('17:00', 20)), R);
  assert.is(far.change, 'skipped');
  assert.ok(far.reason.includes('beyond horizon_days (14)'), far.reason);
  // A booked clip whose new time cannot be met keeps the booking it has.
  const kept = chooseSlot(full, req('z', at('17:00', 5)), tight);
  assert.equal([kept.change, slotOf(kept)], ['scheduled', at('17:00', 2)]);
  assert.ok(kept.reason.includes('stands'), kept.reason);
});

test('scheduler slots - a recommended time already past is searched from now', () => {
  const now = Date.parse(at('17:32'));
  const d = chooseSlot({}, req('a', at('09:00'), { now }), R);
  assert.is(slotOf(d), at('17:35'));
  assert.ok(d.reason.includes('had passed'), d.reason);
});

test('scheduler slots - an operator override is binding: the exact time, windows aside', () => {
  const d = chooseSlot({ b: at('17:00') }, req('a', '2026-11-02T09:13:20Z', override), R);
  assert.equal([d.change, slotOf(d)], ['scheduled', '2026-11-02T09:13:20.000Z']);
  assert.ok(d.reason.includes('operator_override'), d.reason);
  // Its own old booking is no obstacle: moving 30 minutes is fine.
  const move = chooseSlot({ a: at('17:00') }, req('a', at('17:30'), override), R);
  assert.equal(move, {
    change: 'rescheduled',
    slot: at('17:30'),
    previous_slot: at('17:00'),
    reason: move.reason,
  });
  const same = chooseSlot({ a: at('17:00') }, req('a', at('17:00'), override), R);
  assert.equal([same.change, slotOf(same)], ['scheduled', at('17:00')]);
});

test('scheduler slots - an override that breaks spacing or max per day is a fault and books nothing', () => {
  const spaced = { b: at('17:00') };
  const clash = chooseSlot(spaced, req('a', at('17:30'), override), R);
  assert.is(clash.change, 'fault');
  assert.ok(clash.reason.includes('min_spacing_minutes (60)'), clash.reason);
  assert.ok(clash.reason.includes(`clip b is booked at ${at('17:00')}`), clash.reason);
  assert.is(applyDecision(spaced, 'a', clash), spaced);
  const two = resolveRules({ ...R, max_per_day: 2 });
  const day = { b: at('09:00'), c: at('12:00') };
  const full = chooseSlot(day, req('a', at('22:00'), override), two);
  assert.is(full.change, 'fault');
  assert.ok(full.reason.includes('max_per_day (2)'), full.reason);
  assert.ok(full.reason.includes('2026-11-02'), full.reason);
  // A failed override leaves the clip's existing booking as it was.
  const booked = { a: at('19:00'), b: at('17:00') };
  const moveIntoB = chooseSlot(booked, req('a', at('17:20'), override), R);
  assert.is(moveIntoB.change, 'fault');
  assert.is(applyDecision(booked, 'a', moveIntoB), booked);
});

test('scheduler slots - a slot that has passed is never moved', () => {
  const now = Date.parse(at('17:10'));
  const bookings = { a: at('17:00') };
  const again = chooseSlot(bookings, req('a', at('17:00', 1), { now }), R);
  assert.equal([again.change, slotOf(again)], ['scheduled', at('17:00')]);
  assert.ok(again.reason.includes('already passed'), again.reason);
  const forced = chooseSlot(bookings, req('a', at('17:00', 1), { now, ...override }), R);
  assert.is(forced.change, 'fault');
});

test('scheduler slots - pruning drops bookings older than a day before now', () => {
  const bookings = { old: at('07:59', -1), recent: at('08:00', -1), next: at('17:00') };
  assert.equal(pruneBookings(bookings, T0, R), { recent: at('08:00', -1), next: at('17:00') });
  const fresh = { next: at('17:00') };
  assert.is(pruneBookings(fresh, T0, R), fresh, 'nothing to drop: the same object');
  // With a spacing longer than a day, bookings stay as long as they can still clash.
  const wide = resolveRules({ ...R, min_spacing_minutes: 2 * 24 * 60 });
  assert.equal(Object.keys(pruneBookings(bookings, T0, wide)).sort(), ['next', 'old', 'recent']);
});

test('scheduler slots - rules: defaults, per-channel rules and bad values refused', () => {
  assert.equal(rulesLookup()('any'), DEFAULT_RULES);
  assert.is(rulesLookup({ max_per_day: 2 })('any').max_per_day, 2);
  const lookup = rulesLookup({ '*': { max_per_day: 2 }, gaming: { min_spacing_minutes: 30 } });
  assert.equal(
    [lookup('gaming').min_spacing_minutes, lookup('gaming').max_per_day],
    [30, 2],
    'a channel is merged over the `*` default',
  );
  assert.equal([lookup('other').min_spacing_minutes, lookup('other').max_per_day], [120, 2]);
  assert.throws(() => resolveRules({ windows: [{ start: '25:00', end: '26:00' }] }), /HH:MM/);
  assert.throws(() => resolveRules({ windows: [{ start: '17:00', end: '17:00' }] }), /empty/);
  assert.throws(() => resolveRules({ max_per_day: 0 }), /max_per_day/);
  assert.throws(() => rulesLookup({ gaming: { horizon_days: 1.5 } }), /horizon_days/);
  assert.not.throws(() => resolveRules({ windows: [{ start: '00:00', end: '24:00' }] }));
});

// ---- an independent oracle over a simulated week -------------------------------------------

function validAt(t: number, others: number[], rules: Rules): boolean {
  const minute = new Date(t).getUTCHours() * 60 + new Date(t).getUTCMinutes();
  const inWin = rules.windows.some((w) => {
    const [s, e] = [w.start, w.end].map((x) => Number(x.slice(0, 2)) * 60 + Number(x.slice(3)));
    return (s as number) < (e as number)
      ? minute >= (s as number) && minute < (e as number)
      : minute >= (s as number) || minute < (e as number);
  });
  const day = new Date(t).toISOString().slice(0, 10);
  const sameDay = others.filter((o) => new Date(o).toISOString().slice(0, 10) === day).length;
  const spaced = others.every((o) => Math.abs(o - t) >= rules.min_spacing_minutes * 60_000);
  return inWin && sameDay < rules.max_per_day && spaced;
}

test('scheduler slots - a simulated week of random requests always takes the earliest valid slot', () => {
  const rules = resolveRules({
    min_spacing_minutes: 45,
    max_per_day: 4,
    windows: [
      { start: '12:00', end: '14:00' },
      { start: '18:00', end: '22:00' },
    ],
    horizon_days: 7,
  });
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  let bookings: Bookings = {};
  let now = T0;
  const outcomes = { scheduled: 0, rescheduled: 0, skipped: 0, fault: 0 };
  for (let i = 0; i < 150; i++) {
    now += rand(90) * 60_000;
    bookings = pruneBookings(bookings, now, rules);
    const clip = `clip-${rand(60)}`;
    const wanted = now + (rand(8 * 24 * 60) - 120) * 60_000;
    const before = bookings;
    const d = chooseSlot(bookings, req(clip, new Date(wanted).toISOString(), { now }), rules);
    outcomes[d.change]++;
    bookings = applyDecision(bookings, clip, d);
    const others = Object.entries(bookings)
      .filter(([c]) => c !== clip)
      .map(([, s]) => Date.parse(s));
    if (d.change === 'skipped') {
      assert.is(bookings, before, 'a skip books nothing');
      continue;
    }
    const slot = Date.parse(slotOf(d) as string);
    if (d.reason.startsWith('unchanged')) continue;
    assert.ok(validAt(slot, others, rules), `step ${i}: ${d.change} at an invalid slot`);
    assert.is(slot % (5 * 60_000), 0, 'on the 5-minute grid');
    const from = Math.ceil(Math.max(wanted, now) / 300_000) * 300_000;
    assert.ok(slot >= from, `step ${i}: before the recommended time`);
    for (let t = from; t < slot; t += 300_000) {
      assert.not.ok(validAt(t, others, rules), `step ${i}: ${new Date(t).toISOString()} was free`);
    }
  }
  assert.ok(
    outcomes.scheduled >= 30 && outcomes.rescheduled >= 30 && outcomes.skipped > 0,
    `every kind of decision was exercised: ${JSON.stringify(outcomes)}`,
  );
});

test.run();
