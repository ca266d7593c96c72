// Shared builders for the pure Zenith machine tests.
// Zenith's machine on its own (design §5, §10: machine tests are pure). Requests, worker
// statuses and Eclipse's advice are delivered as the runtime delivers them, time is a simulated
// clock passed as `now`, timers are fired by hand at their deadline, and every emitted message,
// command stamp included, must pass its contract.
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { type ZenithOptions, zenithMachine } from '../../actors/cognitive/index.ts';
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

export const SITE = 'site-a';
export const T0 = Date.parse('2026-11-02T08:00:00.000Z');
export const iso = (t: number) => new Date(t).toISOString();
/** A stable v4-shaped uuid per seed, so runs are reproducible. */
export const uuid = (seed: string) => deriveMsgId(seed, 0);

export const O: ZenithOptions = { workers: { editor: ['a', 'b', 'c'] }, cycleMs: 30_000 };
export const JOB = uuid('job-1');

/** A message event as the runtime hands it to the machine; `recorded: false` leaves out the Stardust id. */
export function message<N extends ContractName>(
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

export const editJob = (job: string) => ({
  clip_id: job,
  operations: ['cut', 'reframe'],
  ffmpeg_commands: [],
  gpu_required: true,
  estimated_duration: 20,
});

export function request(
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

export function status(
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
export function plan(
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

export function readiness(
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
export function checkEmit(e: RuntimeEmit): void {
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

export type Emits = RuntimeEmit[];
export type CommandEmit = Extract<RuntimeEmit, { type: 'omniva.command' }>;
export type ZenithEvent = Parameters<
  ReturnType<typeof createActor<ReturnType<typeof zenithMachine>>>['send']
>[0];

export function start(o: ZenithOptions = O) {
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

export const commands = (es: Emits) =>
  es.filter((e): e is CommandEmit => e.type === 'omniva.command');
export const timers = (es: Emits) =>
  es.filter((e): e is TimerSetEmit => e.type === 'omniva.timer.set');
export const arbitrations = (es: Emits) =>
  es
    .filter((e): e is PublishEmit => e.type === 'omniva.publish')
    .map((e) => {
      assert.is(e.channel, 'adv');
      assert.is(e.name, 'arbitration');
      assert.is(e.contract, 'Arbitration');
      return { a: e.payload as Arbitration, parents: e.parents ?? [] };
    });
export const decisions = (es: Emits) => arbitrations(es).map((x) => x.a.decision);

/** The job scheduled on a failed instance: request → command to a → ERROR from a. */
export function failedOnA(o: ZenithOptions = O) {
  const z = start(o);
  const req = request(T0);
  z.send(req);
  const failure = status(T0 + 1_000, { instance: 'a' });
  assert.equal(z.send(failure), [], 'a failure alone decides nothing: Zenith waits for advice');
  assert.is(z.context().jobs[JOB]?.status, 'failed');
  return { z, req, failure };
}

// ---- placement -----------------------------------------------------------------------------
