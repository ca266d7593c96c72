import { enqueueActions, setup } from 'xstate';
import type {
  Arbitration,
  ContractName,
  InstanceReadiness,
  RecoveryPlan,
  WorkRequest,
} from '../../protocols/index.ts';
import { isContractName, subjects, validateContract } from '../../protocols/index.ts';
import {
  defineActorKind,
  type MessageEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../runtime/index.ts';

/**
 * Zenith, the one authority of a site (design §5, spec §4.9): turns requests and advice
 * into commands, places them on worker instances, enforces Eclipse's plans (quarantine,
 * reroute, retry later) and records every arbitration. Only the lease holder runs it; the
 * runtime stamps its commands with the lease epoch.
 */
export interface ZenithOptions {
  /** Instances per worker kind, in placement order. */
  workers: Record<string, string[]>;
  /** Period of the control cycle. */
  cycleMs: number;
}

type Job = {
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

type Context = {
  jobs: Record<string, Job>;
  /** Quarantined `<worker>/<instance>` slots: no work is placed there. */
  quarantined: string[];
  /** Paused queues: a worker kind, or `*` for every one (operator or Eclipse's panic advice). */
  paused: string[];
  cycles: number;
  cycleArmed: boolean;
};

type Events =
  | MessageEvent<'WorkRequest'>
  | MessageEvent<'RecoveryPlan'>
  | MessageEvent<'InstanceReadiness'>
  | MessageEvent<'WorkerStatus'>
  | MessageEvent<'OperatorOverride'>
  | MessageEvent<'QueueDirective'>
  | { type: 'retry'; job: string; now: number }
  | { type: 'cycle'; now: number };

type Enqueue = { emit: (e: RuntimeEmit) => void; assign: (c: Partial<Context>) => void };

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

function arbitrate(enqueue: Enqueue, now: number, a: Omit<Arbitration, 'at'>, parents: string[]) {
  enqueue.emit({
    type: 'omniva.publish',
    channel: 'adv',
    name: 'arbitration',
    contract: 'Arbitration',
    payload: { ...a, at: new Date(now).toISOString() },
    parents,
  });
}

function issue(enqueue: Enqueue, job: string, j: Job) {
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
function pauseOrResume(
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
function commandProblem(r: WorkRequest): string | undefined {
  if (!isContractName(r.contract)) return `unknown contract ${r.contract}`;
  const v = validateContract(r.contract, r.payload);
  if (v.ok) return undefined;
  return `invalid ${r.contract}: ${v.violations.map((x) => `${x.pointer || '/'} ${x.reason}`).join('; ')}`;
}

/** Arms the periodic control cycle once, the first time work is issued. */
function armCycle(o: ZenithOptions, context: Context, enqueue: Enqueue, now: number) {
  if (context.cycleArmed) return;
  enqueue.assign({ cycleArmed: true });
  enqueue.emit({
    type: 'omniva.timer.set',
    id: 'cycle',
    at: now + o.cycleMs,
    event: { type: 'cycle' },
  });
}

const ids = (...xs: (string | undefined)[]) => xs.filter((x): x is string => typeof x === 'string');

export function zenithMachine(o: ZenithOptions) {
  return setup({
    types: {} as { context: Context; events: Events; emitted: RuntimeEmit },
  }).createMachine({
    id: 'zenith',
    context: { jobs: {}, quarantined: [], paused: [], cycles: 0, cycleArmed: false },
    on: {
      WorkRequest: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const r: WorkRequest = event.payload;
          if (context.jobs[r.job_key]) return; // one job per key: a repeated request changes nothing
          const evidence = ids(event.meta.stardust_id);
          const invalid = commandProblem(r);
          if (invalid) {
            arbitrate(
              enqueue,
              event.now,
              {
                decision: 'abandon',
                job_key: r.job_key,
                worker: r.worker,
                accepted: [],
                rejected: [{ module: r.requested_by, ref: r.request_id, why: invalid }],
                reason: invalid,
              },
              evidence,
            );
            return;
          }
          const paused = context.paused.includes('*') || context.paused.includes(r.worker);
          if (paused && evidence.length > 0) {
            const queued: Job = {
              worker: r.worker,
              contract: r.contract as ContractName,
              payload: r.payload,
              instance: '',
              attempts: 0,
              status: 'queued',
              evidence,
            };
            enqueue.assign({ jobs: { ...context.jobs, [r.job_key]: queued } });
            arbitrate(
              enqueue,
              event.now,
              {
                decision: 'queue',
                job_key: r.job_key,
                worker: r.worker,
                accepted: [{ module: r.requested_by, ref: r.request_id }],
                rejected: [],
                reason: `the ${r.worker} queue is paused; the job waits for a resume`,
              },
              evidence,
            );
            return;
          }
          const instance = place(o, context, r.worker);
          if (!instance || evidence.length === 0) {
            const why = !instance
              ? `no ${r.worker} instance can take work`
              : 'the request is not in the ledger';
            arbitrate(
              enqueue,
              event.now,
              {
                decision: 'abandon',
                job_key: r.job_key,
                worker: r.worker,
                accepted: [],
                rejected: [{ module: r.requested_by, ref: r.request_id, why }],
                reason: why,
              },
              evidence,
            );
            return;
          }
          const job: Job = {
            worker: r.worker,
            contract: r.contract as ContractName,
            payload: r.payload,
            instance,
            attempts: 1,
            status: 'issued',
            evidence,
          };
          enqueue.assign({ jobs: { ...context.jobs, [r.job_key]: job } });
          arbitrate(
            enqueue,
            event.now,
            {
              decision: 'issue',
              job_key: r.job_key,
              worker: r.worker,
              instance,
              accepted: [{ module: r.requested_by, ref: r.request_id }],
              rejected: [],
              reason: `placed on ${instance}, the first healthy ${r.worker}`,
            },
            evidence,
          );
          issue(enqueue, r.job_key, job);
          armCycle(o, context, enqueue, event.now);
        }),
      },
      WorkerStatus: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const s = event.payload;
          const job = context.jobs[s.job_id];
          if (!job || s.worker !== job.worker || s.instance_id !== job.instance) return;
          const evidence = ids(event.meta.stardust_id);
          if (s.status === 'ERROR') {
            enqueue.assign({
              jobs: { ...context.jobs, [s.job_id]: { ...job, status: 'failed', evidence } },
            });
          } else if (s.status === 'DONE') {
            enqueue.assign({
              jobs: { ...context.jobs, [s.job_id]: { ...job, status: 'done', evidence } },
            });
            arbitrate(
              enqueue,
              event.now,
              {
                decision: 'resolve',
                job_key: s.job_id,
                worker: job.worker,
                instance: job.instance,
                accepted: [{ module: `${job.worker}-${job.instance}`, ref: event.meta.msg_id }],
                rejected: [],
                reason: `${job.worker}/${job.instance} finished after ${job.attempts} attempt(s)`,
              },
              evidence,
            );
          }
        }),
      },
      RecoveryPlan: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const p: RecoveryPlan = event.payload;
          const job = context.jobs[p.job_key];
          if (job?.status !== 'failed') return;
          const planEvidence = ids(...job.evidence, event.meta.stardust_id);
          let quarantined = context.quarantined;
          const failedSlot = `${p.worker}/${p.failed_instance}`;
          if (p.quarantine && !quarantined.includes(failedSlot)) {
            quarantined = [...quarantined, failedSlot];
            arbitrate(
              enqueue,
              event.now,
              {
                decision: 'quarantine',
                job_key: p.job_key,
                worker: p.worker,
                instance: p.failed_instance,
                accepted: [{ module: 'eclipse', ref: p.plan_id }],
                rejected: [],
                reason: `no more work on ${failedSlot} until Eclipse signals it ready`,
              },
              planEvidence,
            );
          }
          if (p.action === 'abandon') {
            enqueue.assign({
              quarantined,
              jobs: { ...context.jobs, [p.job_key]: { ...job, status: 'abandoned' } },
            });
            arbitrate(
              enqueue,
              event.now,
              {
                decision: 'abandon',
                job_key: p.job_key,
                worker: p.worker,
                accepted: [{ module: 'eclipse', ref: p.plan_id }],
                rejected: [],
                reason: p.notes ?? p.error_code,
              },
              planEvidence,
            );
            return;
          }
          const instance =
            place(o, { ...context, quarantined }, p.worker, p.avoid_instances) ??
            (p.action === 'retry' && !quarantined.includes(failedSlot)
              ? p.failed_instance
              : undefined);
          if (!instance) {
            enqueue.assign({
              quarantined,
              jobs: { ...context.jobs, [p.job_key]: { ...job, status: 'abandoned' } },
            });
            arbitrate(
              enqueue,
              event.now,
              {
                decision: 'abandon',
                job_key: p.job_key,
                worker: p.worker,
                accepted: [],
                rejected: [
                  {
                    module: 'eclipse',
                    ref: p.plan_id,
                    why: `no ${p.worker} instance left to ${p.action} on`,
                  },
                ],
                reason: 'every instance is quarantined or to be avoided',
              },
              planEvidence,
            );
            return;
          }
          const decision = instance === p.failed_instance ? 'retry' : 'reroute';
          enqueue.assign({
            quarantined,
            jobs: {
              ...context.jobs,
              [p.job_key]: { ...job, instance, status: 'waiting', evidence: planEvidence },
            },
          });
          arbitrate(
            enqueue,
            event.now,
            {
              decision,
              job_key: p.job_key,
              worker: p.worker,
              instance,
              accepted: [{ module: 'eclipse', ref: p.plan_id }],
              rejected: [],
              reason: `${p.action} advised after ${p.error_code}; attempt ${p.attempt + 1} on ${instance} in ${p.delay_ms} ms`,
            },
            planEvidence,
          );
          enqueue.emit({
            type: 'omniva.timer.set',
            id: `retry-${p.job_key}`,
            at: event.now + p.delay_ms,
            event: { type: 'retry', job: p.job_key } as { type: string },
          });
        }),
      },
      OperatorOverride: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const ov = event.payload;
          const evidence = ids(event.meta.stardust_id);
          const accepted = [{ module: 'operator', ref: ov.override_id }];
          const reason = `${ov.operator}: ${ov.reason}`;
          const job = ov.job_key ? context.jobs[ov.job_key] : undefined;
          if (ov.action === 'pause' || ov.action === 'resume') {
            const queue = ov.worker ?? '*';
            pauseOrResume(o, context, enqueue, event.now, ov.action === 'pause', queue, {
              accepted,
              reason,
              evidence,
            });
            return;
          }
          if (!ov.job_key || !job) {
            arbitrate(
              enqueue,
              event.now,
              {
                decision: ov.action,
                ...(ov.job_key ? { job_key: ov.job_key } : {}),
                accepted: [],
                rejected: [{ module: 'operator', ref: ov.override_id, why: 'no such job' }],
                reason,
              },
              evidence,
            );
            return;
          }
          if (ov.action === 'reject') {
            if (job.status !== 'done') {
              enqueue.assign({
                jobs: { ...context.jobs, [ov.job_key]: { ...job, status: 'abandoned' } },
              });
            }
          } else if (ov.action === 'prioritize') {
            enqueue.assign({
              jobs: {
                ...context.jobs,
                [ov.job_key]: {
                  ...job,
                  ...(ov.priority === undefined ? {} : { priority: ov.priority }),
                },
              },
            });
          }
          arbitrate(
            enqueue,
            event.now,
            {
              decision: ov.action,
              job_key: ov.job_key,
              worker: job.worker,
              accepted,
              rejected: [],
              reason,
            },
            evidence,
          );
        }),
      },
      QueueDirective: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const d = event.payload;
          const accepted = [{ module: d.source, ref: event.meta.msg_id }];
          pauseOrResume(o, context, enqueue, event.now, d.state === 'paused', d.worker ?? '*', {
            accepted,
            reason: d.reason,
            evidence: ids(event.meta.stardust_id),
          });
        }),
      },
      retry: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const job = context.jobs[event.job];
          if (job?.status !== 'waiting') return;
          // Placement is decided again now: the world may have changed during the backoff.
          if (context.paused.includes('*') || context.paused.includes(job.worker)) {
            enqueue.assign({
              jobs: { ...context.jobs, [event.job]: { ...job, status: 'queued' } },
            });
            return;
          }
          const avoid = context.quarantined.includes(`${job.worker}/${job.instance}`)
            ? [job.instance]
            : [];
          const instance = place(o, context, job.worker, avoid);
          const why =
            job.evidence.length === 0
              ? 'the failure and the plan are not in the ledger'
              : !instance
                ? `no ${job.worker} instance can take the retry`
                : undefined;
          if (why || !instance) {
            enqueue.assign({
              jobs: { ...context.jobs, [event.job]: { ...job, status: 'abandoned' } },
            });
            arbitrate(
              enqueue,
              event.now,
              {
                decision: 'abandon',
                job_key: event.job,
                worker: job.worker,
                accepted: [],
                rejected: [],
                reason: why ?? 'no instance',
              },
              job.evidence,
            );
            return;
          }
          const next: Job = { ...job, instance, attempts: job.attempts + 1, status: 'issued' };
          enqueue.assign({ jobs: { ...context.jobs, [event.job]: next } });
          issue(enqueue, event.job, next);
        }),
      },
      InstanceReadiness: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const r: InstanceReadiness = event.payload;
          const slot = `${r.worker}/${r.instance}`;
          if (r.state === 'quarantined' && !context.quarantined.includes(slot)) {
            const quarantined = [...context.quarantined, slot];
            enqueue.assign({ quarantined });
            // Work still out on an instance taken for dead goes elsewhere now.
            const evidence = ids(event.meta.stardust_id);
            const jobs = { ...context.jobs };
            for (const [key, job] of Object.entries(context.jobs)) {
              if (job.status !== 'issued' || `${job.worker}/${job.instance}` !== slot) continue;
              const instance = place(o, { ...context, quarantined }, job.worker, [r.instance]);
              if (!instance || evidence.length === 0) continue;
              const next: Job = {
                ...job,
                instance,
                attempts: job.attempts + 1,
                evidence: [...job.evidence, ...evidence],
              };
              jobs[key] = next;
              arbitrate(
                enqueue,
                event.now,
                {
                  decision: 'reroute',
                  job_key: key,
                  worker: job.worker,
                  instance,
                  accepted: [{ module: 'eclipse', ref: event.meta.msg_id }],
                  rejected: [],
                  reason: `${slot} quarantined (${r.reason}); the job moves to ${instance}`,
                },
                next.evidence,
              );
              issue(enqueue, key, next);
            }
            enqueue.assign({ jobs });
          } else if (r.state === 'released' && context.quarantined.includes(slot)) {
            enqueue.assign({ quarantined: context.quarantined.filter((q) => q !== slot) });
            arbitrate(
              enqueue,
              event.now,
              {
                decision: 'release',
                worker: r.worker,
                instance: r.instance,
                accepted: [{ module: 'eclipse', ref: event.meta.msg_id }],
                rejected: [],
                reason: r.reason,
              },
              ids(event.meta.stardust_id),
            );
          }
        }),
      },
      cycle: {
        // The periodic cycle re-arms itself; decisions are event-driven, the cycle is the
        // heartbeat that later checks (stuck jobs, Horizon's windows) hang off.
        actions: enqueueActions(({ context, event, enqueue }) => {
          enqueue.assign({ cycles: context.cycles + 1 });
          enqueue.emit({
            type: 'omniva.timer.set',
            id: 'cycle',
            at: event.now + o.cycleMs,
            event: { type: 'cycle' },
          });
        }),
      },
    },
  });
}

/** Zenith reads requests, Eclipse's advice and every worker's status from the event stream. */
export function zenithKind(o: ZenithOptions) {
  return defineActorKind({
    name: 'zenith',
    version: 1,
    machine: zenithMachine(o),
    accepts: [
      'WorkRequest',
      'RecoveryPlan',
      'InstanceReadiness',
      'WorkerStatus',
      'OperatorOverride',
      'QueueDirective',
    ],
    work: {
      stream: STREAMS.evt,
      filter: (site) => [
        subjects.advAny(site, 'work_request'),
        subjects.adv(site, 'eclipse', 'plan'),
        subjects.adv(site, 'eclipse', 'readiness'),
        subjects.adv(site, 'eclipse', 'directive'),
        subjects.adv(site, 'operator', 'override'),
        subjects.evtAny(site, 'status'),
      ],
    },
  });
}
