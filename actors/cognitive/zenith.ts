import { enqueueActions, setup } from 'xstate';
import type { ContractName, RecoveryPlan, WorkRequest } from '../../protocols/index.ts';
import { subjects } from '../../protocols/index.ts';
import {
  defineActorKind,
  type EffectContext,
  type RuntimeEmit,
  STREAMS,
} from '../../runtime/index.ts';
import {
  arbitrate,
  type Context,
  commandProblem,
  type Enqueue,
  type Events,
  holdForHosts,
  ids,
  issue,
  type Job,
  pauseOrResume,
  placement,
  startJob,
  type ZenithOptions,
} from './zenith-decisions.ts';
import { onHostState, onReadiness } from './zenith-health.ts';

import { emptyPipeline, type PipelineState, pipelineSteps } from './zenith-pipeline.ts';

export { place, type ZenithOptions } from './zenith-decisions.ts';

/**
 * Zenith, the one authority of a site (design §5, spec §4.9): turns requests and advice
 * into commands, places them on worker instances, enforces Eclipse's plans (quarantine,
 * reroute, retry later) and host states (no new work on a degraded or offline host), and
 * records every arbitration. Only the lease holder runs it; the
 * runtime stamps its commands with the lease epoch.
 */
export function zenithMachine(o: ZenithOptions) {
  /** Runs one pipeline step on copies of the pipeline state and job table, then stores both. */
  const advance = (
    context: Context,
    enqueue: Enqueue,
    step: (s: ReturnType<typeof pipelineSteps>, st: PipelineState, jobs: Context['jobs']) => void,
  ) => {
    if (!o.pipeline) return;
    const st = structuredClone(context.pipeline ?? emptyPipeline());
    const jobs = { ...context.jobs };
    step(pipelineSteps(o, o.pipeline, context), st, jobs);
    enqueue.assign({ pipeline: st, jobs });
  };
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
          const why =
            commandProblem(r) ??
            (evidence.length === 0 ? 'the request is not in the ledger' : undefined);
          if (why) {
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
          const job = startJob(o, context, enqueue, event.now, r.job_key, {
            worker: r.worker,
            contract: r.contract as ContractName,
            payload: r.payload,
            evidence,
            accepted: [{ module: r.requested_by, ref: r.request_id }],
          });
          if (job) enqueue.assign({ jobs: { ...context.jobs, [r.job_key]: job } });
        }),
      },
      WorkerStatus: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const s = event.payload;
          const job = context.jobs[s.job_id];
          if (!job || s.worker !== job.worker || s.instance_id !== job.instance) return;
          const evidence = ids(event.meta.stardust_id);
          // A cancelled run failed as far as the job goes: a retry plan (an operator's
          // retry_stage) may run it again.
          if (s.status === 'ERROR' || s.status === 'CANCELLED') {
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
                ...job.about,
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
          // Eclipse's advice, or an operator's retry_stage relayed by an Ops Agent.
          const planner = event.meta.actor === 'ops-agent' ? 'ops-agent' : 'eclipse';
          const job = context.jobs[p.job_key];
          // A plan naming another worker than the job's is a mistake (a retry_stage for the
          // wrong stage); acting on it would place the job among the wrong worker's instances.
          if (job?.status !== 'failed' || job.worker !== p.worker) return;
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
                ...job.about,
                worker: p.worker,
                instance: p.failed_instance,
                accepted: [{ module: planner, ref: p.plan_id }],
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
                ...job.about,
                worker: p.worker,
                accepted: [{ module: planner, ref: p.plan_id }],
                rejected: [],
                reason: p.notes ?? p.error_code,
              },
              planEvidence,
            );
            return;
          }
          const placed = placement(o, { ...context, quarantined }, p.worker, p.avoid_instances);
          const instance =
            placed.instance ??
            (p.action === 'retry' &&
            !quarantined.includes(failedSlot) &&
            !context.unavailable?.[p.failed_instance]
              ? p.failed_instance
              : undefined);
          if (!instance && placed.skipped.length > 0) {
            const accepted = [{ module: planner, ref: p.plan_id }];
            const held = { ...job, evidence: planEvidence };
            const next = holdForHosts(
              enqueue,
              event.now,
              p.job_key,
              held,
              context,
              placed.skipped,
              accepted,
            );
            enqueue.assign({ quarantined, jobs: { ...context.jobs, [p.job_key]: next } });
            return;
          }
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
                ...job.about,
                worker: p.worker,
                accepted: [],
                rejected: [
                  {
                    module: planner,
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
              ...job.about,
              worker: p.worker,
              instance,
              accepted: [{ module: planner, ref: p.plan_id }],
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
          const { instance, skipped } = placement(o, context, job.worker, avoid);
          if (!instance && skipped.length > 0 && job.evidence.length > 0) {
            const next = holdForHosts(enqueue, event.now, event.job, job, context, skipped);
            enqueue.assign({ jobs: { ...context.jobs, [event.job]: next } });
            return;
          }
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
                ...job.about,
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
        actions: enqueueActions(({ context, event, enqueue }) =>
          onReadiness(o, context, event, enqueue),
        ),
      },
      HostState: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          onHostState(o, context, event, enqueue),
        ),
      },
      MediaCaptured: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          advance(context, enqueue, (s, st, jobs) => s.captured(st, jobs, event, enqueue)),
        ),
      },
      VideoAssetCreated: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          advance(context, enqueue, (s, st, jobs) => s.asset(st, jobs, event, enqueue)),
        ),
      },
      ConflictReport: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          advance(context, enqueue, (s, st, jobs) => s.conflict(st, jobs, event, enqueue)),
        ),
      },
      AnalysisReport: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          advance(context, enqueue, (s, st, jobs) => s.analysis(st, jobs, event, enqueue)),
        ),
      },
      VoteReport: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          advance(context, enqueue, (s, st, jobs) => s.votes(st, jobs, event, enqueue)),
        ),
      },
      LatticeHints: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          advance(context, enqueue, (s, st, jobs) => s.hints(st, jobs, event, enqueue)),
        ),
      },
      HorizonGuidance: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          advance(context, enqueue, (s, st, jobs) => s.guidance(st, jobs, event, enqueue)),
        ),
      },
      ClipRendered: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          advance(context, enqueue, (s, st, jobs) => s.rendered(st, jobs, event, enqueue)),
        ),
      },
      ChorusPackage: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          advance(context, enqueue, (s, st, jobs) => s.metadata(st, jobs, event, enqueue)),
        ),
      },
      ScheduleChange: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          advance(context, enqueue, (s, st, jobs) => s.slot(st, jobs, event, enqueue)),
        ),
      },
      PublishReceipt: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          advance(context, enqueue, (s, st, jobs) => s.published(st, jobs, event, enqueue)),
        ),
      },
      'effect.done': {
        actions: enqueueActions(({ context, event, enqueue }) => {
          if (event.name !== 'grant') return;
          advance(context, enqueue, (s, st, jobs) => s.granted(st, jobs, event, enqueue));
        }),
      },
      'effect.failed': {
        actions: enqueueActions(({ event, enqueue }) => {
          if (event.name !== 'grant') return;
          arbitrate(
            enqueue,
            event.now,
            {
              decision: 'hold',
              clip_id: event.id.slice('grant-'.length),
              accepted: [],
              rejected: [],
              reason: `no publish grant: ${event.error.message}`.slice(0, 2000),
            },
            [],
          );
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

const PIPELINE_INPUTS = [
  'MediaCaptured',
  'VideoAssetCreated',
  'ConflictReport',
  'AnalysisReport',
  'VoteReport',
  'LatticeHints',
  'HorizonGuidance',
  'ClipRendered',
  'ChorusPackage',
  'ScheduleChange',
  'PublishReceipt',
] as const;

/** What moves the clip pipeline: worker results and the advisory modules' outputs. */
function pipelineSubjects(site: string): string[] {
  return [
    subjects.evtAny(site, 'raw_captured'),
    subjects.evtAny(site, 'video_asset_created'),
    subjects.evtAny(site, 'analysis_ready'),
    subjects.evtAny(site, 'clip_rendered'),
    subjects.evtAny(site, 'scheduled'),
    subjects.evtAny(site, 'rescheduled'),
    subjects.evtAny(site, 'skipped'),
    subjects.evtAny(site, 'published'),
    subjects.adv(site, 'paradox', 'conflict'),
    subjects.adv(site, 'pantheon', 'votes'),
    subjects.adv(site, 'lattice', 'priorities'),
    subjects.adv(site, 'horizon', 'guidance'),
    subjects.adv(site, 'chorus', 'metadata'),
  ];
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
      'HostState',
      ...(o.pipeline ? PIPELINE_INPUTS : []),
    ],
    work: {
      stream: STREAMS.evt,
      filter: (site) => [
        subjects.advAny(site, 'work_request'),
        subjects.adv(site, 'eclipse', 'plan'),
        subjects.adv(site, 'eclipse', 'readiness'),
        subjects.adv(site, 'eclipse', 'directive'),
        // Operator commands relayed by the hosts' Ops Agents (their own subjects, not Eclipse's).
        subjects.adv(site, 'ops', 'plan'),
        subjects.adv(site, 'ops', 'directive'),
        subjects.adv(site, 'eclipse', 'host_state'),
        subjects.adv(site, 'operator', 'override'),
        subjects.evtAny(site, 'status'),
        ...(o.pipeline ? pipelineSubjects(site) : []),
      ],
    },
    ...(o.signGrant
      ? {
          effects: {
            grant: async (input: unknown, ctx: EffectContext) => ({
              token: o.signGrant?.((input as { clip_id: string }).clip_id, ctx.site),
            }),
          },
        }
      : {}),
  });
}
