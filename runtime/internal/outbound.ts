import type { JetStreamClient } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import {
  CONTENT_TYPES,
  type Codec,
  type Envelope,
  encode,
  envelopeHeaders,
  HEADERS,
} from '../../protocols/index.ts';
import { headersOf } from '../nats-headers.ts';
import { type Recorder, stardustHeader } from './recorder.ts';

/**
 * Encodes an envelope with its metadata headers (Omniva-Type, Omniva-Trace, Nats-Msg-Id, ...);
 * `data` is the envelope already encoded in `codec`, when the caller has it.
 */
export function encodeEnvelope(
  envelope: Envelope,
  codec: Codec,
  extra: Record<string, string> = {},
  data?: Uint8Array,
): { data: Uint8Array; headers: MsgHdrs } {
  const headers = headersOf({ ...envelopeHeaders(envelope, codec), ...extra });
  return { data: data ?? encode(envelope, codec), headers };
}

export function contentTypeOf(h: MsgHdrs | undefined): string | undefined {
  return h?.get(HEADERS.contentType) || undefined;
}

/**
 * Requests and replies carry only what the other side needs (content type, type and
 * trace): they are not stored, and every header costs time on the hot path.
 */
export function encodeReply(
  envelope: Envelope,
  codec: Codec,
): { data: Uint8Array; headers: MsgHdrs } {
  const headers = headersOf({
    [HEADERS.contentType]: CONTENT_TYPES[codec],
    [HEADERS.type]: envelope.type,
    [HEADERS.trace]: envelope.trace_id,
  });
  return { data: encode(envelope, codec), headers };
}

/** Records an envelope in Stardust (when a ledger is configured), then publishes it to its stream. */
export async function publishRecorded(
  js: JetStreamClient,
  recorder: Recorder,
  codec: Codec,
  subject: string,
  envelope: Envelope,
): Promise<void> {
  const stardustId = await recorder.record(subject, envelope);
  const { data, headers } = encodeEnvelope(envelope, codec, stardustHeader(stardustId));
  await js.publish(subject, data, { headers, msgID: envelope.msg_id });
}
