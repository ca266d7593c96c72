import { randomUUID } from 'node:crypto';
import { OmnivaError } from '../protocols/index.ts';
import type { SiteClient } from '../runtime/index.ts';
import type { HostCallbacks } from './actions.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The error code a retry plan names, so the ledger and Zenith's arbitration say who asked. */
export const OPERATOR_RETRY = 'operator_retry';

/**
 * retry_stage through Zenith (design §5: operator input goes through Zenith, never to `cmd.*`).
 * Zenith has no operator "retry" override yet; the advice it already takes for a retry is a
 * RecoveryPlan on `adv.ops.plan`. The agent publishes one with action `retry`, no delay and
 * no quarantine, citing the command's audit packet; the packet's actor is the agent, so the
 * ledger tells it apart from Eclipse's own plans. `run_id` is the job key Zenith gave the run
 * and `stage` its worker kind. Zenith acts on it only while that job is failed (not yet
 * retried, rerouted or abandoned); otherwise the plan is recorded and changes nothing. The
 * agent cannot see which (it may not read Zenith's state), so success means "Zenith was asked".
 */
export function retryThroughZenith(client: SiteClient): NonNullable<HostCallbacks['retryStage']> {
  return async (args, ctx) => {
    if (!UUID.test(args.run_id)) {
      throw new OmnivaError(
        'OMNIVA_ERR_EFFECT_FAILED',
        `retry_stage needs run_id to be the job key Zenith gave the run (a uuid), got "${args.run_id.slice(0, 64)}"`,
        undefined,
        { retryable: false },
      );
    }
    const plan_id = randomUUID();
    const who = `${ctx.command.role} ${ctx.command.issuer.slice(0, 8)}`;
    const { envelope, stardust_id } = await client.advise(
      'ops',
      'plan',
      'RecoveryPlan',
      {
        plan_id,
        job_key: args.run_id.toLowerCase(),
        worker: args.stage,
        // Not known to the agent; with no quarantine and nothing to avoid, Zenith places anew.
        failed_instance: 'unknown',
        error_code: OPERATOR_RETRY,
        classification: 'transient',
        action: 'retry',
        attempt: 1,
        max_attempts: 1,
        delay_ms: 0,
        quarantine: false,
        avoid_instances: [],
        remediation: [],
        notes:
          `retry_stage by ${who} through ops agent ${ctx.command.host_id}: ${args.reason ?? 'operator command'}`.slice(
            0,
            1000,
          ),
      },
      { trace_id: ctx.trace_id, _meta_parents: [ctx.audit_id] },
    );
    return {
      asked: 'zenith',
      plan_id,
      job_key: args.run_id.toLowerCase(),
      worker: args.stage,
      msg_id: envelope.msg_id,
      ...(stardust_id ? { stardust_id } : {}),
    };
  };
}
