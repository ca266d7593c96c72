import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  type Codec,
  decode,
  makeEnvelope,
  subjects,
  validateMessage,
} from '../../protocols/index.ts';
import type { Logger } from '../logger.ts';
import { contentTypeOf, encodeReply } from './outbound.ts';

/** The rpc verb a cancellable kind answers on every host (no queue group). */
export const CANCEL_VERB = 'cancel';

/**
 * The reason running effects' signals carry when their host stops (not a cancel): what they
 * fail with then is an interruption, never journaled as final, so the redelivery runs them again.
 */
export class HostStopping extends Error {
  constructor() {
    super('the host is stopping');
    this.name = 'HostStopping';
  }
}

/**
 * Which instances have an effect running on this host, each with its own abort switch.
 * Effects see a signal that fires on host stop or on a cancel for their instance.
 */
export class Cancellations {
  readonly #running = new Map<string, AbortController>();

  constructor(private readonly hostSignal: AbortSignal) {}

  begin(key: string): AbortSignal {
    const c = new AbortController();
    this.#running.set(key, c);
    return AbortSignal.any([this.hostSignal, c.signal]);
  }

  end(key: string): void {
    this.#running.delete(key);
  }

  /** True when an effect of the instance was running here and is now told to stop. */
  cancel(key: string, reason = 'cancelled'): boolean {
    const c = this.#running.get(key);
    if (!c) return false;
    c.abort(reason);
    return true;
  }
}

/**
 * Serves `rpc.<actor>.cancel` on every host of the kind: a render runs on one host, and only
 * that one can stop it, so the request goes to all and only the host that cancelled answers.
 * No answer (a timeout for the caller) means no host was running the instance.
 */
export function serveCancel(d: {
  nc: NatsConnection;
  site: string;
  actor: string;
  hostId: string;
  codec: Codec;
  cancellations: Cancellations;
  log: Logger;
}): Subscription {
  return d.nc.subscribe(subjects.rpc(d.site, d.actor, CANCEL_VERB), {
    callback: (err, msg) => {
      if (err) return;
      // An exception thrown here would end the client's read loop for the whole connection.
      let v: ReturnType<typeof validateMessage>;
      try {
        v = validateMessage(decode(msg.data, contentTypeOf(msg.headers)), ['CancelRequest']);
      } catch (e) {
        d.log.warn({ err: e, subject: msg.subject }, 'undecodable cancel request ignored');
        return;
      }
      if (!v.ok) return; // the queue-group rpc binding answers malformed requests
      const { instance_key, reason } = v.envelope.payload as {
        instance_key: string;
        reason?: string;
      };
      if (!d.cancellations.cancel(instance_key, reason)) return;
      d.log.warn(
        { key: instance_key, reason, trace_id: v.envelope.trace_id },
        'effect cancelled on request',
      );
      const reply = makeEnvelope({
        type: 'CancelReply',
        site_id: d.site,
        payload: { instance_key, cancelled: true, host_id: d.hostId },
        trace_id: v.envelope.trace_id,
        actor: d.actor,
        causation_id: v.envelope.msg_id,
      });
      const { data, headers } = encodeReply(reply, d.codec);
      msg.respond(data, { headers });
    },
  });
}
