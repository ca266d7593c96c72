// The scheduler through the runtime on a real nats-server: orders on cmd.scheduler, changes
// and statuses on evt.scheduler.*, bookings in the channel's snapshot. The parallel test runs
// two hosts on one site so the channel's snapshot is written by both.
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Rules, schedulerKind } from '../../actors/workers/scheduler/index.ts';
import {
  type ScheduleChange,
  type ScheduleOrder,
  subjects,
  type WorkerStatus,
} from '../../protocols/index.ts';
import type { ActorHost } from '../../runtime/index.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { readRecord, waitIdle } from '../support/review-kit.ts';
import { connectSite, readStream, SITE, STREAMS, sendCommand, startHost } from '../support/site.ts';

const RULES: Partial<Rules> = {
  min_spacing_minutes: 60,
  max_per_day: 3,
  windows: [{ start: '17:00', end: '21:00' }],
  horizon_days: 14,
};
const DAY_MS = 86_400_000;
/** Tomorrow at HH:MM UTC: always ahead of the host's real clock. */
const tomorrow = (hhmm: string) =>
  new Date(
    (Math.floor(Date.now() / DAY_MS) + 1) * DAY_MS + Date.parse(`1970-01-01T${hhmm}:00Z`),
  ).toISOString();

let server: TestServer;
let nc: NatsConnection;

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
});

test.after(async () => {
  await nc.close();
  await server.cleanup();
});

function order(
  channel: string,
  recommended_time: string,
  source: 'zenith' | 'operator_override' = 'zenith',
): ScheduleOrder {
  return {
    task: {
      clip_id: crypto.randomUUID(),
      recommended_time,
      priority: 0.5,
      horizon_adjustment: 0,
      final_decision_source: source,
    },
    channel,
  };
}

const CHANGE_SUBJECTS = ['scheduled', 'rescheduled', 'skipped'].map((c) =>
  subjects.evt(SITE, 'scheduler', c),
);

/** ScheduleChange events of a channel, in stream order, with the subject each came on. */
async function changes(channel: string) {
  const all = await readStream(nc, STREAMS.evt, subjects.evtAll(SITE));
  return all
    .filter((m) => CHANGE_SUBJECTS.includes(m.subject))
    .map((m) => ({ subject: m.subject, ...(m.envelope.payload as ScheduleChange) }))
    .filter((c) => c.channel === channel);
}

async function statuses(clipIds: string[]) {
  const all = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'scheduler', 'status'));
  return all
    .map((m) => m.envelope.payload as WorkerStatus)
    .filter((s) => clipIds.includes(s.job_id));
}

async function bookings(channel: string): Promise<Record<string, string>> {
  const rec = await readRecord(nc, 'scheduler', channel);
  const context = rec?.machine.context as unknown as
    | { bookings: Record<string, string> }
    | undefined;
  return context?.bookings ?? {};
}

async function stopAll(...hosts: ActorHost[]) {
  await Promise.all(hosts.map((h) => h.drain()));
}

test('scheduler - an order through the host books a slot and publishes scheduled and DONE', async () => {
  const host = await startHost(nc, schedulerKind({ instance: 'a', rules: RULES }));
  try {
    const o = order('flow', tomorrow('17:02'));
    const sent = await sendCommand(nc, 'scheduler', 'ScheduleOrder', o);
    const [c] = await waitFor(async () => {
      const cs = await changes('flow');
      return cs.length > 0 ? cs : undefined;
    });
    assert.is(c?.subject, subjects.evt(SITE, 'scheduler', 'scheduled'));
    assert.equal([c?.clip_id, c?.slot], [o.task.clip_id, tomorrow('17:05')]);
    const [s] = await waitFor(async () => {
      const ss = await statuses([o.task.clip_id]);
      return ss.length > 0 ? ss : undefined;
    });
    assert.equal([s?.status, s?.worker, s?.instance_id], ['DONE', 'scheduler', 'a']);
    assert.equal(await bookings('flow'), { [o.task.clip_id]: tomorrow('17:05') });
    const evts = await readStream(nc, STREAMS.evt, subjects.evtAll(SITE));
    const mine = evts.filter((m) => m.envelope.causation_id === sent.msg_id);
    assert.equal(
      mine.map((m) => m.subject),
      [subjects.evt(SITE, 'scheduler', 'scheduled'), subjects.evt(SITE, 'scheduler', 'status')],
      'one change, then one status, for the order',
    );
  } finally {
    await stopAll(host);
  }
});

test('scheduler - two hosts and 20 concurrent orders for one channel: one slot per clip, no double booking', async () => {
  const ncB = await connectSite(server.url);
  const kind = (instance: string) => schedulerKind({ instance, rules: RULES });
  const a = await startHost(nc, kind('a'), { hostId: 'host-a' });
  const b = await startHost(ncB, kind('b'), { hostId: 'host-b' });
  try {
    const orders = Array.from({ length: 20 }, () => order('parallel', tomorrow('17:00')));
    await Promise.all(orders.map((o) => sendCommand(nc, 'scheduler', 'ScheduleOrder', o)));
    const got = await waitFor(async () => {
      const cs = await changes('parallel');
      return cs.length >= 20 ? cs : undefined;
    }, 30_000);
    await waitIdle(nc, 'scheduler', 30_000);
    const final = await changes('parallel');
    assert.is(final.length, got.length, 'nothing more arrived once the queue was idle');

    const ids = orders.map((o) => o.task.clip_id);
    assert.equal(
      final.map((c) => c.change),
      Array(20).fill('scheduled'),
      'every order scheduled, none skipped or moved',
    );
    assert.equal(final.map((c) => c.clip_id).sort(), [...ids].sort(), 'one event per clip');
    const slots = final.map((c) => Date.parse(c.slot as string)).sort((x, y) => x - y);
    assert.is(new Set(slots).size, 20, 'all slots distinct');
    for (let i = 1; i < slots.length; i++) {
      const gap = ((slots[i] as number) - (slots[i - 1] as number)) / 60_000;
      assert.ok(gap >= 60, `slots ${i - 1} and ${i} are ${gap} minutes apart`);
    }
    const perDay = new Map<string, number>();
    for (const t of slots) {
      const day = new Date(t).toISOString().slice(0, 10);
      perDay.set(day, (perDay.get(day) ?? 0) + 1);
    }
    for (const [day, count] of perDay) assert.ok(count <= 3, `${count} clips on ${day}`);

    const booked = await bookings('parallel');
    assert.equal(
      Object.fromEntries(Object.entries(booked).sort()),
      Object.fromEntries(final.map((c) => [c.clip_id, c.slot as string]).sort()),
      'the snapshot holds exactly the published bookings',
    );
    const done = await statuses(ids);
    assert.is(done.length, 20);
    assert.ok(done.every((s) => s.status === 'DONE'));
    assert.is(
      a.stats.processed + b.stats.processed,
      20,
      'each order applied once across both hosts',
    );
    // The point of the test: both hosts decided for the channel at the same time, and the
    // loser of each snapshot write re-decided on the winner's bookings.
    assert.ok(a.stats.processed > 0 && b.stats.processed > 0, 'both hosts took orders');
    assert.ok(a.stats.conflicts + b.stats.conflicts > 0, 'the hosts raced for the snapshot');
    assert.is(a.stats.dead_lettered + b.stats.dead_lettered, 0);
  } finally {
    await stopAll(a, b);
    await ncB.close();
  }
});

test('scheduler - a redelivered order and a repeated order do not book twice', async () => {
  let failedOnce = false;
  const host = await startHost(nc, schedulerKind({ instance: 'a', rules: RULES }), {
    hooks: {
      // The step is stored and published, then the ack is lost: JetStream redelivers.
      beforeAck: () => {
        if (failedOnce) return;
        failedOnce = true;
        throw new Error('injected: lost ack');
      },
    },
  });
  try {
    const o = order('dup', tomorrow('17:00'));
    const first = await sendCommand(nc, 'scheduler', 'ScheduleOrder', o);
    await waitFor(() => host.stats.duplicates >= 1, 10_000);
    await waitIdle(nc, 'scheduler');
    let cs = await changes('dup');
    assert.is(cs.length, 1, 'the redelivery published nothing new');
    // Zenith sends the same task again (a new message): the same slot, one booking.
    const second = await sendCommand(nc, 'scheduler', 'ScheduleOrder', o);
    cs = await waitFor(async () => {
      const x = await changes('dup');
      return x.length >= 2 ? x : undefined;
    });
    assert.ok(first.msg_id !== second.msg_id);
    assert.equal(
      cs.map((c) => [c.change, c.clip_id, c.slot]),
      [
        ['scheduled', o.task.clip_id, tomorrow('17:00')],
        ['scheduled', o.task.clip_id, tomorrow('17:00')],
      ],
    );
    assert.ok(cs[1]?.reason.startsWith('unchanged'), cs[1]?.reason);
    assert.equal(await bookings('dup'), { [o.task.clip_id]: tomorrow('17:00') });
    const next = order('dup', tomorrow('17:00'));
    await sendCommand(nc, 'scheduler', 'ScheduleOrder', next);
    const third = await waitFor(async () => (await changes('dup'))[2]);
    assert.is(third.slot, tomorrow('18:00'), 'the booking still holds its slot');
  } finally {
    await stopAll(host);
  }
});

test('scheduler - an override that conflicts with a booking yields scheduler_fault and no booking', async () => {
  const host = await startHost(nc, schedulerKind({ instance: 'a', rules: RULES }));
  try {
    const first = order('override', tomorrow('17:00'));
    await sendCommand(nc, 'scheduler', 'ScheduleOrder', first);
    await waitFor(async () => (await changes('override')).length === 1);
    const forced = order('override', tomorrow('17:30'), 'operator_override');
    await sendCommand(nc, 'scheduler', 'ScheduleOrder', forced);
    const [st] = await waitFor(async () => {
      const ss = await statuses([forced.task.clip_id]);
      return ss.length > 0 ? ss : undefined;
    });
    assert.is(st?.status, 'ERROR');
    assert.equal([st?.error?.code, st?.error?.retryable], ['scheduler_fault', false]);
    assert.ok(st?.error?.message.includes(first.task.clip_id), st?.error?.message);
    await waitIdle(nc, 'scheduler');
    assert.is((await changes('override')).length, 1, 'no change published for the fault');
    assert.equal(await bookings('override'), { [first.task.clip_id]: tomorrow('17:00') });
    assert.is(host.stats.dead_lettered, 0, 'a fault is a decision, not a poison message');
  } finally {
    await stopAll(host);
  }
});

test.run();
