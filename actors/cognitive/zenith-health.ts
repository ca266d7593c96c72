import type { HostState, InstanceReadiness } from '../../protocols/index.ts';
import type { MessageEvent } from '../../runtime/index.ts';
import {
  arbitrate,
  armCycle,
  type Context,
  type Enqueue,
  ids,
  issue,
  issueQueued,
  type Job,
  place,
  type ZenithOptions,
} from './zenith-decisions.ts';

/**
 * What Zenith does with Eclipse's health advice: an instance quarantined or released
 * (InstanceReadiness), a host degraded, offline or healthy again (HostState). Quarantine
 * moves the work still out on the instance; an unavailable host only stops new placements.
 * Either way, work that waited for an instance is issued when one becomes usable again.
 */

export function onReadiness(
  o: ZenithOptions,
  context: Context,
  event: MessageEvent<'InstanceReadiness'>,
  enqueue: Enqueue,
) {
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
    const quarantined = context.quarantined.filter((q) => q !== slot);
    const accepted = [{ module: 'eclipse', ref: event.meta.msg_id }];
    const evidence = ids(event.meta.stardust_id);
    arbitrate(
      enqueue,
      event.now,
      {
        decision: 'release',
        worker: r.worker,
        instance: r.instance,
        accepted,
        rejected: [],
        reason: r.reason,
      },
      evidence,
    );
    // A job held because every other instance sat on an unavailable host can go here now.
    const jobs = { ...context.jobs };
    const issued = issueQueued(enqueue, event.now, jobs, { ...context, quarantined }, o, {
      accepted,
      evidence,
      reason: (_job, instance) => `${slot} released (${r.reason}); placed on ${instance}`,
    });
    enqueue.assign({ quarantined, ...(issued ? { jobs } : {}) });
    if (issued) armCycle(o, context, enqueue, event.now);
  }
}

export function onHostState(
  o: ZenithOptions,
  context: Context,
  event: MessageEvent<'HostState'>,
  enqueue: Enqueue,
) {
  const h: HostState = event.payload;
  const unavailable = { ...context.unavailable };
  if (h.state !== 'healthy') {
    unavailable[h.host_id] = {
      state: h.state,
      reason: h.reason.slice(0, 500),
      ref: event.meta.msg_id,
      ...(event.meta.stardust_id ? { evidence: event.meta.stardust_id } : {}),
    };
    enqueue.assign({ unavailable });
    return;
  }
  if (!unavailable[h.host_id]) return;
  delete unavailable[h.host_id];
  // The jobs held for lack of a usable host go out now, citing the recovery.
  const jobs = { ...context.jobs };
  const issued = issueQueued(enqueue, event.now, jobs, { ...context, unavailable }, o, {
    accepted: [{ module: 'eclipse', ref: event.meta.msg_id }],
    evidence: ids(event.meta.stardust_id),
    reason: (_job, instance) =>
      `host ${h.host_id} is healthy again (${h.reason.slice(0, 500)}); placed on ${instance}`,
  });
  enqueue.assign({ unavailable, jobs });
  if (issued) armCycle(o, context, enqueue, event.now);
}
