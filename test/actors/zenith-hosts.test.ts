// Zenith's placement by host state, on the pure machine: instances are named by their host,
// Eclipse's HostState marks a host degraded or offline, and new work goes elsewhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { place, zenithMachine } from '../../actors/cognitive/index.ts';
import type { HostState } from '../../protocols/index.ts';
import type { MessageEvent } from '../../runtime/index.ts';
import {
  arbitrations,
  commands,
  decisions,
  failedOnA,
  iso,
  JOB,
  message,
  O,
  plan,
  readiness,
  request,
  start,
  status,
  T0,
  timers,
  uuid,
  type ZenithEvent,
} from '../support/zenith-kit.ts';

function hostState(
  now: number,
  host: string,
  state: HostState['state'],
  reason = `${host} ${state}`,
): MessageEvent<'HostState'> {
  return message('HostState', { host_id: host, state, reason, since: iso(now) }, now);
}

test('zenith hosts - place skips instances on unavailable hosts', () => {
  const blocked = { state: 'offline' as const, reason: 'silent', ref: 'r' };
  const ctx = { quarantined: [], paused: [], unavailable: { a: blocked } };
  assert.is(place(O, ctx, 'editor'), 'b');
  assert.is(place(O, { ...ctx, unavailable: { a: blocked, b: blocked } }, 'editor'), 'c');
  assert.is(
    place(O, { ...ctx, unavailable: { a: blocked, b: blocked, c: blocked } }, 'editor'),
    undefined,
  );
  assert.is(place(O, { quarantined: [], paused: [] }, 'editor'), 'a', 'no host states: as before');
});

test('zenith hosts - with a degraded, new work is placed on b and the decision says why', () => {
  const z = start();
  const degraded = hostState(T0, 'a', 'degraded', 'degraded: load 3.1 per cpu is above 2');
  assert.equal(z.send(degraded), [], 'a host state alone decides nothing');
  assert.equal(z.context().unavailable?.a?.state, 'degraded');
  const req = request(T0 + 1);
  const out = z.send(req);
  const [cmd] = commands(out);
  assert.is(cmd?.instance, 'b');
  const [a] = arbitrations(out);
  assert.equal(a?.a, {
    decision: 'issue',
    job_key: JOB,
    worker: 'editor',
    instance: 'b',
    accepted: [
      { module: 'operator', ref: req.payload.request_id },
      { module: 'eclipse', ref: degraded.meta.msg_id },
    ],
    rejected: [],
    reason:
      'placed on b, the first healthy editor; passed over a degraded (degraded: load 3.1 per cpu is above 2)',
    at: iso(T0 + 1),
  });
  assert.equal(cmd?.evidence, [req.meta.stardust_id, degraded.meta.stardust_id]);
});

test('zenith hosts - an offline host takes nothing until it is healthy again', () => {
  const z = start();
  z.send(hostState(T0, 'a', 'offline'));
  assert.is(commands(z.send(request(T0 + 1)))[0]?.instance, 'b');
  z.send(hostState(T0 + 2, 'a', 'healthy'));
  assert.equal(z.context().unavailable, {});
  const next = z.send(request(T0 + 3, { job_key: uuid('job-2') }));
  assert.is(commands(next)[0]?.instance, 'a', 'back in placement order');
});

test('zenith hosts - when every instance is unavailable the job is held, and issued on recovery', () => {
  const z = start({ ...O, workers: { editor: ['a', 'b'] } });
  z.send(hostState(T0, 'a', 'offline'));
  z.send(hostState(T0 + 1, 'b', 'degraded'));
  const held = z.send(request(T0 + 2));
  assert.equal(commands(held), [], 'nothing is issued');
  assert.equal(decisions(held), ['queue']);
  assert.ok(
    arbitrations(held)[0]?.a.reason.includes('a offline (a offline), b degraded (b degraded)'),
  );
  assert.is(z.context().jobs[JOB]?.status, 'queued');

  assert.equal(
    z.send(hostState(T0 + 3, 'a', 'degraded')),
    [],
    'offline → degraded: still unusable',
  );
  const recovered = hostState(T0 + 4, 'b', 'healthy', 'the host reports healthy again');
  const out = z.send(recovered);
  assert.equal(decisions(out), ['issue']);
  const [cmd] = commands(out);
  assert.is(cmd?.instance, 'b');
  assert.ok(cmd?.evidence.includes(recovered.meta.stardust_id as string), 'cites the recovery');
  assert.equal(arbitrations(out)[0]?.a.accepted, [
    { module: 'eclipse', ref: recovered.meta.msg_id },
  ]);
  assert.is(z.context().jobs[JOB]?.status, 'issued');
  assert.is(z.context().jobs[JOB]?.attempts, 1);
  assert.equal(
    timers(out).map((t) => t.id),
    ['cycle'],
    'the control cycle is armed',
  );
});

test('zenith hosts - a held job is not issued to a paused queue when its host recovers', () => {
  const z = start({ ...O, workers: { editor: ['a'] } });
  z.send(hostState(T0, 'a', 'offline'));
  z.send(request(T0 + 1));
  z.send(
    message(
      'QueueDirective',
      { worker: 'editor', state: 'paused', reason: 'x', source: 'eclipse' },
      T0 + 2,
    ),
  );
  assert.equal(commands(z.send(hostState(T0 + 3, 'a', 'healthy'))), []);
  const resumed = z.send(
    message(
      'QueueDirective',
      { worker: 'editor', state: 'resumed', reason: 'y', source: 'eclipse' },
      T0 + 4,
    ),
  );
  assert.is(commands(resumed)[0]?.instance, 'a');
});

test('zenith hosts - a retry whose every instance went unavailable waits instead of being abandoned', () => {
  const { z } = failedOnA({ ...O, workers: { editor: ['a', 'b'] } });
  const [t] = timers(z.send(plan(T0 + 2_000))); // reroute to b after a backoff
  assert.ok(t);
  z.send(hostState(T0 + 2_100, 'b', 'offline'));
  const out = z.fire(t);
  assert.equal(commands(out), []);
  assert.equal(decisions(out), ['queue']);
  assert.is(z.context().jobs[JOB]?.status, 'queued');
  const back = z.send(hostState(T0 + 9_000, 'b', 'healthy'));
  const [cmd] = commands(back);
  assert.is(cmd?.instance, 'b');
  assert.is(z.context().jobs[JOB]?.attempts, 2, 'the retry is the second attempt');
});

test('zenith hosts - a plan with no usable host holds the job; the failed instance is not retried there', () => {
  const { z } = failedOnA({ ...O, workers: { editor: ['a', 'b'] } });
  z.send(hostState(T0 + 1_500, 'a', 'degraded'));
  z.send(hostState(T0 + 1_600, 'b', 'degraded'));
  const out = z.send(plan(T0 + 2_000, { action: 'retry', quarantine: false, avoid_instances: [] }));
  assert.equal(commands(out), []);
  assert.equal(decisions(out), ['queue']);
  assert.is(z.context().jobs[JOB]?.status, 'queued');
  assert.equal(timers(out), [], 'no retry timer: the job waits for a host');
});

test('zenith hosts - a released instance takes a job held for hosts', () => {
  const z = start({ ...O, workers: { editor: ['a', 'b'] } });
  z.send(readiness(T0, 'a', 'quarantined'));
  z.send(hostState(T0 + 1, 'b', 'offline'));
  assert.equal(decisions(z.send(request(T0 + 2))), ['queue']);
  const out = z.send(readiness(T0 + 3, 'a', 'released'));
  assert.equal(decisions(out), ['release', 'issue']);
  assert.is(commands(out)[0]?.instance, 'a');
});

test('zenith hosts - a snapshot from before host states restores and takes them', () => {
  const old = start();
  old.send(request(T0));
  old.send(status(T0 + 1, { instance: 'a', status: 'DONE' }));
  const persisted = old.actor.getPersistedSnapshot() as unknown as {
    context: Record<string, unknown>;
  };
  assert.not.ok('unavailable' in persisted.context, 'older snapshots have no host states');
  const actor = createActor(zenithMachine(O), { snapshot: persisted as never });
  const emitted: unknown[] = [];
  actor.on('*', (e) => {
    emitted.push(e);
  });
  actor.start();
  assert.is(actor.getSnapshot().context.jobs[JOB]?.status, 'done');
  actor.send(request(T0 + 2, { job_key: uuid('job-2') }) as ZenithEvent);
  actor.send(hostState(T0 + 3, 'a', 'offline') as ZenithEvent);
  actor.send(request(T0 + 4, { job_key: uuid('job-3') }) as ZenithEvent);
  const cmds = commands(emitted as Parameters<typeof commands>[0]);
  assert.equal(
    cmds.map((c) => c.instance),
    ['a', 'b'],
  );
});

test.run();
