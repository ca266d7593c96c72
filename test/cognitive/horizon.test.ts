// Horizon's machine on its own (design §10: machine tests are pure): runtime-shaped events, a
// simulated clock passed as `now`, timers fired by hand, every emitted message contract-checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import {
  type HorizonGoals,
  type HorizonOptions,
  horizonKind,
  horizonMachine,
  nextGoodStart,
  resolveHorizon,
  slotWeights,
} from '../../actors/cognitive/horizon/index.ts';
import {
  type ContractName,
  type ContractType,
  deriveMsgId,
  formatViolation,
  type HorizonGuidance,
  subjects,
  validateContract,
} from '../../protocols/index.ts';
import type { MessageEvent, PublishEmit, RuntimeEmit, TimerSetEmit } from '../../runtime/index.ts';
import { example } from '../protocols/examples.ts';

const T0 = Date.parse('2026-11-02T08:00:00.000Z');
const DAY = 86_400_000;
const uuid = (seed: string) => deriveMsgId(seed, 0);
let n = 0;

const GOALS: HorizonGoals = {
  goal_window: '2026-W45',
  topic_mix: { sourdough: 0.5, pastry: 0.3, bread: 0.2 },
  posts_per_day: 3,
  preferred_windows: [{ start: '17:00', end: '20:00' }],
};

function message<N extends ContractName>(
  type: N,
  payload: ContractType<N>,
  now = T0,
): MessageEvent<N> {
  const v = validateContract(type, payload);
  assert.ok(
    v.ok,
    `test input must be a valid ${type}: ${v.ok ? '' : v.violations.map(formatViolation)}`,
  );
  const seed = `${type}|${n++}`;
  return {
    type,
    payload,
    meta: {
      msg_id: uuid(`msg|${seed}`),
      trace_id: uuid(`trace|${seed}`),
      site_id: 'site-a',
      _meta_parents: [],
      emitted_at: new Date(now).toISOString(),
      stardust_id: uuid(`packet|${seed}`),
    },
    now,
  };
}

function promotion(topic: string | undefined, clip = uuid(`clip|${n}`), now = T0) {
  const p = example('ClipPromotion');
  p.clip_id = clip;
  if (topic) p.topic = topic;
  else delete p.topic;
  return message('ClipPromotion', p, now);
}

function booking(
  clip: string,
  slot: string | undefined,
  change: 'scheduled' | 'rescheduled' | 'skipped',
  now = T0,
) {
  return message(
    'ScheduleChange',
    { clip_id: clip, channel: 'bakery-main', change, ...(slot ? { slot } : {}), reason: 'test' },
    now,
  );
}

function start(o: Partial<HorizonOptions> = {}) {
  const actor = createActor(horizonMachine({ goals: GOALS, ...o }));
  const out: RuntimeEmit[] = [];
  actor.on('*', (e) => {
    out.push(e as RuntimeEmit);
  });
  actor.start();
  const run = (event: unknown) => {
    const from = out.length;
    actor.send(event as Parameters<typeof actor.send>[0]);
    const got = out.slice(from);
    for (const e of got) {
      if (e.type !== 'omniva.publish') continue;
      const v = validateContract(e.contract, e.payload);
      assert.ok(
        v.ok,
        `invalid ${e.contract}: ${v.ok ? '' : v.violations.map(formatViolation).join('; ')}`,
      );
    }
    return got;
  };
  return {
    send: (e: MessageEvent) => run(e),
    fire: (t: TimerSetEmit) => run({ ...t.event, now: t.at }),
    context: () => actor.getSnapshot().context,
  };
}

const publishes = (es: RuntimeEmit[]) =>
  es.filter((e): e is PublishEmit => e.type === 'omniva.publish');
/** The one guidance among the emits. */
function guidanceOf(es: RuntimeEmit[]): HorizonGuidance {
  const ps = publishes(es);
  assert.is(ps.length, 1, 'one guidance per trigger');
  assert.is(ps[0]?.name, 'guidance');
  assert.is(ps[0]?.contract, 'HorizonGuidance');
  return ps[0]?.payload as HorizonGuidance;
}
const timers = (es: RuntimeEmit[]) =>
  es.filter((e): e is TimerSetEmit => e.type === 'omniva.timer.set');

// ---- guidance ------------------------------------------------------------------------------

test('horizon - the first promotion brings guidance tagged with the goal window', () => {
  const h = start();
  const ev = promotion('sourdough');
  const out = h.send(ev);
  assert.equal(guidanceOf(out), {
    guidance_id: deriveMsgId(ev.meta.msg_id, 0),
    goal_window: '2026-W45',
    // sourdough: 100 % against 50 %; the others: 0 % against their targets.
    topic_weights: { sourdough: -1, pastry: 0.6, bread: 0.4 },
    slot_weights: [{ start: '17:00', end: '20:00', weight: 1 }],
    posts_per_day: 3,
    drift: [],
  });
  assert.equal(publishes(out)[0]?.parents, [ev.meta.stardust_id]);
  assert.equal(timers(out), [
    { type: 'omniva.timer.set', id: 'daily', at: T0 + DAY, event: { type: 'daily' } },
  ]);
});

test('horizon - weights are positive under target, negative over it, and engagement lifts performers', () => {
  const h = start({
    goals: { ...GOALS, engagement: { sourdough: 100, pastry: 50, vlog: 200 } },
  });
  for (const t of ['sourdough', 'sourdough', 'pastry', 'pastry', 'pastry']) h.send(promotion(t));
  const g = guidanceOf(h.send(promotion('bread')));
  // 6 clips: sourdough 2/6, pastry 3/6, bread 1/6; lift = 0.2 × engagement / 200.
  assert.equal(g.topic_weights, {
    sourdough: 0.433, // 2 × (0.5 − 0.333) + 0.1
    pastry: -0.35, // 2 × (0.3 − 0.5) + 0.05
    bread: 0.067, // 2 × (0.2 − 0.167)
    vlog: 0.2, // no target, no clips, the best engagement
  });
});

test('horizon - over-indexing on one topic raises a drift warning (Example 3)', () => {
  const h = start();
  // Two clips are not yet a mix: no judgement before min_clips (3).
  assert.equal(guidanceOf(h.send(promotion('pastry'))).drift, []);
  assert.equal(guidanceOf(h.send(promotion('pastry'))).drift, []);
  const g = guidanceOf(h.send(promotion('sourdough')));
  assert.equal(g.drift, [
    {
      topic: 'pastry',
      share: 0.667,
      target: 0.3,
      warning:
        'pastry is 67 % of 3 promoted clips against a 30 % target: over-indexed, favour other topics',
    },
  ]);
  assert.ok(
    g.topic_weights.pastry !== undefined && g.topic_weights.pastry < 0,
    'its weight is lowered',
  );
});

test('horizon - a share exactly 0.15 above target is not drift; a topic outside the mix is', () => {
  const h = start({ goals: { ...GOALS, topic_mix: { a: 0.35, b: 0.65 } } });
  for (const t of ['a', 'b', 'a']) h.send(promotion(t));
  // a: 2 of 4 = 50 % against 35 %, exactly +0.15 (0.15000000000000002 in floating point): fine.
  assert.equal(guidanceOf(h.send(promotion('b'))).drift, []);
  // Then a topic outside the mix (target 0) takes 2 of 7.
  h.send(promotion('b'));
  h.send(promotion(undefined)); // no topic: the first keyword, "sourdough"
  const g = guidanceOf(h.send(promotion(undefined)));
  assert.equal(
    g.drift.map((d) => [d.topic, d.share, d.target]),
    [['sourdough', 0.286, 0]],
  );
});

test('horizon - a repeated promotion of one clip is counted once', () => {
  const h = start();
  const p = promotion('bread', uuid('the-clip'));
  h.send(p);
  h.send({ ...p, meta: { ...p.meta, msg_id: uuid('again') } });
  assert.equal(h.context().promoted, { bread: 1 });
});

// ---- schedule (Use Case 3) -----------------------------------------------------------------

test('horizon - a booking outside every preferred window is named with the window to move it to', () => {
  const h = start();
  const clip = uuid('clip-late');
  h.send(promotion('bread', clip));
  const ev = booking(clip, '2026-11-02T21:30:00Z', 'scheduled');
  const out = h.send(ev);
  const g = guidanceOf(out);
  assert.equal(g.drift, [
    {
      topic: 'bread',
      share: 1,
      target: 0.2,
      warning: `clip ${clip} is booked at 2026-11-02T21:30:00.000Z on bakery-main, outside every preferred window: shift it to 17:00–20:00 UTC (next 2026-11-03T17:00:00.000Z)`,
    },
  ]);
  assert.equal(publishes(out)[0]?.parents, [ev.meta.stardust_id]);
  // Still named by the next guidance, citing the booking, until it moves.
  const other = h.send(promotion('sourdough'));
  assert.is(guidanceOf(other).drift.length, 1);
  assert.ok(publishes(other)[0]?.parents?.includes(ev.meta.stardust_id as string));
  // Moved into the window: no more warning.
  assert.equal(guidanceOf(h.send(booking(clip, '2026-11-03T17:30:00Z', 'rescheduled'))).drift, []);
  assert.equal(h.context().off, []);
});

test('horizon - a skipped or past booking is no longer named; an in-window one never is', () => {
  const h = start();
  const [a, b] = [uuid('ca'), uuid('cb')];
  assert.equal(guidanceOf(h.send(booking(a, '2026-11-02T18:00:00Z', 'scheduled'))).drift, []);
  assert.is(guidanceOf(h.send(booking(b, '2026-11-02T09:00:00Z', 'scheduled'))).drift.length, 1);
  assert.equal(guidanceOf(h.send(booking(b, undefined, 'skipped'))).drift, []);
  h.send(booking(b, '2026-11-02T09:00:00Z', 'scheduled'));
  const later = guidanceOf(h.send(promotion('bread', uuid('cc'), T0 + 2 * 3_600_000)));
  assert.equal(later.drift, [], 'the slot has passed: nothing left to shift');
  assert.equal(h.context().off, []);
});

test('horizon - slot weights: preferred windows 1, engagement windows relative, 24:00 as 00:00', () => {
  const goals: HorizonGoals = {
    ...GOALS,
    preferred_windows: [{ start: '20:00', end: '24:00' }],
    slot_engagement: [
      { start: '20:00', end: '24:00', engagement: 10 },
      { start: '07:00', end: '09:00', engagement: 40 },
      { start: '12:00', end: '13:00', engagement: 10 },
    ],
  };
  assert.equal(slotWeights(goals), [
    { start: '20:00', end: '00:00', weight: 1 },
    { start: '07:00', end: '09:00', weight: 1 },
    { start: '12:00', end: '13:00', weight: 0.25 },
  ]);
  const slots = slotWeights(goals);
  // 13:30 is outside every good window (12:00–13:00 weighs too little to count).
  assert.equal(nextGoodStart(slots, Date.parse('2026-11-02T13:30:00Z')), {
    at: '2026-11-02T20:00:00.000Z',
    window: '20:00–00:00',
  });
  const h = start({ goals });
  assert.equal(
    guidanceOf(h.send(booking(uuid('x'), '2026-11-02T23:30:00Z', 'scheduled'))).drift,
    [],
  );
  assert.equal(
    guidanceOf(h.send(booking(uuid('y'), '2026-11-02T08:00:00Z', 'scheduled'))).drift,
    [],
  );
  assert.is(
    guidanceOf(h.send(booking(uuid('z'), '2026-11-02T12:30:00Z', 'scheduled'))).drift.length,
    1,
  );
});

// ---- cadence and goals ---------------------------------------------------------------------

test('horizon - the daily timer republishes the guidance and re-arms itself', () => {
  const h = start();
  const armed = timers(h.send(promotion('bread')))[0] as TimerSetEmit;
  assert.equal(timers(h.send(promotion('bread'))), [], 'armed once');
  const out = h.fire(armed);
  const g = guidanceOf(out);
  assert.is(g.guidance_id, deriveMsgId(`horizon.daily.${T0 + DAY}`, 0));
  assert.equal(g.topic_weights, { sourdough: 1, pastry: 0.6, bread: -1 });
  assert.equal(publishes(out)[0]?.parents, []);
  assert.equal(
    timers(out).map((t) => t.at),
    [T0 + 2 * DAY],
  );
});

test('horizon - a new goal window starts the count afresh', () => {
  const ctx = (() => {
    const h = start();
    h.send(promotion('pastry'));
    h.send(promotion('pastry'));
    return h.context();
  })();
  const actor = createActor(horizonMachine({ goals: { ...GOALS, goal_window: '2026-W46' } }), {
    snapshot: {
      status: 'active',
      context: ctx,
      value: {},
      children: {},
      historyValue: {},
    } as never,
  });
  const out: RuntimeEmit[] = [];
  actor.on('*', (e) => {
    out.push(e as RuntimeEmit);
  });
  actor.start();
  actor.send(promotion('bread') as never);
  const g = guidanceOf(out);
  assert.is(g.goal_window, '2026-W46');
  assert.equal(
    actor.getSnapshot().context.promoted,
    { bread: 1 },
    'the old window’s clips are not counted',
  );
});

test('horizon - bad goals are refused at construction', () => {
  const bad = (goals: Partial<HorizonGoals>) => () =>
    resolveHorizon({ goals: { ...GOALS, ...goals } });
  assert.throws(bad({ goal_window: '' }), /goal_window/);
  assert.throws(bad({ topic_mix: { a: 0.8, b: 0.4 } }), /more than 1/);
  assert.throws(bad({ topic_mix: { a: -0.1 } }), /0\.\.1/);
  assert.throws(bad({ posts_per_day: 1.5 }), /posts_per_day/);
  assert.throws(bad({ preferred_windows: [{ start: '25:00', end: '26:00' }] }), /HH:MM/);
  assert.throws(bad({ preferred_windows: [{ start: '10:00', end: '10:00' }] }), /empty/);
  assert.throws(bad({ engagement: { a: -1 } }), /engagement/);
  assert.not.throws(bad({ preferred_windows: [{ start: '22:00', end: '02:00' }] }));
});

test('horizon - one instance reads promotions and schedule changes', () => {
  const kind = horizonKind({ goals: GOALS });
  assert.is(kind.name, 'horizon');
  assert.is(kind.key?.({} as never), 'main');
  assert.equal([...kind.accepts].sort(), ['ClipPromotion', 'ScheduleChange']);
  assert.equal(kind.work?.filter('site-a'), [
    subjects.adv('site-a', 'zenith', 'promotion'),
    subjects.evtAny('site-a', 'scheduled'),
    subjects.evtAny('site-a', 'rescheduled'),
    subjects.evtAny('site-a', 'skipped'),
  ]);
});

test.run();
