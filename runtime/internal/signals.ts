import { type Envelope, makeEnvelope, type OmnivaError } from '../../protocols/index.ts';

/** What the host says about itself: heartbeats (liveness) and escalations (crash loops). */
export interface HostIdentity {
  site: string;
  hostId: string;
  kind: string;
  /** Set for a placeable worker instance, which Zenith addresses as cmd.<worker>.<instance>. */
  placement?: { worker: string; instance: string } | undefined;
}

export function heartbeatEnvelope(
  id: HostIdentity,
  s: { degraded: boolean; uptimeS: number; inFlight: number; now: number },
): Envelope {
  return makeEnvelope({
    type: 'Heartbeat',
    site_id: id.site,
    actor: id.kind,
    payload: {
      host_id: id.hostId,
      actor: id.placement?.worker ?? id.kind,
      instance_id: id.placement?.instance ?? id.hostId,
      state: s.degraded ? 'degraded' : 'healthy',
      sent_at: new Date(s.now).toISOString(),
      uptime_s: s.uptimeS,
      in_flight: s.inFlight,
    },
  });
}

export function escalationEnvelope(
  id: HostIdentity,
  e: { key: string; restarts: number; periodMs: number; error: OmnivaError; now: number },
): Envelope {
  return makeEnvelope({
    type: 'ActorEscalation',
    site_id: id.site,
    actor: id.kind,
    payload: {
      actor: id.kind,
      instance_key: e.key,
      host_id: id.hostId,
      restarts: e.restarts,
      period_ms: e.periodMs,
      last_error: { code: e.error.code, message: e.error.message },
      at: new Date(e.now).toISOString(),
    },
  });
}
