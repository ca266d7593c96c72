// Eclipse's machine on its own (design §10: machine tests are pure). Events are shaped like the
// runtime delivers them, time is a simulated clock passed as `now`, timers are fired by hand at
// their deadline, and every emitted message must pass its contract.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import {
  DEFAULT_ECLIPSE,
  type EclipseOptions,
  eclipseMachine,
  jitter,
  retryDelay,
} from '../../actors/cognitive/index.ts';
import {
  deriveMsgId,
  formatViolation,
  type InstanceReadiness,
  type RecoveryPlan,
  validateContract,
  type WorkerErrorCode,
  type WorkerStatus,
} from '../../protocols/index.ts';
import type { MessageEvent, PublishEmit, RuntimeEmit, TimerSetEmit } from '../../runtime/index.ts';

const SITE = 'site-a';
const T0 = Date.parse('2026-11-02T08:00:00.000Z');
const iso = (t: number) => new Date(t).toISOString();
/** A stable v4-shaped uuid per seed, so runs are reproducible. */
const uuid = (seed: string) => deriveMsgId(seed, 0);

const JOB = uuid('job-1');
const jobs = (n: number) => Array.from({ length: n }, (_, i) => uuid(`job-${i + 100}`));

type StatusInput = {
  job?: string;
  worker?: string;
  instance: string;
  status?: WorkerStatus['status'];
  code?: WorkerErrorCode;
  now: number;
  /** false: the publisher did not record the message in the ledger. */
  recorded?: boolean;
};

/** A WorkerStatus event as the runtime hands it to the machine. */
function statusEvent(s: StatusInput): MessageEvent<'WorkerStatus'> {
  const job = s.job ?? JOB;
  const worker = s.worker ?? 'editor';
  const status = s.status ?? 'ERROR';
  const seed = `${job}|${worker}|${s.instance}|${status}|${s.code ?? ''}|${s.now}`;
  const payload: WorkerStatus = {
    job_id: job,
    worker,
    instance_id: s.instance,
    status,
    updated_at: iso(s.now),
    ...(status === 'ERROR'
      ? {
          error: {
            code: s.code ?? 'gpu_starvation',
            message: 'simulated failure',
            retryable: true,
          },
        }
      : {}),
  };
  const v = validateContract('WorkerStatus', payload);
  assert.ok(v.ok, `test input must be a valid WorkerStatus: ${JSON.stringify(v)}`);
  return {
    type: 'WorkerStatus',
    payload,
    meta: {
      msg_id: uuid(`msg|${seed}`),
      trace_id: uuid(`trace|${seed}`),
      site_id: SITE,
      _meta_parents: [],
      emitted_at: iso(s.now),
      ...(s.recorded === false ? {} : { stardust_id: uuid(`stardust|${seed}`) }),
    },
    now: s.now,
  };
}

/** Fails unless the emit is well formed and its payload passes its contract. */
function checkEmit(e: RuntimeEmit): void {
  if (e.type === 'omniva.publish' || e.type === 'omniva.command' || e.type === 'omniva.reply') {
    const v = validateContract(e.contract, e.payload);
    assert.ok(
      v.ok,
      `eclipse emitted an invalid ${e.contract}: ${v.ok ? '' : v.violations.map(formatViolation).join('; ')}`,
    );
  }
  if (e.type === 'omniva.timer.set') {
    assert.ok(Number.isFinite(e.at), 'a timer has an absolute deadline');
    assert.type(e.event.type, 'string');
  }
}

type Emits = RuntimeEmit[];

function start(o: EclipseOptions = DEFAULT_ECLIPSE) {
  const actor = createActor(eclipseMachine(o));
  const out: Emits = [];
  actor.on('*', (e) => {
    out.push(e as RuntimeEmit);
  });
  actor.start();
  /** Sends one event and returns what it emitted, each emit checked. */
  const send = (event: Parameters<typeof actor.send>[0]): Emits => {
    const from = out.length;
    actor.send(event);
    const got = out.slice(from);
    for (const e of got) checkEmit(e);
    return got;
  };
  /** Fires a timer the machine armed, at its deadline, as the runtime does. */
  const fire = (t: TimerSetEmit): Emits => {
    const from = out.length;
    actor.send({ ...t.event, now: t.at } as Parameters<typeof actor.send>[0]);
    const got = out.slice(from);
    for (const e of got) checkEmit(e);
    return got;
  };
  const fail = (s: StatusInput) => send(statusEvent(s));
  return { actor, out, send, fire, fail, context: () => actor.getSnapshot().context };
}

const publishes = (es: Emits, name: string) =>
  es.filter((e): e is PublishEmit => e.type === 'omniva.publish' && e.name === name);
const timers = (es: Emits) => es.filter((e): e is TimerSetEmit => e.type === 'omniva.timer.set');

/** The one RecoveryPlan among the emits. */
function planOf(es: Emits): RecoveryPlan {
  const plans = publishes(es, 'plan');
  assert.is(plans.length, 1, 'exactly one plan per failure');
  const p = plans[0]!;
  assert.is(p.channel, 'adv');
  assert.is(p.contract, 'RecoveryPlan');
  return p.payload as RecoveryPlan;
}

function readinessOf(es: Emits): InstanceReadiness[] {
  return publishes(es, 'readiness').map((p) => {
    assert.is(p.channel, 'adv');
    assert.is(p.contract, 'InstanceReadiness');
    return p.payload as InstanceReadiness;
  });
}

// ---- classification ------------------------------------------------------------------------

test('eclipse - a transient failure is retried after a backoff', () => {
  const e = start();
  const ev = statusEvent({ instance: 'a', code: 'gpu_starvation', now: T0 });
  const out = e.send(ev);
  assert.is(out.length, 1, 'one plan, no readiness, no timer');
  const plan = planOf(out);
  assert.equal(plan, {
    plan_id: deriveMsgId(ev.meta.msg_id, 0),
    job_key: JOB,
    worker: 'editor',
    failed_instance: 'a',
    error_code: 'gpu_starvation',
    classification: 'transient',
    action: 'retry',
    attempt: 1,
    max_attempts: DEFAULT_ECLIPSE.maxAttempts,
    delay_ms: retryDelay(DEFAULT_ECLIPSE, JOB, 1),
    quarantine: false,
    avoid_instances: [],
    remediation: ['restart_required'],
    notes: 'gpu_starvation is transient: retry after a backoff',
  });
  assert.ok(plan.delay_ms > 0);
});

test('eclipse - a deterministic failure is abandoned at once, with no delay', () => {
  const e = start();
  const plan = planOf(e.fail({ instance: 'a', code: 'bad_command', now: T0 }));
  assert.is(plan.classification, 'deterministic');
  assert.is(plan.action, 'abandon');
  assert.is(plan.delay_ms, 0);
  assert.is(plan.attempt, 1, 'abandoned on the first attempt, not after the budget');
  assert.is(plan.quarantine, false, 'a bad command is not the instance’s fault');
  assert.equal(plan.avoid_instances, []);
  assert.ok(plan.notes?.includes('deterministic'));
});

test('eclipse - every worker error code is classified, transient ones retried', () => {
  const transient: WorkerErrorCode[] = [
    'network_timeout',
    'rate_limited',
    'gpu_starvation',
    'resource_exhausted',
    'model_offline',
    'quota_exceeded',
  ];
  const deterministic: WorkerErrorCode[] = [
    'auth_failed',
    'media_corrupt',
    'checksum_mismatch',
    'transcript_missing',
    'bad_command',
    'content_violation',
    'scheduler_fault',
    'internal',
  ];
  for (const [i, code] of [...transient, ...deterministic].entries()) {
    // A fresh machine per code: no streak or attempt history interferes.
    const plan = planOf(start().fail({ job: uuid(`c-${i}`), instance: 'a', code, now: T0 }));
    const isTransient = transient.includes(code);
    assert.is(plan.error_code, code);
    assert.is(plan.classification, isTransient ? 'transient' : 'deterministic', code);
    assert.is(plan.action, isTransient ? 'retry' : 'abandon', code);
    assert.is(plan.delay_ms > 0, isTransient, `${code}: delay ${plan.delay_ms}`);
  }
});

// ---- backoff -------------------------------------------------------------------------------

test('eclipse - jitter is deterministic and stays within [0.5, 1)', () => {
  for (const seed of [...jobs(200), '', 'x', `${JOB}:1`]) {
    const j = jitter(seed);
    assert.ok(j >= 0.5 && j < 1, `jitter(${seed}) = ${j}`);
    assert.is(jitter(seed), j);
  }
});

test('eclipse - retryDelay grows exponentially with the attempt, jittered, up to the cap', () => {
  const o = { ...DEFAULT_ECLIPSE, baseDelayMs: 1_000, maxDelayMs: 60_000 };
  for (const job of jobs(50)) {
    let previous = 0;
    for (let n = 1; n <= 12; n++) {
      const exp = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (n - 1));
      const d = retryDelay(o, job, n);
      assert.ok(Number.isInteger(d), 'whole milliseconds (RecoveryPlan.delay_ms is an integer)');
      assert.ok(d >= Math.floor(exp * 0.5), `attempt ${n}: ${d} < half of ${exp}`);
      assert.ok(d <= exp, `attempt ${n}: ${d} > ${exp}`);
      assert.ok(d <= o.maxDelayMs, 'never above the cap');
      // Uncapped, the next window starts where the previous one ended: the delay never shrinks.
      if (o.baseDelayMs * 2 ** (n - 1) <= o.maxDelayMs) assert.ok(d >= previous);
      previous = d;
    }
  }
  // Deep into the attempts the cap holds for any job.
  for (const job of jobs(20)) assert.ok(retryDelay(o, job, 40) <= o.maxDelayMs);
});

test('eclipse - retryDelay is the same for the same job and attempt, and spreads different jobs', () => {
  const o = DEFAULT_ECLIPSE;
  assert.is(retryDelay(o, JOB, 3), retryDelay(o, JOB, 3));
  assert.is.not(
    retryDelay(o, JOB, 1) * 2,
    retryDelay(o, JOB, 2),
    'each attempt draws its own jitter',
  );
  const delays = jobs(50).map((j) => retryDelay(o, j, 1));
  assert.ok(new Set(delays).size >= 25, `50 jobs share ${new Set(delays).size} delays`);
  assert.ok(Math.max(...delays) - Math.min(...delays) >= 200, 'the retries spread out in time');
});

test('eclipse - a job’s plans follow its attempts: attempt n waits retryDelay(job, n)', () => {
  const o = { ...DEFAULT_ECLIPSE, quarantineAfter: 10, maxAttempts: 5 };
  const e = start(o);
  // Each failure on a different instance: no streak builds up.
  for (const [n, instance] of ['a', 'b', 'c', 'd'].entries()) {
    const plan = planOf(e.fail({ instance, now: T0 + n * 10_000 }));
    assert.is(plan.attempt, n + 1);
    assert.is(plan.action, 'retry');
    assert.is(plan.delay_ms, retryDelay(o, JOB, n + 1));
  }
  assert.equal(e.context().attempts, { [JOB]: 4 });
});

// ---- quarantine ----------------------------------------------------------------------------

test('eclipse - an instance is quarantined after N consecutive failures, not before', () => {
  const o = { ...DEFAULT_ECLIPSE, quarantineAfter: 3 };
  const e = start(o);
  const [j1, j2, j3, j4] = jobs(4) as [string, string, string, string];
  for (const [i, job] of [j1, j2].entries()) {
    const out = e.fail({ job, instance: 'a', now: T0 + i * 1_000 });
    const plan = planOf(out);
    assert.is(plan.quarantine, false, `failure ${i + 1} does not quarantine`);
    assert.is(plan.action, 'retry');
    assert.equal(readinessOf(out), []);
    assert.equal(timers(out), []);
  }
  assert.equal(e.context().quarantined, []);

  const now = T0 + 2_000;
  const third = statusEvent({ job: j3, instance: 'a', now });
  const out = e.send(third);
  const plan = planOf(out);
  assert.is(plan.quarantine, true);
  assert.is(plan.action, 'reroute', 'the job moves elsewhere');
  assert.equal(plan.avoid_instances, ['a']);
  assert.ok(plan.notes?.includes('3 consecutive failures on a'));
  assert.is(out.length, 3, 'plan, readiness and release timer');
  assert.equal(out[0]?.type, 'omniva.publish', 'the plan comes before the readiness signal');
  assert.equal(readinessOf(out), [
    {
      worker: 'editor',
      instance: 'a',
      state: 'quarantined',
      reason: plan.notes as string,
      at: iso(now),
    },
  ]);
  assert.equal(publishes(out, 'readiness')[0]?.parents, [third.meta.stardust_id]);
  assert.equal(timers(out), [
    {
      type: 'omniva.timer.set',
      id: 'release/editor/a',
      at: now + o.quarantineMs,
      event: { type: 'release', worker: 'editor', instance: 'a' },
    },
  ]);
  assert.equal(e.context().quarantined, ['editor/a']);

  // A fourth failure while quarantined: still advised away, but signalled only once.
  const again = e.fail({ job: j4, instance: 'a', now: now + 1_000 });
  assert.is(planOf(again).quarantine, true);
  assert.equal(readinessOf(again), [], 'the quarantine is signalled once');
  assert.equal(timers(again), [], 'the release timer is not pushed back');
});

test('eclipse - streaks are per instance: failures elsewhere do not quarantine an instance', () => {
  const e = start({ ...DEFAULT_ECLIPSE, quarantineAfter: 2 });
  const [j1, j2, j3] = jobs(3) as [string, string, string];
  assert.is(planOf(e.fail({ job: j1, instance: 'a', now: T0 })).quarantine, false);
  const b = e.fail({ job: j2, instance: 'b', now: T0 + 1 });
  assert.is(planOf(b).quarantine, false, "b's first failure");
  assert.equal(readinessOf(b), []);
  const other = e.fail({ job: j3, worker: 'narrator', instance: 'a', now: T0 + 2 });
  assert.is(planOf(other).quarantine, false, 'narrator/a is not editor/a');
  assert.equal(e.context().quarantined, []);
  const second = e.fail({ job: j3, instance: 'a', now: T0 + 3 });
  assert.is(planOf(second).quarantine, true, "a's second failure");
  assert.equal(e.context().quarantined, ['editor/a']);
});

test('eclipse - a deterministic failure never quarantines, even past the threshold', () => {
  const e = start({ ...DEFAULT_ECLIPSE, quarantineAfter: 2 });
  for (const [i, job] of jobs(4).entries()) {
    const out = e.fail({ job, instance: 'a', code: 'bad_command', now: T0 + i });
    assert.is(planOf(out).quarantine, false);
    assert.equal(readinessOf(out), []);
  }
  assert.equal(e.context().quarantined, []);
});

test('eclipse - the release timer signals the instance ready and resets its streak', () => {
  const o = { ...DEFAULT_ECLIPSE, quarantineAfter: 2, quarantineMs: 60_000 };
  const e = start(o);
  const [j1, j2, j3, j4, j5] = jobs(5) as [string, string, string, string, string];
  e.fail({ job: j1, instance: 'a', now: T0 });
  const timer = timers(e.fail({ job: j2, instance: 'a', now: T0 + 500 }))[0];
  assert.ok(timer, 'the quarantine armed a release timer');
  assert.is(timer.at, T0 + 500 + 60_000);

  const released = e.fire(timer);
  assert.is(released.length, 1);
  const [r] = readinessOf(released);
  assert.is(r?.state, 'released');
  assert.is(r?.worker, 'editor');
  assert.is(r?.instance, 'a');
  assert.is(r?.at, iso(timer.at), 'stamped with the simulated clock');
  assert.equal(e.context().quarantined, []);
  assert.is(e.context().streaks['editor/a'] ?? 0, 0);

  // A fresh streak: the first failure after release does not quarantine, the N-th does again.
  const after = e.fail({ job: j3, instance: 'a', now: timer.at + 1 });
  assert.is(planOf(after).quarantine, false);
  assert.is(planOf(after).action, 'retry');
  const requarantined = e.fail({ job: j4, instance: 'a', now: timer.at + 2 });
  assert.is(planOf(requarantined).quarantine, true);
  assert.is(readinessOf(requarantined)[0]?.state, 'quarantined', 'signalled again');
  assert.is(timers(requarantined)[0]?.at, timer.at + 2 + 60_000);

  // A quarantine of one instance does not touch another's streak.
  assert.is(planOf(e.fail({ job: j5, instance: 'b', now: timer.at + 3 })).quarantine, false);
});

test('eclipse - a DONE resets the instance’s streak and the job’s attempts', () => {
  const o = { ...DEFAULT_ECLIPSE, quarantineAfter: 3, maxAttempts: 3 };
  const e = start(o);
  e.fail({ instance: 'a', now: T0 });
  e.fail({ instance: 'a', now: T0 + 1 });
  assert.equal(e.context().streaks, { 'editor/a': 2 });
  assert.equal(e.context().attempts, { [JOB]: 2 });
  assert.equal(e.send(statusEvent({ instance: 'a', status: 'DONE', now: T0 + 2 })), []);
  assert.equal(e.context().streaks, {});
  assert.equal(e.context().attempts, {});

  // Without the reset this would be the third failure: quarantine, and the last attempt.
  const plan = planOf(e.fail({ instance: 'a', now: T0 + 3 }));
  assert.is(plan.attempt, 1);
  assert.is(plan.quarantine, false);
  assert.is(plan.action, 'retry');
  assert.is(plan.delay_ms, retryDelay(o, JOB, 1));
});

test('eclipse - a DONE of another job on the instance also ends its streak', () => {
  const e = start({ ...DEFAULT_ECLIPSE, quarantineAfter: 2 });
  const [j1, j2, j3] = jobs(3) as [string, string, string];
  e.fail({ job: j1, instance: 'a', now: T0 });
  e.send(statusEvent({ job: j2, instance: 'a', status: 'DONE', now: T0 + 1 }));
  assert.is(planOf(e.fail({ job: j3, instance: 'a', now: T0 + 2 })).quarantine, false);
  assert.equal(e.context().attempts, { [j1]: 1, [j3]: 1 }, 'other jobs keep their attempts');
});

test('eclipse - a job is abandoned once it has used its attempts', () => {
  const o = { ...DEFAULT_ECLIPSE, quarantineAfter: 100, maxAttempts: 3 };
  const e = start(o);
  const actions = ['a', 'b', 'c'].map((instance, n) => {
    const plan = planOf(e.fail({ instance, code: 'network_timeout', now: T0 + n * 1_000 }));
    assert.is(plan.attempt, n + 1);
    assert.is(plan.max_attempts, 3);
    return plan;
  });
  assert.equal(
    actions.map((p) => p.action),
    ['retry', 'retry', 'abandon'],
  );
  const last = actions[2]!;
  assert.is(last.classification, 'transient', 'still transient, but out of attempts');
  assert.is(last.delay_ms, 0);
  assert.ok(last.notes?.includes('3 of 3 attempts used'));
});

test('eclipse - the plan cites the failure it answers', () => {
  const e = start();
  const ev = statusEvent({ instance: 'a', now: T0 });
  const [plan] = publishes(e.send(ev), 'plan');
  assert.ok(ev.meta.stardust_id);
  assert.equal(plan?.parents, [ev.meta.stardust_id]);

  // An unrecorded failure still gets a plan, it just has nothing to cite.
  const unrecorded = publishes(
    e.fail({ job: uuid('job-2'), instance: 'b', now: T0 + 1, recorded: false }),
    'plan',
  );
  assert.equal(unrecorded[0]?.parents, []);
});

test('eclipse - statuses other than ERROR and DONE change nothing', () => {
  const e = start();
  e.fail({ instance: 'a', now: T0 });
  const before = e.context();
  for (const status of ['PENDING', 'RUNNING', 'CANCELLED', 'SKIPPED'] as const) {
    assert.equal(e.send(statusEvent({ instance: 'a', status, now: T0 + 1 })), [], status);
  }
  assert.equal(e.context(), before);
});

test('eclipse - identical event sequences give identical plans and signals', () => {
  const script = (o: EclipseOptions) => {
    const e = start(o);
    const [j1, j2] = jobs(2) as [string, string];
    e.fail({ job: j1, instance: 'a', now: T0 });
    e.fail({ job: j2, instance: 'a', now: T0 + 10 });
    e.fail({ job: j1, instance: 'b', code: 'rate_limited', now: T0 + 20 });
    e.send(statusEvent({ job: j1, instance: 'b', status: 'DONE', now: T0 + 30 }));
    const t = timers(e.fail({ job: j2, instance: 'a', code: 'model_offline', now: T0 + 40 }))[0];
    if (t) e.fire(t);
    e.fail({ job: j2, instance: 'a', code: 'bad_command', now: T0 + 50 });
    return { out: e.out, context: e.context() };
  };
  const o = { ...DEFAULT_ECLIPSE, quarantineAfter: 3 };
  const first = script(o);
  assert.ok(first.out.length >= 8, 'the script exercises plans, readiness and timers');
  assert.equal(script(o), first);
});

// ---- panic ---------------------------------------------------------------------------------

test('eclipse - a panic becomes a pause directive for Zenith, an all-clear a resume', () => {
  const e = start();
  const signal = (state: 'panic' | 'all_clear', worker?: string): MessageEvent<'PanicSignal'> => {
    const payload = {
      operator: 'alice',
      state,
      reason: 'bad renders',
      ...(worker ? { worker } : {}),
    };
    assert.ok(validateContract('PanicSignal', payload).ok);
    const seed = `panic|${state}|${worker ?? '*'}`;
    return {
      type: 'PanicSignal',
      payload,
      meta: {
        msg_id: uuid(`msg|${seed}`),
        trace_id: uuid(`trace|${seed}`),
        site_id: SITE,
        _meta_parents: [],
        emitted_at: iso(T0),
        stardust_id: uuid(`stardust|${seed}`),
      },
      now: T0,
    };
  };
  const panic = signal('panic', 'editor');
  const [d] = publishes(e.send(panic), 'directive');
  assert.is(d?.contract, 'QueueDirective');
  assert.is(d?.channel, 'adv');
  assert.equal(d?.payload, {
    worker: 'editor',
    state: 'paused',
    reason: 'alice: bad renders',
    source: 'eclipse',
  });
  assert.equal(d?.parents, [panic.meta.stardust_id]);
  const [all] = publishes(e.send(signal('all_clear')), 'directive');
  assert.equal(all?.payload, { state: 'resumed', reason: 'alice: bad renders', source: 'eclipse' });
  assert.equal(
    e.context(),
    { streaks: {}, attempts: {}, quarantined: [], silent: [] },
    'no failure history',
  );
});

// ---- defects found while writing these tests ---------------------------------------------------

// Plans, readiness signals and directed commands name instances as subject tokens, so a status
// from an instance id that is not one is refused at the contract, before it reaches Eclipse.
test('eclipse - a status from an instance id that is not a subject token is refused by the contract', () => {
  const bad = { ...statusEvent({ instance: 'a', now: T0 }).payload, instance_id: 'gpu-host.0' };
  const v = validateContract('WorkerStatus', bad);
  assert.not.ok(v.ok);
  assert.ok(!v.ok && v.violations.some((x) => x.pointer === '/instance_id'), formatViolation.name);
});

// The release timer id joins worker and instance with "-", which both may contain: editor-gpu/a
// and editor/gpu-a share the id "release-editor-gpu-a", so the second quarantine re-arms the
// first one's timer and the first instance is never released.
test('eclipse - release timers of different instances never share an id', () => {
  const e = start({ ...DEFAULT_ECLIPSE, quarantineAfter: 1 });
  const t1 = timers(e.fail({ job: uuid('j-x'), worker: 'editor-gpu', instance: 'a', now: T0 }));
  const t2 = timers(e.fail({ job: uuid('j-y'), worker: 'editor', instance: 'gpu-a', now: T0 + 1 }));
  assert.is(t1.length, 1);
  assert.is(t2.length, 1);
  assert.is.not(t1[0]?.id, t2[0]?.id, 'each quarantine has its own release timer');
});

test.run();
