import {
  AckPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { subjectMatches } from '../../protocols/index.ts';

export interface BindOptions {
  stream: string;
  durable: string;
  filter: string | readonly string[];
  ackWaitMs: number;
  maxDeliver: number;
  maxInFlight: number;
}

export interface Binding {
  messages: ConsumerMessages;
  /** Set when several subjects share the consumer: whether a subject is one of them. */
  wants?: (subject: string) => boolean;
}

/**
 * Creates or updates a kind's durable consumer and starts handing its messages to `onMessage`.
 *
 * No consumer-level `backoff`: JetStream would use it instead of ack_wait as the deadline of
 * each delivery, redelivering a message still being worked on; retries are delayed by
 * explicit naks. Several subjects are read through ONE consumer over the whole stream and
 * filtered by the caller: one consumer keeps the stream's order between them (a plan never
 * overtakes the failure it answers), and nats-server 2.10.27 skips messages on a consumer
 * whose `filter_subjects` mix a wildcard with literals.
 */
export async function bindConsumer(
  jsm: JetStreamManager,
  js: JetStreamClient,
  o: BindOptions,
  onMessage: (m: JsMsg) => void,
): Promise<Binding> {
  const single = typeof o.filter === 'string';
  const config = {
    durable_name: o.durable,
    ...(typeof o.filter === 'string' ? { filter_subject: o.filter } : {}),
    ack_policy: AckPolicy.Explicit,
    ack_wait: o.ackWaitMs * 1e6,
    max_deliver: o.maxDeliver,
    max_ack_pending: o.maxInFlight * 4,
  };
  const exists = await jsm.consumers.info(o.stream, o.durable).catch(() => undefined);
  if (exists) await jsm.consumers.update(o.stream, o.durable, config);
  else await jsm.consumers.add(o.stream, config);
  const consumer = await js.consumers.get(o.stream, o.durable);
  // A callback, not the async iterator: no promise and no extra turn per message.
  const messages = await consumer.consume({ max_messages: o.maxInFlight, callback: onMessage });
  if (single) return { messages };
  const wanted = [...o.filter];
  return { messages, wants: (subject) => wanted.some((f) => subjectMatches(f, subject)) };
}
