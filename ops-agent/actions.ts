import { OmnivaError } from '../protocols/index.ts';
import type { SiteClient } from '../runtime/index.ts';
import type { OpsActionContext, OpsActions, OpsDetail } from './agent.ts';
import type { OpsArgs } from './command.ts';

/** Effects only the host process can perform (it owns the worker processes and job records). */
export interface HostCallbacks {
  restartWorker?: (
    args: OpsArgs['restart_worker'],
    ctx: OpsActionContext,
  ) => Promise<OpsDetail | undefined>;
  drainWorker?: (
    args: OpsArgs['drain_worker'],
    ctx: OpsActionContext,
  ) => Promise<OpsDetail | undefined>;
  retryStage?: (
    args: OpsArgs['retry_stage'],
    ctx: OpsActionContext,
  ) => Promise<OpsDetail | undefined>;
}

export interface SiteActionsOptions extends HostCallbacks {
  /** A client of the agent's site; its actor name is what Zenith and Stardust see. */
  client: SiteClient;
  /** How long a cancel waits for the host running the run to answer (default 5 s). */
  cancelTimeoutMs?: number;
}

/**
 * The agent's actions through the site's own channels, so an operator command takes the same
 * path as any other control input and stays under Zenith's authority (design §5):
 * - pause / resume queue: a QueueDirective advice on `adv.ops.directive`, which Zenith
 *   enforces and records as an arbitration (the agent never writes `cmd.*` itself);
 * - cancel run: the runtime's `rpc.<worker>.cancel`, answered only by the host running it;
 * - restart / drain worker and retry stage: callbacks of the host process.
 */
export function siteActions(o: SiteActionsOptions): OpsActions {
  const directive = async (
    queue: string,
    state: 'paused' | 'resumed',
    reason: string | undefined,
    ctx: OpsActionContext,
  ) => {
    const { envelope, stardust_id } = await o.client.advise(
      'ops',
      'directive',
      'QueueDirective',
      {
        worker: queue,
        state,
        reason:
          `${ctx.command.role} ${ctx.command.issuer.slice(0, 8)}: ${reason ?? 'operator command'}`.slice(
            0,
            1000,
          ),
        source: 'ops_agent',
      },
      { trace_id: ctx.trace_id, _meta_parents: [ctx.audit_id] },
    );
    return { msg_id: envelope.msg_id, ...(stardust_id ? { stardust_id } : {}) };
  };
  const missing = (what: string) => () =>
    Promise.reject(
      new OmnivaError('OMNIVA_ERR_EFFECT_FAILED', `this host has no ${what} handler`, undefined, {
        retryable: false,
      }),
    );
  return {
    pause_queue: (args, ctx) => directive(args.queue, 'paused', args.reason, ctx),
    resume_queue: (args, ctx) => directive(args.queue, 'resumed', args.reason, ctx),
    cancel_run: async (args) => {
      let reply: Awaited<ReturnType<SiteClient['request']>>;
      try {
        reply = await o.client.request(
          args.worker,
          'cancel',
          'CancelRequest',
          { instance_key: args.run_id, ...(args.reason ? { reason: args.reason } : {}) },
          o.cancelTimeoutMs ?? 5_000,
        );
      } catch (e) {
        // Only the host running the instance answers; silence means nothing was running.
        throw new OmnivaError(
          'OMNIVA_ERR_EFFECT_FAILED',
          `no ${args.worker} host is running ${args.run_id}`,
          undefined,
          { retryable: false, cause: e },
        );
      }
      const p = reply.payload as { cancelled: boolean; host_id: string };
      return { cancelled: p.cancelled, cancelled_on: p.host_id };
    },
    restart_worker: o.restartWorker ?? missing('restart_worker'),
    drain_worker: o.drainWorker ?? missing('drain_worker'),
    retry_stage: o.retryStage ?? missing('retry_stage'),
  };
}
