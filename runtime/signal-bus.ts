import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { type Codec, decode, type Envelope, HEADERS, OmnivaError } from '../protocols/index.ts';
import { contentTypeOf, encodeEnvelope } from './internal/outbound.ts';

/**
 * Host signals outside the actor pipeline (design §3: `hb.<host>`, `alert.<type>`): health
 * reports and alerts travel as plain core-NATS messages, so they still flow when a consumer,
 * a stream or an actor is stuck. A lost one is what a gap looks like anyway; the server
 * still stores them in the site's event stream for the actors that read them there.
 */

/** The connection a signal publisher or watcher uses (the site connection of the process). */
export type SignalConnection = NatsConnection;

/** One message seen on a watched subject: its envelope, or why it could not be decoded. */
export type SignalMessage =
  | { subject: string; type: string | undefined; doc: unknown; error?: undefined }
  | { subject: string; type: string | undefined; doc?: undefined; error: OmnivaError };

export interface SignalWatch {
  /** Stops receiving; messages already delivered are still handled. */
  unsubscribe(): void;
  /** Processes what the server already sent, then stops. */
  drain(): Promise<void>;
}

/** Publishes an envelope on a subject with its metadata headers (core NATS, no ack). */
export function publishSignal(
  nc: SignalConnection,
  subject: string,
  envelope: Envelope,
  codec: Codec = 'json',
): void {
  const { data, headers } = encodeEnvelope(envelope, codec);
  nc.publish(subject, data, { headers });
}

/**
 * Calls `onMessage` for every message on `subject` (a core subscription: live only, no
 * consumer). Undecodable bodies are handed over with their error rather than dropped, so the
 * watcher can count them. `onMessage` must not throw; if it does, the error is swallowed here
 * so one bad message cannot end the subscription.
 */
export function watchSignals(
  nc: SignalConnection,
  subject: string,
  onMessage: (m: SignalMessage) => void,
): SignalWatch {
  const sub: Subscription = nc.subscribe(subject, {
    callback: (err, m) => {
      if (err) return;
      const type = m.headers?.get(HEADERS.type) || undefined;
      let message: SignalMessage;
      try {
        message = { subject: m.subject, type, doc: decode(m.data, contentTypeOf(m.headers)) };
      } catch (e) {
        const error = OmnivaError.is(e)
          ? e
          : new OmnivaError('OMNIVA_ERR_DECODE', `undecodable message: ${(e as Error).message}`);
        message = { subject: m.subject, type, error };
      }
      try {
        onMessage(message);
      } catch {
        // The watcher's own failure; the subscription must keep going.
      }
    },
  });
  return {
    unsubscribe: () => sub.unsubscribe(),
    drain: async () => {
      if (!sub.isClosed()) await sub.drain();
    },
  };
}
