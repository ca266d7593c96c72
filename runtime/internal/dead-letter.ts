import type { JetStreamClient } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import {
  type Codec,
  deriveMsgId,
  HEADERS,
  isUuidV4,
  makeEnvelope,
  type OmnivaError,
  subjects,
} from '../../protocols/index.ts';
import { headersOf } from '../nats-headers.ts';
import { encodeEnvelope } from './outbound.ts';
import { type Recorder, stardustHeader } from './recorder.ts';

export interface DeadLetterInput {
  js: JetStreamClient;
  site: string;
  actor: string;
  codec: Codec;
  subject: string;
  data: Uint8Array;
  contentType: string | undefined;
  deliveryCount: number;
  error: OmnivaError;
  /** The decoded document, when decoding got that far. */
  doc?: unknown;
  now: () => number;
  /** Stable across redeliveries (e.g. the stream sequence), so a repeated rejection is one entry. */
  dedupeKey?: string;
  /** Records the dead letter in Stardust before it is published. */
  recorder?: Recorder;
}

function field(doc: unknown, name: string): string | undefined {
  const v = (doc as Record<string, unknown> | null)?.[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Publishes a rejected message to `omniva.<site>.dlq.<actor>` with the reason and the
 * original bytes, so nothing is lost. The code also travels in a header.
 */
export async function deadLetter(i: DeadLetterInput): Promise<void> {
  const violations = (i.error.info as { violations?: unknown } | undefined)?.violations;
  const originalType = field(i.doc, 'type');
  const originalMsgId = field(i.doc, 'msg_id');
  const traceId = field(i.doc, 'trace_id');
  const envelope = makeEnvelope({
    type: 'DeadLetter',
    site_id: i.site,
    ...(i.dedupeKey ? { msg_id: deriveMsgId(i.dedupeKey, 0) } : {}),
    actor: i.actor,
    ...(traceId && isUuidV4(traceId) ? { trace_id: traceId } : {}),
    payload: {
      reason_code: i.error.code,
      reason: i.error.message,
      ...(Array.isArray(violations) ? { violations } : {}),
      subject: i.subject,
      actor: i.actor,
      received_at: new Date(i.now()).toISOString(),
      delivery_count: Math.max(1, i.deliveryCount),
      ...(originalType ? { original_type: originalType } : {}),
      ...(originalMsgId ? { original_msg_id: originalMsgId } : {}),
      ...(i.contentType ? { original_content_type: i.contentType } : {}),
      original_data_b64: Buffer.from(i.data).toString('base64'),
    },
  });
  const subject = subjects.dlq(i.site, i.actor);
  const stardustId = await i.recorder?.record(subject, envelope);
  const { data, headers } = encodeEnvelope(envelope, i.codec, {
    [HEADERS.errorCode]: i.error.code,
    ...stardustHeader(stardustId),
  });
  await i.js.publish(subject, data, { headers, msgID: envelope.msg_id });
}

/** A request/reply error answer: the code in a header, a readable JSON body. */
export function errorReply(e: OmnivaError): { data: Uint8Array; headers: MsgHdrs } {
  return {
    data: new TextEncoder().encode(JSON.stringify({ error: { code: e.code, message: e.message } })),
    headers: headersOf({ [HEADERS.errorCode]: e.code, [HEADERS.contentType]: 'application/json' }),
  };
}
