import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { place } from '../../actors/cognitive/index.ts';
import type { TimerSetEmit } from '../../runtime/index.ts';
import {
  arbitrations,
  type CommandEmit,
  commands,
  decisions,
  editJob,
  failedOnA,
  iso,
  JOB,
  O,
  plan,
  readiness,
  request,
  start,
  status,
  T0,
  timers,
  uuid,
} from '../support/zenith-kit.ts';

test('zenith - place picks the first instance that is neither quarantined nor avoided', () => {
  const ctx = (quarantined: string[], paused: string[] = []) => ({ quarantined, paused });
  assert.is(place(O, ctx([]), 'editor'), 'a');
  assert.is(place(O, ctx(['editor/a']), 'editor'), 'b');
  assert.is(place(O, ctx(['editor/a', 'editor/b']), 'editor'), 'c');
  assert.is(place(O, ctx([]), 'editor', ['a']), 'b');
  assert.is(place(O, ctx(['editor/b']), 'editor', ['a']), 'c');
  assert.is(place(O, ctx(['editor/a', 'editor/b', 'editor/c']), 'editor'), undefined);
  assert.is(place(O, ctx(['narrator/a']), 'editor'), 'a', 'slots are per worker kind');
  assert.is(place(O, ctx([]), 'narrator'), undefined, 'an unknown worker has no instance');
  assert.is(place(O, ctx([], ['editor']), 'editor'), undefined, 'a paused queue takes nothing');
  assert.is(
    place(O, ctx([], ['*']), 'editor'),
    undefined,
    'nor does any queue under a pause of all',
  );
  assert.is(place(O, ctx([], ['narrator']), 'editor'), 'a', 'pauses are per worker kind');
});

// ---- requests ------------------------------------------------------------------------------

test('zenith - a WorkRequest issues one command to the first healthy instance, with evidence', () => {
  const z = start();
  const req = request(T0);
  const out = z.send(req);
  assert.equal(
    out.map((e) => e.type),
    ['omniva.publish', 'omniva.command', 'omniva.timer.set'],
    'arbitration, then command, then the first cycle',
  );
  const [cmd] = commands(out);
  assert.equal(cmd, {
    type: 'omniva.command',
    worker: 'editor',
    instance: 'a',
    contract: 'EditJob',
    payload: editJob(JOB),
    evidence: [req.meta.stardust_id as string],
    rollback: cmd?.rollback as CommandEmit['rollback'],
  });
  assert.is(cmd?.rollback.action, 'cancel');
  assert.ok(cmd?.rollback.notes.includes(JOB), 'the rollback names the job');

  const [issue] = arbitrations(out);
  assert.equal(issue?.a, {
    decision: 'issue',
    job_key: JOB,
    worker: 'editor',
    instance: 'a',
    accepted: [{ module: 'operator', ref: req.payload.request_id }],
    rejected: [],
    reason: 'placed on a, the first healthy editor',
    at: iso(T0),
  });
  assert.equal(issue?.parents, [req.meta.stardust_id]);
  assert.equal(timers(out), [
    { type: 'omniva.timer.set', id: 'cycle', at: T0 + O.cycleMs, event: { type: 'cycle' } },
  ]);
  const job = z.context().jobs[JOB];
  assert.is(job?.status, 'issued');
  assert.is(job?.instance, 'a');
  assert.is(job?.attempts, 1);
});

test('zenith - a WorkRequest skips quarantined instances', () => {
  const z = start();
  assert.equal(z.send(readiness(T0, 'a', 'quarantined')), [], 'quarantine by readiness is silent');
  assert.equal(z.context().quarantined, ['editor/a']);
  const out = z.send(request(T0 + 1));
  assert.is(commands(out)[0]?.instance, 'b');
  assert.is(arbitrations(out)[0]?.a.instance, 'b');
});

test('zenith - a repeated request for the same job_key does nothing', () => {
  const z = start();
  z.send(request(T0));
  const before = z.context();
  assert.equal(z.send(request(T0 + 5, {}, { seed: 'again' })), []);
  assert.equal(z.send(request(T0 + 6, { worker: 'narrator' }, { seed: 'other' })), []);
  assert.equal(z.context(), before);
});

test('zenith - the cycle timer is armed once, by the first issued request', () => {
  const z = start();
  assert.is(timers(z.send(request(T0))).length, 1);
  const second = z.send(request(T0 + 1, { job_key: uuid('job-2') }));
  assert.is(commands(second).length, 1);
  assert.equal(timers(second), [], 'already armed');
});

test('zenith - a request that is not in the ledger is abandoned, naming why', () => {
  const z = start();
  const req = request(T0, {}, { recorded: false });
  const out = z.send(req);
  assert.equal(commands(out), [], 'no evidence, no command');
  assert.equal(timers(out), []);
  const [x] = arbitrations(out);
  assert.equal(x?.a, {
    decision: 'abandon',
    job_key: JOB,
    worker: 'editor',
    accepted: [],
    rejected: [
      { module: 'operator', ref: req.payload.request_id, why: 'the request is not in the ledger' },
    ],
    reason: 'the request is not in the ledger',
    at: iso(T0),
  });
  assert.equal(x?.parents, []);
  assert.equal(z.context().jobs, {}, 'nothing is remembered');
  // Once recorded, the same job can be asked for again.
  assert.is(commands(z.send(request(T0 + 1, {}, { seed: 'recorded' }))).length, 1);
});

test('zenith - a request with no healthy instance is abandoned, naming why', () => {
  const z = start();
  for (const i of ['a', 'b', 'c']) z.send(readiness(T0, i, 'quarantined'));
  const req = request(T0 + 1);
  const out = z.send(req);
  assert.equal(commands(out), []);
  const [x] = arbitrations(out);
  assert.is(x?.a.decision, 'abandon');
  assert.is(x?.a.reason, 'no editor instance can take work');
  assert.equal(x?.a.rejected, [
    { module: 'operator', ref: req.payload.request_id, why: 'no editor instance can take work' },
  ]);
  assert.equal(x?.parents, [req.meta.stardust_id]);

  const unknown = z.send(request(T0 + 2, { job_key: uuid('job-2'), worker: 'narrator' }));
  assert.is(arbitrations(unknown)[0]?.a.reason, 'no narrator instance can take work');
  assert.equal(commands(unknown), []);
});

// ---- failures and Eclipse's plans ------------------------------------------------------------

test('zenith - a failure and a reroute plan quarantine, reroute and retry on another instance', () => {
  const { z, failure } = failedOnA();
  const now = T0 + 2_000;
  const p = plan(now, { delay_ms: 800 });
  const out = z.send(p);
  const cites = [failure.meta.stardust_id, p.meta.stardust_id];
  assert.equal(commands(out), [], 'nothing is issued before the delay');
  assert.equal(decisions(out), ['quarantine', 'reroute']);
  const [q, r] = arbitrations(out);
  assert.equal(q?.a, {
    decision: 'quarantine',
    job_key: JOB,
    worker: 'editor',
    instance: 'a',
    accepted: [{ module: 'eclipse', ref: p.payload.plan_id }],
    rejected: [],
    reason: 'no more work on editor/a until Eclipse signals it ready',
    at: iso(now),
  });
  assert.equal(q?.parents, cites, 'the quarantine cites the failure and the plan');
  assert.is(r?.a.instance, 'b');
  assert.equal(r?.a.accepted, [{ module: 'eclipse', ref: p.payload.plan_id }]);
  assert.ok(r?.a.reason.includes('attempt 2 on b in 800 ms'), r?.a.reason);
  assert.equal(r?.parents, cites, 'the reroute cites the failure and the plan');
  assert.equal(timers(out), [
    {
      type: 'omniva.timer.set',
      id: `retry-${JOB}`,
      at: now + 800,
      event: { type: 'retry', job: JOB },
    },
  ]);
  assert.equal(z.context().quarantined, ['editor/a']);
  assert.is(z.context().jobs[JOB]?.status, 'waiting');

  const retried = z.fire(timers(out)[0]!);
  assert.is(retried.length, 1, 'exactly one command, nothing else');
  const [cmd] = commands(retried);
  assert.is(cmd?.instance, 'b');
  assert.is(cmd?.contract, 'EditJob');
  assert.equal(cmd?.payload, editJob(JOB), 'the same job, unchanged');
  assert.ok(cmd?.evidence.includes(failure.meta.stardust_id as string), 'cites the failure');
  assert.ok(cmd?.evidence.includes(p.meta.stardust_id as string), 'cites the plan');
  assert.is(cmd?.rollback.action, 'cancel');
  const job = z.context().jobs[JOB];
  assert.is(job?.status, 'issued');
  assert.is(job?.attempts, 2);
  assert.equal(z.fire(timers(out)[0]!), [], 'a second firing issues nothing more');
});

test('zenith - a retry plan reissues on the same instance after the delay', () => {
  const { z } = failedOnA();
  const p = plan(T0 + 2_000, {
    action: 'retry',
    quarantine: false,
    avoid_instances: [],
    delay_ms: 1_234,
  });
  const out = z.send(p);
  assert.equal(decisions(out), ['retry']);
  assert.is(arbitrations(out)[0]?.a.instance, 'a');
  assert.equal(z.context().quarantined, []);
  const [t] = timers(out);
  assert.is(t?.at, T0 + 2_000 + 1_234);
  assert.is(commands(z.fire(t!))[0]?.instance, 'a');
});

test('zenith - a DONE resolves the job, citing the done event', () => {
  const { z } = failedOnA();
  const [t] = timers(z.send(plan(T0 + 2_000)));
  z.fire(t!);
  const done = status(T0 + 9_000, { instance: 'b', status: 'DONE' });
  const out = z.send(done);
  assert.equal(commands(out), []);
  const [x] = arbitrations(out);
  assert.equal(x?.a, {
    decision: 'resolve',
    job_key: JOB,
    worker: 'editor',
    instance: 'b',
    accepted: [{ module: 'editor-b', ref: done.meta.msg_id }],
    rejected: [],
    reason: 'editor/b finished after 2 attempt(s)',
    at: iso(T0 + 9_000),
  });
  assert.equal(x?.parents, [done.meta.stardust_id]);
  assert.is(z.context().jobs[JOB]?.status, 'done');
});

test('zenith - progress statuses neither resolve nor fail a job', () => {
  const z = start();
  z.send(request(T0));
  for (const s of ['PENDING', 'RUNNING'] as const) {
    assert.equal(z.send(status(T0 + 1, { instance: 'a', status: s })), [], s);
  }
  assert.is(z.context().jobs[JOB]?.status, 'issued');
});

test('zenith - an abandon plan abandons the job and nothing more is issued', () => {
  const { z, failure } = failedOnA();
  const p = plan(T0 + 2_000, {
    action: 'abandon',
    classification: 'deterministic',
    error_code: 'bad_command',
    quarantine: false,
    avoid_instances: [],
    delay_ms: 0,
    notes: 'bad_command is deterministic: the same command would fail again',
  });
  const out = z.send(p);
  assert.equal(timers(out), []);
  assert.equal(commands(out), []);
  const [x] = arbitrations(out);
  assert.equal(x?.a, {
    decision: 'abandon',
    job_key: JOB,
    worker: 'editor',
    accepted: [{ module: 'eclipse', ref: p.payload.plan_id }],
    rejected: [],
    reason: 'bad_command is deterministic: the same command would fail again',
    at: iso(T0 + 2_000),
  });
  assert.equal(x?.parents, [failure.meta.stardust_id, p.meta.stardust_id]);
  assert.is(z.context().jobs[JOB]?.status, 'abandoned');
  assert.equal(z.context().quarantined, []);
  assert.equal(z.send({ type: 'retry', job: JOB, now: T0 + 3_000 }), [], 'no retry revives it');
  assert.equal(z.send(plan(T0 + 4_000, { action: 'retry' })), [], 'nor a later plan');
});

test('zenith - an abandon plan with a quarantine records both', () => {
  const { z } = failedOnA();
  const out = z.send(plan(T0 + 2_000, { action: 'abandon', delay_ms: 0, attempt: 4 }));
  assert.equal(decisions(out), ['quarantine', 'abandon']);
  assert.equal(z.context().quarantined, ['editor/a']);
  assert.is(z.context().jobs[JOB]?.status, 'abandoned');
});

test('zenith - a reroute with no instance left abandons the job, naming why', () => {
  const { z } = failedOnA({ ...O, workers: { editor: ['a'] } });
  const p = plan(T0 + 2_000);
  const out = z.send(p);
  assert.equal(decisions(out), ['quarantine', 'abandon']);
  assert.equal(timers(out), []);
  const abandon = arbitrations(out)[1]?.a;
  assert.equal(abandon?.rejected, [
    { module: 'eclipse', ref: p.payload.plan_id, why: 'no editor instance left to reroute on' },
  ]);
  assert.is(abandon?.reason, 'every instance is quarantined or to be avoided');
  assert.is(z.context().jobs[JOB]?.status, 'abandoned');
});

test('zenith - a plan for an unknown or not-failed job is ignored', () => {
  const z = start();
  assert.equal(z.send(plan(T0, { job_key: uuid('nobody') })), [], 'unknown job');
  z.send(request(T0 + 1));
  const issued = z.context();
  assert.equal(z.send(plan(T0 + 2)), [], 'the job is running, not failed');
  assert.equal(z.context(), issued, 'not even the quarantine is applied');

  const { z: w } = failedOnA();
  w.send(plan(T0 + 2_000));
  const waiting = w.context();
  assert.equal(w.send(plan(T0 + 2_100, { failed_instance: 'b' })), [], 'already waiting');
  assert.equal(w.context(), waiting);
});

test('zenith - a cancelled run leaves the job failed, and a retry plan runs it again', () => {
  const z = start();
  z.send(request(T0));
  assert.equal(z.send(status(T0 + 1_000, { instance: 'a', status: 'CANCELLED' })), []);
  assert.is(z.context().jobs[JOB]?.status, 'failed');
  const out = z.send(
    plan(T0 + 2_000, { action: 'retry', quarantine: false, avoid_instances: [], delay_ms: 10 }),
  );
  assert.equal(decisions(out), ['retry']);
  assert.is(commands(z.fire(timers(out)[0]!))[0]?.instance, 'a');
});

test('zenith - a plan naming another worker than the job is ignored', () => {
  const { z } = failedOnA();
  const failed = z.context();
  assert.equal(z.send(plan(T0 + 2_000, { worker: 'uploader' })), []);
  assert.equal(z.context(), failed, 'nothing quarantined or placed');
});

test('zenith - a retry timer for a job that is not waiting does nothing', () => {
  const z = start();
  assert.equal(z.send({ type: 'retry', job: uuid('nobody'), now: T0 }), []);
  z.send(request(T0 + 1));
  assert.equal(z.send({ type: 'retry', job: JOB, now: T0 + 2 }), [], 'issued, not waiting');
  assert.is(z.context().jobs[JOB]?.attempts, 1);
});

test('zenith - status events from an instance the job is not on are ignored', () => {
  const z = start();
  z.send(request(T0));
  const before = z.context();
  assert.equal(z.send(status(T0 + 1, { instance: 'b' })), [], 'ERROR from another instance');
  assert.equal(z.send(status(T0 + 2, { instance: 'b', status: 'DONE' })), [], 'DONE from b');
  assert.equal(
    z.send(status(T0 + 3, { instance: 'a', worker: 'narrator' })),
    [],
    'same instance name, other worker',
  );
  assert.equal(z.send(status(T0 + 4, { instance: 'a', job: uuid('other-job') })), []);
  assert.equal(z.context(), before);

  // After a reroute to b, a late word from a changes nothing either.
  const { z: r } = failedOnA();
  r.fire(timers(r.send(plan(T0 + 2_000)))[0]!);
  const rerouted = r.context();
  assert.equal(r.send(status(T0 + 5_000, { instance: 'a', status: 'DONE' })), []);
  assert.equal(r.context(), rerouted);
});

// ---- readiness and cycle -------------------------------------------------------------------

test('zenith - a released instance takes work again, and the release is recorded', () => {
  const z = start();
  z.send(readiness(T0, 'a', 'quarantined'));
  assert.is(commands(z.send(request(T0 + 1)))[0]?.instance, 'b');
  const released = readiness(T0 + 2, 'a', 'released');
  const out = z.send(released);
  assert.equal(commands(out), []);
  const [x] = arbitrations(out);
  assert.equal(x?.a, {
    decision: 'release',
    worker: 'editor',
    instance: 'a',
    accepted: [{ module: 'eclipse', ref: released.meta.msg_id }],
    rejected: [],
    reason: 'a released by eclipse',
    at: iso(T0 + 2),
  });
  assert.equal(x?.parents, [released.meta.stardust_id]);
  assert.equal(z.context().quarantined, []);
  assert.is(commands(z.send(request(T0 + 3, { job_key: uuid('job-2') })))[0]?.instance, 'a');
  assert.equal(
    z.send(readiness(T0 + 4, 'b', 'released')),
    [],
    'releasing a healthy instance records nothing',
  );
});

test('zenith - the cycle re-arms itself and counts cycles', () => {
  const z = start();
  let t: TimerSetEmit = { type: 'omniva.timer.set', id: 'cycle', at: T0, event: { type: 'cycle' } };
  for (let n = 1; n <= 3; n++) {
    const out = z.fire(t);
    assert.equal(out, [
      { type: 'omniva.timer.set', id: 'cycle', at: t.at + O.cycleMs, event: { type: 'cycle' } },
    ]);
    assert.is(z.context().cycles, n);
    t = timers(out)[0]!;
  }
});

// ---- pause and resume ----------------------------------------------------------------------

test.run();
