import { assign, emit, enqueueActions, setup } from 'xstate';
import {
  deriveMsgId,
  type RecoveryPlan,
  subjects,
  type WorkerStatus,
} from '../../protocols/index.ts';
import {
  defineActorKind,
  type MessageEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../runtime/index.ts';
import {
  alertEmit,
  type HostGapEvent,
  type HostOptions,
  type HostRecord,
  hostReport,
  hostSilent,
  jobAlerts,
} from './eclipse-hosts.ts';

/**
 * Eclipse, the crisis manager (spec §4.2): reads worker failures, classifies them, and
 * advises — retry, reroute or abandon, quarantine after repeated failures of one instance,
 * and a readiness signal when a quarantine ends. It judges hosts by their health reports
 * (eclipse-hosts.ts) and raises alerts (job_failed, excessive_retries, host_down, …).
 * It never acts; Zenith enforces.
 */
export interface EclipseOptions extends HostOptions {
  /** Consecutive failures of one instance before it is quarantined. */
  quarantineAfter: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long a quarantine lasts before Eclipse signals the instance ready again. */
  quarantineMs: number;
  /** Silence after which an instance that has sent heartbeats is taken for dead. */
  heartbeatGapMs: number;
}

export const DEFAULT_ECLIPSE: EclipseOptions = {
  quarantineAfter: 3,
  maxAttempts: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  quarantineMs: 300_000,
  heartbeatGapMs: 15_000,
  hostGapIntervals: 3,
  excessiveRetriesAfter: 3,
};

/** Failures that may pass on their own; anything else would fail the same way again. */
const TRANSIENT = new Set([
  'network_timeout',
  'rate_limited',
  'gpu_starvation',
  'resource_exhausted',
  'model_offline',
  'quota_exceeded',
]);

/** What to fix before trusting an instance again, by failure. */
const REMEDIATION: Record<string, string[]> = {
  gpu_starvation: ['restart_required'],
  resource_exhausted: ['restart_required', 'cache_flush'],
  model_offline: ['restart_required'],
  network_timeout: [],
  rate_limited: [],
};

/** Deterministic jitter in [0.5, 1): machines stay pure, yet retries of many jobs spread out. */
export function jitter(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  return 0.5 + ((h >>> 0) % 1000) / 2000;
}

/** Exponential backoff with jitter and a cap. */
export function retryDelay(o: EclipseOptions, job: string, attempt: number): number {
  const exp = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(exp * jitter(`${job}:${attempt}`));
}

type Context = {
  /** Consecutive failures per `<worker>/<instance>`. */
  streaks: Record<string, number>;
  /** Attempts so far per job. */
  attempts: Record<string, number>;
  quarantined: string[];
  /** Instances quarantined because their heartbeats stopped (released when they resume). */
  silent: string[];
  /** Eclipse's verdict per host (absent in snapshots from before host health). */
  hosts?: Record<string, HostRecord>;
};

type Events =
  | MessageEvent<'WorkerStatus'>
  | MessageEvent<'Heartbeat'>
  | MessageEvent<'HostHealth'>
  | HostGapEvent
  | { type: 'heartbeat_gap'; worker: string; instance: string; now: number }
  | MessageEvent<'PanicSignal'>
  | MessageEvent<'ConflictReport'>
  | { type: 'release'; worker: string; instance: string; now: number };

const slot = (s: Pick<WorkerStatus, 'worker' | 'instance_id'>) => `${s.worker}/${s.instance_id}`;

/** Plans the recovery of one failure. Pure: the same history gives the same plan. */
export function planRecovery(
  o: EclipseOptions,
  ctx: Context,
  status: WorkerStatus,
  planId: string,
): RecoveryPlan {
  const code = status.error?.code ?? 'internal';
  const transient = TRANSIENT.has(code);
  const attempt = (ctx.attempts[status.job_id] ?? 0) + 1;
  const streak = (ctx.streaks[slot(status)] ?? 0) + 1;
  const quarantine = transient && streak >= o.quarantineAfter;
  const exhausted = attempt >= o.maxAttempts;
  const action: RecoveryPlan['action'] =
    !transient || exhausted ? 'abandon' : quarantine ? 'reroute' : 'retry';
  const notes = !transient
    ? `${code} is deterministic: the same command would fail again`
    : exhausted
      ? `${code}: ${attempt} of ${o.maxAttempts} attempts used`
      : quarantine
        ? `${code}: ${streak} consecutive failures on ${status.instance_id}; move the job elsewhere`
        : `${code} is transient: retry after a backoff`;
  return {
    plan_id: planId,
    job_key: status.job_id,
    worker: status.worker,
    failed_instance: status.instance_id,
    error_code: code,
    classification: transient ? 'transient' : 'deterministic',
    action,
    attempt,
    max_attempts: o.maxAttempts,
    delay_ms: action === 'abandon' ? 0 : retryDelay(o, status.job_id, attempt),
    quarantine,
    avoid_instances: quarantine || action === 'reroute' ? [status.instance_id] : [],
    remediation: REMEDIATION[code] ?? [],
    notes,
  };
}

export function eclipseMachine(o: EclipseOptions = DEFAULT_ECLIPSE) {
  return setup({
    types: {} as { context: Context; events: Events; emitted: RuntimeEmit },
  }).createMachine({
    id: 'eclipse',
    context: { streaks: {}, attempts: {}, quarantined: [], silent: [] },
    on: {
      WorkerStatus: [
        {
          guard: ({ event }) => event.payload.status === 'ERROR',
          actions: enqueueActions(({ context, event, enqueue }) => {
            const status = event.payload;
            const plan = planRecovery(o, context, status, deriveMsgId(event.meta.msg_id, 0));
            const parents = event.meta.stardust_id ? [event.meta.stardust_id] : [];
            // Only transient failures say something about the instance; a deterministic one is
            // the command's fault and would fail anywhere.
            const streak =
              (context.streaks[slot(status)] ?? 0) + (plan.classification === 'transient' ? 1 : 0);
            enqueue.assign({
              streaks: { ...context.streaks, [slot(status)]: streak },
              attempts: { ...context.attempts, [status.job_id]: plan.attempt },
            });
            enqueue.emit({
              type: 'omniva.publish',
              channel: 'adv',
              name: 'plan',
              contract: 'RecoveryPlan',
              payload: plan,
              parents,
            });
            for (const alert of jobAlerts(o, event, plan)) enqueue.emit(alertEmit(alert, parents));
            if (plan.quarantine && !context.quarantined.includes(slot(status))) {
              enqueue.assign({ quarantined: [...context.quarantined, slot(status)] });
              enqueue.emit({
                type: 'omniva.publish',
                channel: 'adv',
                name: 'readiness',
                contract: 'InstanceReadiness',
                parents,
                payload: {
                  worker: status.worker,
                  instance: status.instance_id,
                  state: 'quarantined',
                  reason: plan.notes ?? plan.error_code,
                  at: new Date(event.now).toISOString(),
                },
              });
              enqueue.emit({
                type: 'omniva.timer.set',
                // `/` cannot occur in either token, so two instances never share a timer.
                id: `release/${status.worker}/${status.instance_id}`,
                at: event.now + o.quarantineMs,
                event: { type: 'release', worker: status.worker, instance: status.instance_id } as {
                  type: string;
                },
              });
            }
          }),
        },
        {
          guard: ({ event }) => event.payload.status === 'DONE',
          actions: assign(({ context, event }) => {
            const { [slot(event.payload)]: _ok, ...streaks } = context.streaks;
            const { [event.payload.job_id]: _done, ...attempts } = context.attempts;
            return { streaks, attempts };
          }),
        },
      ],
      Heartbeat: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const hb = event.payload;
          const key = `${hb.actor}/${hb.instance_id}`;
          // Each heartbeat pushes the deadline back; the timer fires only after a silence.
          enqueue.emit({
            type: 'omniva.timer.set',
            id: `gap/${key}`,
            at: event.now + o.heartbeatGapMs,
            event: { type: 'heartbeat_gap', worker: hb.actor, instance: hb.instance_id } as {
              type: string;
            },
          });
          if (!context.silent.includes(key)) return;
          enqueue.assign({
            silent: context.silent.filter((s) => s !== key),
            quarantined: context.quarantined.filter((q) => q !== key),
          });
          enqueue.emit({
            type: 'omniva.publish',
            channel: 'adv',
            name: 'readiness',
            contract: 'InstanceReadiness',
            payload: {
              worker: hb.actor,
              instance: hb.instance_id,
              state: 'released',
              reason: 'heartbeats resumed',
              at: new Date(event.now).toISOString(),
            },
          });
        }),
      },
      HostHealth: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          hostReport(o, context.hosts, event, enqueue),
        ),
      },
      host_gap: {
        actions: enqueueActions(({ context, event, enqueue }) =>
          hostSilent(context.hosts, event, enqueue),
        ),
      },
      heartbeat_gap: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const key = `${event.worker}/${event.instance}`;
          if (context.silent.includes(key)) return;
          enqueue.assign({
            silent: [...context.silent, key],
            quarantined: context.quarantined.includes(key)
              ? context.quarantined
              : [...context.quarantined, key],
          });
          enqueue.emit({
            type: 'omniva.publish',
            channel: 'adv',
            name: 'readiness',
            contract: 'InstanceReadiness',
            payload: {
              worker: event.worker,
              instance: event.instance,
              state: 'quarantined',
              reason: `no heartbeat for ${o.heartbeatGapMs} ms: taken for dead; its work goes elsewhere`,
              at: new Date(event.now).toISOString(),
            },
          });
        }),
      },
      ConflictReport: {
        // Paradox escalates: a quarantine of named instances, or a block of a worker's queue.
        actions: enqueueActions(({ context, event, enqueue }) => {
          const r = event.payload;
          if (r.action === 'ignore' || r.severity === 'low') return;
          const parents = event.meta.stardust_id ? [event.meta.stardust_id] : [];
          const reason = `paradox ${r.conflict} (${r.severity})${r.notes ? `: ${r.notes}` : ''}`;
          const at = new Date(event.now).toISOString();
          let quarantined = context.quarantined;
          for (const a of r.affected) {
            if (r.action === 'quarantine' && a.type === 'instance') {
              const [worker, instance] = a.id.split('/');
              const token = /^[A-Za-z0-9_-]+$/;
              if (
                !token.test(worker ?? '') ||
                !token.test(instance ?? '') ||
                quarantined.includes(a.id)
              )
                continue;
              quarantined = [...quarantined, a.id];
              enqueue.emit({
                type: 'omniva.publish',
                channel: 'adv',
                name: 'readiness',
                contract: 'InstanceReadiness',
                parents,
                payload: { worker, instance, state: 'quarantined', reason, at },
              });
            } else if (r.action === 'block' && a.type === 'worker') {
              enqueue.emit({
                type: 'omniva.publish',
                channel: 'adv',
                name: 'directive',
                contract: 'QueueDirective',
                parents,
                payload: { worker: a.id, state: 'paused', reason, source: 'eclipse' },
              });
            }
          }
          if (quarantined !== context.quarantined) enqueue.assign({ quarantined });
        }),
      },
      PanicSignal: {
        // The operator's panic button: Eclipse turns it into advice Zenith enforces.
        actions: emit(({ event }) => ({
          type: 'omniva.publish' as const,
          channel: 'adv' as const,
          name: 'directive',
          contract: 'QueueDirective' as const,
          parents: event.meta.stardust_id ? [event.meta.stardust_id] : [],
          payload: {
            ...(event.payload.worker ? { worker: event.payload.worker } : {}),
            state: event.payload.state === 'panic' ? ('paused' as const) : ('resumed' as const),
            reason: `${event.payload.operator}: ${event.payload.reason}`,
            source: 'eclipse',
          },
        })),
      },
      release: {
        actions: [
          assign(({ context, event }) => ({
            quarantined: context.quarantined.filter(
              (q) => q !== `${event.worker}/${event.instance}`,
            ),
            streaks: { ...context.streaks, [`${event.worker}/${event.instance}`]: 0 },
          })),
          emit(({ event }) => ({
            type: 'omniva.publish' as const,
            channel: 'adv' as const,
            name: 'readiness',
            contract: 'InstanceReadiness' as const,
            payload: {
              worker: event.worker,
              instance: event.instance,
              state: 'released' as const,
              reason: `quarantine of ${o.quarantineMs} ms is over; the instance may take work again`,
              at: new Date(event.now).toISOString(),
            },
          })),
        ],
      },
    },
  });
}

/**
 * Eclipse reads every worker's status events (`omniva.<site>.evt.*.status`), heartbeats and
 * host health (`omniva.<site>.hb.>`), and Paradox's escalations and the operator's panic.
 */
export function eclipseKind(o: EclipseOptions = DEFAULT_ECLIPSE) {
  return defineActorKind({
    name: 'eclipse',
    version: 1,
    machine: eclipseMachine(o),
    accepts: ['WorkerStatus', 'PanicSignal', 'Heartbeat', 'HostHealth', 'ConflictReport'],
    work: {
      stream: STREAMS.evt,
      filter: (site) => [
        subjects.evtAny(site, 'status'),
        subjects.adv(site, 'operator', 'panic'),
        subjects.adv(site, 'paradox', 'escalation'),
        subjects.hbAll(site),
      ],
    },
  });
}
