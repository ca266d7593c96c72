// The scheduler machine on its own (design §10: pure, simulated clock): orders are delivered
// as the runtime delivers them and every emitted message must pass its contract.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import {
  type SchedulerContext,
  type SchedulerOptions,
  schedulerKind,
  schedulerMachine,
} from '../../actors/workers/scheduler/index.ts';
import {
  deriveMsgId,
  makeEnvelope,
  type ScheduleChange,
  type ScheduleOrder,
  subjects,
  validateContract,
  type WorkerStatus,
} from '../../protocols/index.ts';
import type { MessageEvent, PublishEmit, RuntimeEmit } from '../../runtime/index.ts';

const T0 = Date.parse('2026-11-02T08:00:00.000Z');
const at = (hhmm: string, day = 0) =>
  new Date(Date.parse(`2026-11-02T${hhmm}:00.000Z`) + day * 86_400_000).toISOString();
const uuid = (seed: string) => deriveMsgId(seed, 0);
const OPTS: SchedulerOptions = {
  instance: 'sched-1',
  rules: {
    '*': { min_spacing_minutes: 60, max_per_day: 3, windows: [{ start: '17:00', end: '21:00' }] },
    shorts: { max_per_day: 1 },
  },
};

function order(
  clip: string,
  recommended_time: string,
  o: { channel?: string; source?: 'zenith' | 'operator_override'; goal?: string } = {},
): ScheduleOrder {
  return {
    task: {
      clip_id: uuid(clip),
      recommended_time,
      priority: 0.5,
      horizon_adjustment: 0,
      final_decision_source: o.source ?? 'zenith',
    },
    channel: o.channel ?? 'main',
    ...(o.goal ? { goal_window: o.goal } : {}),
  };
}

let n = 0;
function event(payload: ScheduleOrder, now = T0, recorded = true): MessageEvent<'ScheduleOrder'> {
  const v = validateContract('ScheduleOrder', payload);
  assert.ok(v.ok, `test input must be a valid ScheduleOrder: ${JSON.stringify(v)}`);
  n++;
  return {
    type: 'ScheduleOrder',
    payload,
    meta: {
      msg_id: uuid(`msg-${n}`),
      trace_id: uuid(`trace-${n}`),
      site_id: 'site-a',
      _meta_parents: [],
      emitted_at: new Date(now).toISOString(),
      ...(recorded ? { stardust_id: uuid(`packet-${n}`) } : {}),
    },
    now,
  };
}

/** A started machine; `send` returns what it emitted, each checked against its contract. */
function start(o: SchedulerOptions = OPTS) {
  const actor = createActor(schedulerMachine(o));
  let out: RuntimeEmit[] = [];
  actor.on('*', (e) => out.push(e as RuntimeEmit));
  actor.start();
  return {
    send(e: MessageEvent<'ScheduleOrder'>): PublishEmit[] {
      out = [];
      actor.send(e);
      for (const x of out) {
        assert.is(x.type, 'omniva.publish');
        const p = x as PublishEmit;
        const v = validateContract(p.contract, p.payload);
        assert.ok(v.ok, `emitted ${p.contract} must be valid: ${JSON.stringify(v)}`);
      }
      return out as PublishEmit[];
    },
    context: () => actor.getSnapshot().context as SchedulerContext,
  };
}

const change = (e: PublishEmit | undefined) => e?.payload as ScheduleChange;
const statusOf = (e: PublishEmit | undefined) => e?.payload as WorkerStatus;

test('scheduler machine - an order publishes its change and a DONE status, derived from the command packet', () => {
  const s = start();
  const e = event(order('a', at('17:02'), { goal: 'weekday-evenings' }));
  const out = s.send(e);
  assert.equal(
    out.map((x) => [x.channel, x.name, x.contract]),
    [
      ['evt', 'scheduled', 'ScheduleChange'],
      ['evt', 'status', 'WorkerStatus'],
    ],
  );
  assert.equal(change(out[0]), {
    clip_id: uuid('a'),
    channel: 'main',
    change: 'scheduled',
    slot: at('17:05'),
    reason: change(out[0]).reason,
    goal_window: 'weekday-evenings',
  });
  assert.equal(statusOf(out[1]), {
    job_id: uuid('a'),
    worker: 'scheduler',
    instance_id: 'sched-1',
    status: 'DONE',
    progress: 1,
    detail: change(out[0]).reason,
    updated_at: new Date(T0).toISOString(),
  });
  for (const x of out) assert.equal(x.parents, [e.meta.stardust_id]);
  assert.equal(s.context(), { bookings: { [uuid('a')]: at('17:05') } });
  const unrecorded = s.send(event(order('b', at('17:00')), T0, false));
  assert.equal(unrecorded[0]?.parents, [], 'no packet, no parents');
});

test('scheduler machine - a reschedule names the previous slot; a skip publishes no slot', () => {
  const s = start();
  s.send(event(order('a', at('17:00'))));
  const moved = s.send(event(order('a', at('18:30', 1))));
  assert.is(moved[0]?.name, 'rescheduled');
  assert.equal(
    [change(moved[0]).slot, change(moved[0]).previous_slot],
    [at('18:30', 1), at('17:00')],
  );
  const far = s.send(event(order('b', at('17:00', 30))));
  assert.is(far[0]?.name, 'skipped');
  assert.is(change(far[0]).slot, undefined);
  assert.ok(change(far[0]).reason.includes('horizon_days (14)'));
  assert.is(statusOf(far[1]).status, 'DONE', 'a skip is a finished decision, not an error');
  assert.equal(Object.keys(s.context().bookings), [uuid('a')]);
});

test('scheduler machine - an override conflict publishes only a scheduler_fault and books nothing', () => {
  const s = start();
  s.send(event(order('a', at('17:00'))));
  const before = s.context();
  const out = s.send(event(order('b', at('17:30'), { source: 'operator_override' })));
  assert.is(out.length, 1, 'no ScheduleChange for a fault');
  assert.is(out[0]?.name, 'status');
  const st = statusOf(out[0]);
  assert.is(st.status, 'ERROR');
  assert.is(st.job_id, uuid('b'));
  assert.is(st.error?.code, 'scheduler_fault');
  assert.is(st.error?.retryable, false);
  assert.ok(st.error?.message.includes('min_spacing_minutes (60)'), st.error?.message);
  assert.equal(s.context(), before);
});

test('scheduler machine - per-channel rules apply and old bookings leave the context', () => {
  const s = start();
  s.send(event(order('a', at('17:00'), { channel: 'shorts' })));
  const next = s.send(event(order('b', at('17:00'), { channel: 'shorts' })));
  assert.is(change(next[0]).slot, at('17:00', 1), 'shorts posts once a day');
  assert.ok(change(next[0]).reason.includes('max_per_day (1)'));
  const later = T0 + 3 * 86_400_000;
  s.send(event(order('c', at('17:00', 3), { channel: 'shorts' }), later));
  assert.equal(
    Object.keys(s.context().bookings),
    [uuid('c')],
    'bookings more than a day in the past are pruned',
  );
});

test('scheduler machine - a bad instance id or bad rules fail when the worker is built', () => {
  assert.throws(() => schedulerMachine({ instance: 'a.b' }), /subject token/);
  assert.throws(
    () => schedulerMachine({ instance: 'a', rules: { windows: [{ start: '7pm', end: '9pm' }] } }),
    /HH:MM/,
  );
});

test('scheduler kind - one instance per channel, fed from the shared cmd.scheduler queue', () => {
  const kind = schedulerKind(OPTS);
  assert.is(kind.name, 'scheduler');
  assert.equal(kind.accepts, ['ScheduleOrder']);
  assert.is(kind.work?.filter('site-a'), subjects.cmd('site-a', 'scheduler'));
  const env = makeEnvelope({
    type: 'ScheduleOrder',
    site_id: 'site-a',
    payload: order('a', at('17:00'), { channel: 'gaming' }),
  });
  assert.is(kind.key?.(env), 'gaming');
});

test.run();
