import type { Arbitration, ContractName, WorkRequest } from '../../protocols/index.ts';
import { isContractName, validateContract } from '../../protocols/index.ts';
import type { MessageEvent, RuntimeEmit } from '../../runtime/index.ts';

/**
 * Zenith's decision helpers: placement, arbitration records, commands and queue pauses.
 * Pure functions over the machine's context; the machine in zenith.ts wires them to events.
 */
export interface ZenithOptions {
  /** Instances per worker kind, in placement order. */
  workers: Record<string, string[]>;
  /** Period of the control cycle. */
  cycleMs: number;
}

export type Job = {
  worker: string;
  contract: ContractName;
  payload: Record<string, unknown>;
  instance: string;
  attempts: number;
  status: 'queued' | 'issued' | 'failed' | 'waiting' | 'done' | 'abandoned';
  priority?: number;
  /** Stardust ids the next command for this job is based on. */
  evidence: string[];
};

export type Context = {
  jobs: Record<string, Job>;
  /** Quarantined `<worker>/<instance>` slots: no work is placed there. */
  quarantined: string[];
  /** Paused queues: a worker kind, or `*` for every one (operator or Eclipse's panic advice). */
  paused: string[];
  cycles: number;
  cycleArmed: boolean;
};

export type Events =
  | MessageEvent<'WorkRequest'>
  | MessageEvent<'RecoveryPlan'>
  | MessageEvent<'InstanceReadiness'>
  | MessageEvent<'WorkerStatus'>
  | MessageEvent<'OperatorOverride'>
  | MessageEvent<'QueueDirective'>
  | { type: 'retry'; job: string; now: number }
  | { type: 'cycle'; now: number };

export type Enqueue = { emit: (e: RuntimeEmit) => void; assign: (c: Partial<Context>) => void };

/** The first instance of the worker that is not quarantined and not to be avoided. */
export function place(
  o: ZenithOptions,
  ctx: Pick<Context, 'quarantined' | 'paused'>,
  worker: string,
  avoid: readonly string[] = [],
) {
  if (ctx.paused.includes('*') || ctx.paused.includes(worker)) return undefined;
  return (o.workers[worker] ?? []).find(
    (i) => !ctx.quarantined.includes(`${worker}/${i}`) && !avoid.includes(i),
  );
}

export function arbitrate(
  enqueue: Enqueue,
  now: number,
  a: Omit<Arbitration, 'at'>,
  parents: string[],
) {
  enqueue.emit({
    type: 'omniva.publish',
    channel: 'adv',
    name: 'arbitration',
    contract: 'Arbitration',
    payload: { ...a, at: new Date(now).toISOString() },
    parents,
  });
}

export function issue(enqueue: Enqueue, job: string, j: Job) {
  enqueue.emit({
    type: 'omniva.command',
    worker: j.worker,
    instance: j.instance,
    contract: j.contract,
    payload: j.payload,
    evidence: j.evidence,
    rollback: {
      action: 'cancel',
      notes: `cancel job ${job} on ${j.worker}/${j.instance}; its inputs are unchanged, so reissuing is safe`,
    },
  });
}

/** Pauses or resumes a queue (`*` = all); a resume issues the jobs that waited for it. */
export function pauseOrResume(
  o: ZenithOptions,
  context: Context,
  enqueue: Enqueue,
  now: number,
  pause: boolean,
  queue: string,
  why: { accepted: Arbitration['accepted']; reason: string; evidence: string[] },
) {
  // Resuming everything (`*`) lifts every pause; resuming one queue lifts only that one.
  const paused = pause
    ? [...new Set([...context.paused, queue])]
    : queue === '*'
      ? []
      : context.paused.filter((p) => p !== queue);
  const jobs = { ...context.jobs };
  let issuedAny = false;
  const scope = queue === '*' ? {} : { worker: queue };
  arbitrate(
    enqueue,
    now,
    {
      decision: pause ? 'pause' : 'resume',
      ...scope,
      accepted: why.accepted,
      rejected: [],
      reason: why.reason,
    },
    why.evidence,
  );
  if (!pause) {
    for (const [key, job] of Object.entries(jobs)) {
      if (job.status !== 'queued') continue;
      const instance = place(o, { quarantined: context.quarantined, paused }, job.worker);
      if (!instance) continue;
      const next: Job = {
        ...job,
        instance,
        attempts: 1,
        status: 'issued',
        evidence: [...job.evidence, ...why.evidence],
      };
      jobs[key] = next;
      arbitrate(
        enqueue,
        now,
        {
          decision: 'issue',
          job_key: key,
          worker: job.worker,
          instance,
          accepted: why.accepted,
          rejected: [],
          reason: `the ${job.worker} queue resumed; placed on ${instance}`,
        },
        next.evidence,
      );
      issue(enqueue, key, next);
      issuedAny = true;
    }
  }
  if (issuedAny) armCycle(o, context, enqueue, now);
  enqueue.assign({ paused, jobs });
}

/** Why a request cannot become a valid command, or undefined when it can. */
export function commandProblem(r: WorkRequest): string | undefined {
  if (!isContractName(r.contract)) return `unknown contract ${r.contract}`;
  const v = validateContract(r.contract, r.payload);
  if (v.ok) return undefined;
  return `invalid ${r.contract}: ${v.violations.map((x) => `${x.pointer || '/'} ${x.reason}`).join('; ')}`;
}

/** Arms the periodic control cycle once, the first time work is issued. */
export function armCycle(o: ZenithOptions, context: Context, enqueue: Enqueue, now: number) {
  if (context.cycleArmed) return;
  enqueue.assign({ cycleArmed: true });
  enqueue.emit({
    type: 'omniva.timer.set',
    id: 'cycle',
    at: now + o.cycleMs,
    event: { type: 'cycle' },
  });
}

export const ids = (...xs: (string | undefined)[]) =>
  xs.filter((x): x is string => typeof x === 'string');
