// Zenith's machine on its own (design §5, §10: machine tests are pure). Requests, worker
// statuses and Eclipse's advice are delivered as the runtime delivers them, time is a simulated
// clock passed as `now`, timers are fired by hand at their deadline, and every emitted message,
// command stamp included, must pass its contract.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { place, type ZenithOptions, zenithMachine } from '../../actors/cognitive/index.ts';
import {
  type Arbitration,
  type ContractName,
  type ContractType,
  deriveMsgId,
  formatViolation,
  type InstanceReadiness,
  type RecoveryPlan,
  validateContract,
  type WorkerStatus,
  type WorkRequest,
} from '../../protocols/index.ts';
import type { MessageEvent, PublishEmit, RuntimeEmit, TimerSetEmit } from '../../runtime/index.ts';

const SITE = 'site-a';
const T0 = Date.parse('2026-11-02T08:00:00.000Z');
const iso = (t: number) => new Date(t).toISOString();
/** A stable v4-shaped uuid per seed, so runs are reproducible. */
const uuid = (seed: string) => deriveMsgId(seed, 0);

const O: ZenithOptions = { workers: { editor: ['a', 'b', 'c'] }, cycleMs: 30_000 };
const JOB = uuid('job-1');

/** A message event as the runtime hands it to the machine; `recorded: false` leaves out the Stardust id. */
function message<N extends ContractName>(
  type: N,
  payload: ContractType<N>,
  now: number,
  opts: { recorded?: boolean; seed?: string } = {},
): MessageEvent<N> {
  const v = validateContract(type, payload);
  assert.ok(v.ok, `test input must be a valid ${type}: ${JSON.stringify(v)}`);
  const seed = `${type}|${opts.seed ?? ''}|${JSON.stringify(payload)}|${now}`;
  return {
    type,
    payload,
    meta: {
      msg_id: uuid(`msg|${seed}`),
      trace_id: uuid(`trace|${seed}`),
      site_id: SITE,
      _meta_parents: [],
      emitted_at: iso(now),
      ...(opts.recorded === false ? {} : { stardust_id: uuid(`stardust|${seed}`) }),
    },
    now,
  };
}

const editJob = (job: string) => ({
  clip_id: job,
  operations: ['cut', 'reframe'],
  ffmpeg_commands: [],
  gpu_required: true,
  estimated_duration: 20,
});

function request(
  now: number,
  r: Partial<WorkRequest> = {},
  opts: { recorded?: boolean; seed?: string } = {},
): MessageEvent<'WorkRequest'> {
  const job = r.job_key ?? JOB;
  return message(
    'WorkRequest',
    {
      request_id: uuid(`request|${job}|${opts.seed ?? ''}`),
      job_key: job,
      worker: 'editor',
      contract: 'EditJob',
      payload: editJob(job),
      requested_by: 'operator',
      ...r,
    },
    now,
    opts,
  );
}

function status(
  now: number,
  s: { instance: string; status?: WorkerStatus['status']; job?: string; worker?: string },
  opts: { recorded?: boolean } = {},
): MessageEvent<'WorkerStatus'> {
  const st = s.status ?? 'ERROR';
  return message(
    'WorkerStatus',
    {
      job_id: s.job ?? JOB,
      worker: s.worker ?? 'editor',
      instance_id: s.instance,
      status: st,
      updated_at: iso(now),
      ...(st === 'ERROR'
        ? { error: { code: 'gpu_starvation' as const, message: 'GPU memory', retryable: true } }
        : {}),
    },
    now,
    opts,
  );
}

/** A RecoveryPlan as Eclipse would publish it; a reroute with quarantine of `a` by default. */
function plan(
  now: number,
  p: Partial<RecoveryPlan> = {},
  opts: { recorded?: boolean } = {},
): MessageEvent<'RecoveryPlan'> {
  const job = p.job_key ?? JOB;
  return message(
    'RecoveryPlan',
    {
      plan_id: uuid(`plan|${job}|${now}`),
      job_key: job,
      worker: 'editor',
      failed_instance: 'a',
      error_code: 'gpu_starvation',
      classification: 'transient',
      action: 'reroute',
      attempt: 1,
      max_attempts: 4,
      delay_ms: 800,
      quarantine: true,
      avoid_instances: ['a'],
      remediation: ['restart_required'],
      notes: 'gpu_starvation: 3 consecutive failures on a; move the job elsewhere',
      ...p,
    },
    now,
    opts,
  );
}

function readiness(
  now: number,
  instance: string,
  state: InstanceReadiness['state'],
): MessageEvent<'InstanceReadiness'> {
  return message(
    'InstanceReadiness',
    { worker: 'editor', instance, state, reason: `${instance} ${state} by eclipse`, at: iso(now) },
    now,
  );
}

/** Fails unless the emit is well formed: payload valid, and a command's authority stamp too. */
function checkEmit(e: RuntimeEmit): void {
  if (e.type === 'omniva.publish' || e.type === 'omniva.command') {
    const v = validateContract(e.contract, e.payload);
    assert.ok(
      v.ok,
      `zenith emitted an invalid ${e.contract}: ${v.ok ? '' : v.violations.map(formatViolation).join('; ')}`,
    );
  }
  if (e.type === 'omniva.command') {
    // What the runtime stamps on the command from the emit (runtime/internal/step.ts).
    const stamp = { epoch: 1, issued_by: 'zenith-1', evidence: e.evidence, rollback: e.rollback };
    const v = validateContract('ZenithCommandMeta', stamp);
    assert.ok(
      v.ok,
      `zenith emitted a command with an invalid stamp: ${v.ok ? '' : v.violations.map(formatViolation).join('; ')}`,
    );
  }
  if (e.type === 'omniva.timer.set') {
    assert.ok(Number.isFinite(e.at), 'a timer has an absolute deadline');
    assert.type(e.event.type, 'string');
  }
}

type Emits = RuntimeEmit[];
type CommandEmit = Extract<RuntimeEmit, { type: 'omniva.command' }>;
type ZenithEvent = Parameters<
  ReturnType<typeof createActor<ReturnType<typeof zenithMachine>>>['send']
>[0];

function start(o: ZenithOptions = O) {
  const actor = createActor(zenithMachine(o));
  const out: Emits = [];
  actor.on('*', (e) => {
    out.push(e as RuntimeEmit);
  });
  actor.start();
  /** Sends one event and returns what it emitted, each emit checked unless `check` is false. */
  const send = (event: ZenithEvent, check = true): Emits => {
    const from = out.length;
    actor.send(event);
    const got = out.slice(from);
    if (check) for (const e of got) checkEmit(e);
    return got;
  };
  /** Fires a timer the machine armed, at its deadline, as the runtime does. */
  const fire = (t: TimerSetEmit, check = true): Emits =>
    send({ ...t.event, now: t.at } as ZenithEvent, check);
  return { actor, out, send, fire, context: () => actor.getSnapshot().context };
}

const commands = (es: Emits) => es.filter((e): e is CommandEmit => e.type === 'omniva.command');
const timers = (es: Emits) => es.filter((e): e is TimerSetEmit => e.type === 'omniva.timer.set');
const arbitrations = (es: Emits) =>
  es
    .filter((e): e is PublishEmit => e.type === 'omniva.publish')
    .map((e) => {
      assert.is(e.channel, 'adv');
      assert.is(e.name, 'arbitration');
      assert.is(e.contract, 'Arbitration');
      return { a: e.payload as Arbitration, parents: e.parents ?? [] };
    });
const decisions = (es: Emits) => arbitrations(es).map((x) => x.a.decision);

/** The job scheduled on a failed instance: request → command to a → ERROR from a. */
function failedOnA(o: ZenithOptions = O) {
  const z = start(o);
  const req = request(T0);
  z.send(req);
  const failure = status(T0 + 1_000, { instance: 'a' });
  assert.equal(z.send(failure), [], 'a failure alone decides nothing: Zenith waits for advice');
  assert.is(z.context().jobs[JOB]?.status, 'failed');
  return { z, req, failure };
}

// ---- placement -----------------------------------------------------------------------------

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

function directive(
  now: number,
  state: 'paused' | 'resumed',
  worker?: string,
): MessageEvent<'QueueDirective'> {
  return message(
    'QueueDirective',
    { state, reason: `alice: ${state}`, source: 'eclipse', ...(worker ? { worker } : {}) },
    now,
  );
}

test('zenith - a paused queue holds a request, and a resume issues it', () => {
  const z = start();
  const pause = directive(T0, 'paused', 'editor');
  const paused = z.send(pause);
  const [p] = arbitrations(paused);
  assert.equal(p?.a, {
    decision: 'pause',
    worker: 'editor',
    accepted: [{ module: 'eclipse', ref: pause.meta.msg_id }],
    rejected: [],
    reason: 'alice: paused',
    at: iso(T0),
  });
  assert.equal(p?.parents, [pause.meta.stardust_id]);
  assert.equal(z.context().paused, ['editor']);

  const req = request(T0 + 1);
  const held = z.send(req);
  assert.equal(commands(held), [], 'nothing is issued to a paused queue');
  assert.equal(decisions(held), ['queue']);
  assert.is(z.context().jobs[JOB]?.status, 'queued');
  assert.equal(z.send(request(T0 + 2, {}, { seed: 'again' })), [], 'a queued job is not re-queued');

  const resume = directive(T0 + 3, 'resumed', 'editor');
  const out = z.send(resume);
  assert.equal(decisions(out), ['resume', 'issue']);
  const [cmd] = commands(out);
  assert.is(cmd?.instance, 'a');
  assert.equal(cmd?.evidence, [req.meta.stardust_id, resume.meta.stardust_id]);
  assert.equal(z.context().paused, []);
  assert.is(z.context().jobs[JOB]?.status, 'issued');
});

test('zenith - a pause of every queue is lifted by a resume of every queue', () => {
  const z = start();
  z.send(directive(T0, 'paused'));
  assert.equal(z.context().paused, ['*']);
  assert.equal(decisions(z.send(request(T0 + 1))), ['queue']);
  assert.equal(decisions(z.send(directive(T0 + 2, 'resumed'))), ['resume', 'issue']);
  assert.equal(z.context().paused, []);
});

// ---- determinism ---------------------------------------------------------------------------

test('zenith - identical event sequences give identical emits', () => {
  const script = () => {
    const z = start();
    z.send(request(T0));
    z.send(request(T0 + 10, { job_key: uuid('job-2') }));
    z.send(status(T0 + 1_000, { instance: 'a' }));
    const [t] = timers(z.send(plan(T0 + 1_100)));
    z.fire(t!);
    z.send({ type: 'cycle', now: T0 + 30_000 });
    z.send(status(T0 + 31_000, { instance: 'b', status: 'DONE' }));
    z.send(readiness(T0 + 40_000, 'a', 'released'));
    z.send(request(T0 + 41_000, {}, { recorded: false, seed: 'x' }));
    return { out: z.out, context: z.context() };
  };
  const first = script();
  assert.ok(first.out.length >= 12, 'the script exercises every kind of emit');
  assert.equal(script(), first);
});

// ---- defects found while writing these tests ---------------------------------------------------

// The `retry` handler issues to the instance chosen when the plan arrived. If that instance is
// quarantined during the delay, the command still goes there, against "no work is placed there".
test('zenith - a delayed retry is not issued to an instance quarantined while it waited', () => {
  const { z } = failedOnA();
  const [t] = timers(z.send(plan(T0 + 2_000))); // reroute to b in 800 ms
  assert.is(z.context().jobs[JOB]?.instance, 'b');
  z.send(readiness(T0 + 2_100, 'b', 'quarantined')); // b fails other jobs meanwhile
  const out = z.fire(t!);
  for (const cmd of commands(out)) {
    assert.is.not(cmd.instance, 'b', 'no command to a quarantined instance');
    assert.not.ok(z.context().quarantined.includes(`${cmd.worker}/${cmd.instance}`));
  }
  assert.is(commands(out)[0]?.instance, 'c', 'placed again, on the next healthy instance');
});

// Zenith refuses a request that is not in the ledger, but not a plan: with an unrecorded failure
// and an unrecorded plan the retry command has no evidence, which ZenithCommandMeta forbids
// (minItems 1). The runtime throws OMNIVA_ERR_EMIT_INVALID on the timer step, keeps the timer
// and retries it forever, escalating each time the restart budget runs out.
test('zenith - a retry is never issued without evidence', () => {
  const z = start();
  z.send(request(T0));
  z.send(status(T0 + 1_000, { instance: 'a' }, { recorded: false }));
  const out = z.send(plan(T0 + 2_000, {}, { recorded: false }));
  const t = timers(out)[0];
  const retried = t ? z.fire(t, false) : [];
  for (const cmd of commands(retried)) {
    assert.ok(cmd.evidence.length > 0, 'a command names the Stardust packets it is based on');
  }
  if (commands(retried).length === 0) {
    assert.ok(
      decisions([...out, ...retried]).includes('abandon'),
      'refused, and the refusal recorded, like an unrecorded request',
    );
  }
});

// Zenith trusts WorkRequest.contract and .payload: a payload that does not fit its contract (or a
// contract that does not exist) becomes an invalid command. The runtime rejects the emit
// (OMNIVA_ERR_EMIT_INVALID / OMNIVA_ERR_UNKNOWN_TYPE, not retryable) and dead-letters the
// request, so no Arbitration records the refusal.
test('zenith - a request that cannot become a valid command is abandoned, not issued', () => {
  const cases: [string, Partial<WorkRequest>][] = [
    ['payload that does not fit EditJob', { payload: { clip_id: JOB } }],
    ['contract that does not exist', { contract: 'NoSuchJob' }],
  ];
  for (const [what, r] of cases) {
    const z = start();
    const out = z.send(request(T0, r), false);
    assert.equal(commands(out), [], `${what}: no command`);
    assert.equal(decisions(out), ['abandon'], `${what}: the refusal is recorded`);
  }
});

// The `retry` timer issues without asking whether the queue was paused in the meantime, so a
// panic does not stop the jobs that were waiting out a backoff.
test('zenith - a delayed retry does not run while its queue is paused', () => {
  const { z } = failedOnA();
  const [t] = timers(z.send(plan(T0 + 2_000)));
  z.send(directive(T0 + 2_100, 'paused', 'editor'));
  assert.equal(commands(z.fire(t!)), [], 'the panic holds the retry too');
});

// Only the WorkRequest path arms the cycle. Jobs first issued by a resume leave it unarmed, so
// the heartbeat the cycle is for (stuck jobs, windows) never starts on such a site.
test('zenith - jobs issued by a resume arm the cycle too', () => {
  const z = start();
  z.send(directive(T0, 'paused'));
  z.send(request(T0 + 1));
  const out = z.send(directive(T0 + 2, 'resumed'));
  assert.is(commands(out).length, 1);
  assert.equal(timers(out), [
    { type: 'omniva.timer.set', id: 'cycle', at: T0 + 2 + O.cycleMs, event: { type: 'cycle' } },
  ]);
});

test.run();
