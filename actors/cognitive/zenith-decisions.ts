import type { Arbitration, ContractName, WorkRequest } from '../../protocols/index.ts';
import { isContractName, validateContract } from '../../protocols/index.ts';
import type {
  EffectDoneEvent,
  EffectFailedEvent,
  MessageEvent,
  RuntimeEmit,
} from '../../runtime/index.ts';
import type { PipelineOptions, PipelineState } from './zenith-pipeline.ts';

/**
 * Zenith's decision helpers: placement, arbitration records, commands and queue pauses.
 * Pure functions over the machine's context; the machine in zenith.ts wires them to events.
 */
export interface ZenithOptions {
  /**
   * Instances per worker kind, in placement order. An instance is named by the host it runs
   * on (its host_id), which is how Eclipse's host states apply to it.
   */
  workers: Record<string, string[]>;
  /** Period of the control cycle. */
  cycleMs: number;
  /** Runs the clip pipeline (zenith-pipeline.ts) when given. */
  pipeline?: PipelineOptions;
  /** Signs the uploader's short-lived grant for a clip; the key stays outside the machine. */
  signGrant?: (clip_id: string, site: string) => string;
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
  /** The clip or video the job works on, named on every decision about it. */
  about?: Pick<Arbitration, 'clip_id' | 'video_id'>;
};

export type Context = {
  jobs: Record<string, Job>;
  /** Quarantined `<worker>/<instance>` slots: no work is placed there. */
  quarantined: string[];
  /** Paused queues: a worker kind, or `*` for every one (operator or Eclipse's panic advice). */
  paused: string[];
  cycles: number;
  cycleArmed: boolean;
  /** Videos and clips on their way through the pipeline (absent in snapshots from before it). */
  pipeline?: PipelineState;
  /**
   * Hosts Eclipse reports degraded or offline: no new work is placed on the instances they
   * run (absent in snapshots from before host health).
   */
  unavailable?: Record<string, HostBlock>;
};

/** Why a host takes no new work: Eclipse's HostState, and where it is in the ledger. */
export type HostBlock = {
  state: 'degraded' | 'offline';
  reason: string;
  /** The HostState message id, cited in arbitrations. */
  ref: string;
  /** Its Stardust id, when it was recorded; cited as evidence by the placement. */
  evidence?: string;
};

export type Events =
  | MessageEvent<'WorkRequest'>
  | MessageEvent<'RecoveryPlan'>
  | MessageEvent<'InstanceReadiness'>
  | MessageEvent<'WorkerStatus'>
  | MessageEvent<'OperatorOverride'>
  | MessageEvent<'QueueDirective'>
  | MessageEvent<'HostState'>
  | MessageEvent<'MediaCaptured'>
  | MessageEvent<'VideoAssetCreated'>
  | MessageEvent<'ConflictReport'>
  | MessageEvent<'AnalysisReport'>
  | MessageEvent<'VoteReport'>
  | MessageEvent<'LatticeHints'>
  | MessageEvent<'HorizonGuidance'>
  | MessageEvent<'ClipRendered'>
  | MessageEvent<'ChorusPackage'>
  | MessageEvent<'ScheduleChange'>
  | MessageEvent<'PublishReceipt'>
  | EffectDoneEvent
  | EffectFailedEvent
  | { type: 'retry'; job: string; now: number }
  | { type: 'cycle'; now: number };

export type Enqueue = { emit: (e: RuntimeEmit) => void; assign: (c: Partial<Context>) => void };

type PlaceContext = Pick<Context, 'quarantined' | 'paused'> & Pick<Partial<Context>, 'unavailable'>;

/**
 * The first instance of the worker that is not quarantined, not to be avoided and not on an
 * unavailable host; `skipped` lists the instances passed over only for their host.
 */
export function placement(
  o: ZenithOptions,
  ctx: PlaceContext,
  worker: string,
  avoid: readonly string[] = [],
): { instance: string | undefined; skipped: string[] } {
  const skipped: string[] = [];
  if (ctx.paused.includes('*') || ctx.paused.includes(worker))
    return { instance: undefined, skipped };
  for (const i of o.workers[worker] ?? []) {
    if (ctx.quarantined.includes(`${worker}/${i}`) || avoid.includes(i)) continue;
    if (ctx.unavailable?.[i]) {
      skipped.push(i);
      continue;
    }
    return { instance: i, skipped };
  }
  return { instance: undefined, skipped };
}

/** The first instance of the worker that can take work now (see {@link placement}). */
export function place(
  o: ZenithOptions,
  ctx: PlaceContext,
  worker: string,
  avoid: readonly string[] = [],
) {
  return placement(o, ctx, worker, avoid).instance;
}

/** What the host states of skipped instances add to a decision: text, advice and evidence. */
export function hostNotes(ctx: Pick<Partial<Context>, 'unavailable'>, skipped: readonly string[]) {
  const blocks = skipped.flatMap((i) => {
    const b = ctx.unavailable?.[i];
    return b ? [{ host: i, ...b }] : [];
  });
  return {
    text: blocks.map((b) => `${b.host} ${b.state} (${b.reason})`).join(', '),
    accepted: blocks.map((b) => ({ module: 'eclipse', ref: b.ref })),
    evidence: ids(...blocks.map((b) => b.evidence)),
  };
}

/**
 * Holds a job while every instance that could take it is on an unavailable host: queued,
 * like a paused queue's jobs, and issued when a host recovers (or a queue resumes).
 */
export function holdForHosts(
  enqueue: Enqueue,
  now: number,
  key: string,
  job: Omit<Job, 'instance' | 'status'> & Partial<Pick<Job, 'instance' | 'status'>>,
  ctx: Pick<Partial<Context>, 'unavailable'>,
  skipped: readonly string[],
  accepted: Arbitration['accepted'] = [],
): Job {
  const hosts = hostNotes(ctx, skipped);
  arbitrate(
    enqueue,
    now,
    {
      decision: 'queue',
      job_key: key,
      ...job.about,
      worker: job.worker,
      accepted: [...accepted, ...hosts.accepted],
      rejected: [],
      reason:
        `every ${job.worker} instance that could take the job is on an unavailable host: ${hosts.text}; the job waits for one to recover`.slice(
          0,
          2000,
        ),
    },
    [...new Set([...job.evidence, ...hosts.evidence])],
  );
  return { ...job, instance: '', status: 'queued' };
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
    issuedAny = issueQueued(enqueue, now, jobs, { ...context, paused }, o, {
      ...why,
      reason: (job, instance) => `the ${job.worker} queue resumed; placed on ${instance}`,
    });
  }
  if (issuedAny) armCycle(o, context, enqueue, now);
  enqueue.assign({ paused, jobs });
}

/**
 * Issues the queued jobs that can be placed now, in `jobs` (a copy the caller stores).
 * Returns whether any was issued.
 */
export function issueQueued(
  enqueue: Enqueue,
  now: number,
  jobs: Context['jobs'],
  ctx: PlaceContext,
  o: ZenithOptions,
  why: {
    accepted: Arbitration['accepted'];
    evidence: string[];
    reason: (job: Job, instance: string) => string;
  },
): boolean {
  let issuedAny = false;
  for (const [key, job] of Object.entries(jobs)) {
    if (job.status !== 'queued') continue;
    const instance = place(o, ctx, job.worker);
    if (!instance) continue;
    const next: Job = {
      ...job,
      instance,
      attempts: job.attempts + 1,
      status: 'issued',
      evidence: [...new Set([...job.evidence, ...why.evidence])],
    };
    jobs[key] = next;
    arbitrate(
      enqueue,
      now,
      {
        decision: 'issue',
        job_key: key,
        ...job.about,
        worker: job.worker,
        instance,
        accepted: why.accepted,
        rejected: [],
        reason: why.reason(job, instance),
      },
      next.evidence,
    );
    issue(enqueue, key, next);
    issuedAny = true;
  }
  return issuedAny;
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

/** What a new job needs: the command, its evidence and who asked for it. */
export interface JobSpec {
  worker: string;
  contract: ContractName;
  payload: Record<string, unknown>;
  evidence: string[];
  accepted: Arbitration['accepted'];
  /** The entities the decision is about, recorded on its arbitration. */
  about?: Pick<Arbitration, 'clip_id' | 'video_id'>;
}

/**
 * Places and issues a new job, or queues it while its worker's queue is paused, recording
 * the arbitration. Returns the job for the caller to store (undefined when nothing can take
 * it, which is recorded as an abandon).
 */
export function startJob(
  o: ZenithOptions,
  context: Context,
  enqueue: Enqueue,
  now: number,
  key: string,
  s: JobSpec,
): Job | undefined {
  const base = {
    worker: s.worker,
    contract: s.contract,
    payload: s.payload,
    evidence: s.evidence,
    ...(s.about ? { about: s.about } : {}),
  };
  const about = { job_key: key, worker: s.worker, ...s.about };
  if (context.paused.includes('*') || context.paused.includes(s.worker)) {
    arbitrate(
      enqueue,
      now,
      {
        decision: 'queue',
        ...about,
        accepted: s.accepted,
        rejected: [],
        reason: `the ${s.worker} queue is paused; the job waits for a resume`,
      },
      s.evidence,
    );
    return { ...base, instance: '', attempts: 0, status: 'queued' };
  }
  const { instance, skipped } = placement(o, context, s.worker);
  if (!instance && skipped.length > 0) {
    return holdForHosts(enqueue, now, key, { ...base, attempts: 0 }, context, skipped, s.accepted);
  }
  if (!instance) {
    const why = `no ${s.worker} instance can take work`;
    arbitrate(
      enqueue,
      now,
      {
        decision: 'abandon',
        ...about,
        accepted: [],
        rejected: s.accepted.map((a) => ({ ...a, why })),
        reason: why,
      },
      s.evidence,
    );
    return undefined;
  }
  // Instances passed over for their host's state are named, with the advice that said so.
  const hosts = hostNotes(context, skipped);
  const evidence = [...new Set([...s.evidence, ...hosts.evidence])];
  const job: Job = { ...base, evidence, instance, attempts: 1, status: 'issued' };
  arbitrate(
    enqueue,
    now,
    {
      decision: 'issue',
      ...about,
      instance,
      accepted: [...s.accepted, ...hosts.accepted],
      rejected: [],
      reason:
        `placed on ${instance}, the first healthy ${s.worker}${skipped.length > 0 ? `; passed over ${hosts.text}` : ''}`.slice(
          0,
          2000,
        ),
    },
    evidence,
  );
  issue(enqueue, key, job);
  armCycle(o, context, enqueue, now);
  return job;
}
