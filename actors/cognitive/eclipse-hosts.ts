import {
  type Alert,
  deriveMsgId,
  type HostState,
  type WorkerStatus,
} from '../../protocols/index.ts';
import type { MessageEvent, RuntimeEmit } from '../../runtime/index.ts';

/**
 * Eclipse's view of hosts (design §7): every Ops Agent's HostHealth keeps its host's record
 * fresh; a degraded report makes the host degraded, silence for `hostGapIntervals` reporting
 * periods makes it offline and raises host_down, and a report after that brings it back.
 * Each change is a HostState advice for Zenith, which stops placing work on the host.
 */

/** What Eclipse knows of one host. */
export type HostRecord = {
  state: HostState['state'];
  /** When the host entered this state (Eclipse's clock). */
  since: number;
  /** `sent_at` of its last report. */
  last_report_at: string;
  /** The site its reports came from: alerts raised by a timer need it. */
  site: string;
  reason: string;
};

export type HostGapEvent = {
  type: 'host_gap';
  host: string;
  due: number;
  gap_ms: number;
  now: number;
};

export interface HostOptions {
  /** Reporting periods without a report before a host is taken for offline. */
  hostGapIntervals: number;
  /** Failures of one job after which an excessive_retries alert is raised. */
  excessiveRetriesAfter: number;
}

type Enqueue = {
  emit: (e: RuntimeEmit) => void;
  assign: (c: { hosts: Record<string, HostRecord> }) => void;
};

const iso = (t: number) => new Date(t).toISOString();
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function alertEmit(alert: Alert, parents: string[] = []): RuntimeEmit {
  return {
    type: 'omniva.publish',
    channel: 'alert',
    name: alert.type,
    contract: 'Alert',
    payload: alert,
    parents,
  };
}

function stateEmit(s: HostState, parents: string[] = []): RuntimeEmit {
  return {
    type: 'omniva.publish',
    channel: 'adv',
    name: 'host_state',
    contract: 'HostState',
    payload: s,
    parents,
  };
}

/** A health report: refresh the record, push the offline deadline back, advise on a change. */
export function hostReport(
  o: HostOptions,
  hosts: Record<string, HostRecord> | undefined,
  event: MessageEvent<'HostHealth'>,
  enqueue: Enqueue,
) {
  const h = event.payload;
  const prev = hosts?.[h.host_id];
  const gap = o.hostGapIntervals * h.interval_ms;
  const site = event.meta.site_id;
  const parents = event.meta.stardust_id ? [event.meta.stardust_id] : [];
  // Each report pushes the deadline back; the timer fires only after a silence.
  enqueue.emit({
    type: 'omniva.timer.set',
    id: `host/${h.host_id}`,
    at: event.now + gap,
    event: { type: 'host_gap', host: h.host_id, due: event.now + gap, gap_ms: gap } as {
      type: string;
    },
  });
  const was = prev?.state ?? 'healthy';
  const changed = was !== h.state;
  const degradedWhy = `degraded: ${h.reasons.join('; ')}`;
  const resumed = was === 'offline' ? 'health reports resumed' : undefined;
  const reason = clip(
    h.state === 'degraded'
      ? [resumed, degradedWhy].filter(Boolean).join('; ')
      : (resumed ?? (changed ? 'the host reports healthy again' : (prev?.reason ?? 'healthy'))),
    2000,
  );
  enqueue.assign({
    hosts: {
      ...hosts,
      [h.host_id]: {
        state: h.state,
        since: changed || !prev ? event.now : prev.since,
        last_report_at: h.sent_at,
        site,
        reason,
      },
    },
  });
  if (!changed) return;
  enqueue.emit(
    stateEmit(
      {
        host_id: h.host_id,
        state: h.state,
        reason,
        since: iso(event.now),
        last_report_at: h.sent_at,
      },
      parents,
    ),
  );
  const base = {
    alert_id: deriveMsgId(event.meta.msg_id, 1),
    site_id: site,
    host_id: h.host_id,
    raised_at: iso(event.now),
  };
  if (was === 'offline') {
    enqueue.emit(
      alertEmit(
        {
          ...base,
          type: 'host_recovered',
          severity: 'info',
          message: clip(`host ${h.host_id} reports again (${h.state})`, 2000),
        },
        parents,
      ),
    );
  } else if (h.state === 'degraded') {
    enqueue.emit(
      alertEmit(
        {
          ...base,
          type: 'host_degraded',
          severity: 'warning',
          message: clip(`host ${h.host_id} is ${degradedWhy}`, 2000),
        },
        parents,
      ),
    );
  }
}

/** No report within the gap: the host is offline, Zenith is told, host_down is raised once. */
export function hostSilent(
  hosts: Record<string, HostRecord> | undefined,
  event: HostGapEvent,
  enqueue: Enqueue,
) {
  const prev = hosts?.[event.host];
  if (!prev || prev.state === 'offline') return;
  const reason = `no health report for ${event.gap_ms} ms (the last was sent at ${prev.last_report_at})`;
  enqueue.assign({
    hosts: { ...hosts, [event.host]: { ...prev, state: 'offline', since: event.now, reason } },
  });
  enqueue.emit(
    stateEmit({
      host_id: event.host,
      state: 'offline',
      reason,
      since: iso(event.now),
      last_report_at: prev.last_report_at,
    }),
  );
  enqueue.emit(
    alertEmit({
      alert_id: deriveMsgId(`host_down|${prev.site}|${event.host}|${event.due}`, 0),
      type: 'host_down',
      severity: 'critical',
      site_id: prev.site,
      host_id: event.host,
      message: `host ${event.host} is offline: ${reason}`,
      raised_at: iso(event.now),
      details: { last_report_at: prev.last_report_at, gap_ms: event.gap_ms },
    }),
  );
}

/**
 * The alerts a failure's plan calls for: job_failed when the job is abandoned (a
 * deterministic failure, or the last attempt), excessive_retries when it has failed
 * `excessiveRetriesAfter` times and is still being retried.
 */
export function jobAlerts(
  o: HostOptions,
  event: MessageEvent<'WorkerStatus'>,
  plan: { action: string; attempt: number; error_code: string; notes?: string | undefined },
): Alert[] {
  const s: WorkerStatus = event.payload;
  const base = {
    site_id: event.meta.site_id,
    run_id: s.job_id,
    stage: s.worker,
    raised_at: iso(event.now),
    details: { instance: s.instance_id, error_code: plan.error_code, attempt: plan.attempt },
  };
  if (plan.action === 'abandon') {
    return [
      {
        ...base,
        alert_id: deriveMsgId(event.meta.msg_id, 1),
        type: 'job_failed',
        severity: 'critical',
        message: clip(
          `job ${s.job_id} failed on ${s.worker}/${s.instance_id} and is abandoned: ${plan.notes ?? plan.error_code}`,
          2000,
        ),
      },
    ];
  }
  if (plan.attempt === o.excessiveRetriesAfter) {
    return [
      {
        ...base,
        alert_id: deriveMsgId(event.meta.msg_id, 2),
        type: 'excessive_retries',
        severity: 'warning',
        message: clip(
          `job ${s.job_id} on ${s.worker} has failed ${plan.attempt} times (last on ${s.instance_id}: ${plan.error_code})`,
          2000,
        ),
      },
    ];
  }
  return [];
}
