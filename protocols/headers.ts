import { CONTENT_TYPES, type Codec } from './codec.ts';
import type { Envelope } from './envelope.ts';

/**
 * NATS header names. The envelope's routing metadata is repeated in headers so an operator
 * with the `nats` CLI can follow a trace without decoding bodies.
 */
export const HEADERS = {
  type: 'Omniva-Type',
  trace: 'Omniva-Trace',
  site: 'Omniva-Site',
  schema: 'Omniva-Schema',
  actor: 'Omniva-Actor',
  errorCode: 'Omniva-Error-Code',
  epoch: 'Omniva-Epoch',
  stardustId: 'Omniva-Stardust-Id',
  contentType: 'Content-Type',
  msgId: 'Nats-Msg-Id',
} as const;

/** Plain name → value pairs; the runtime turns them into NATS headers. */
export function envelopeHeaders(envelope: Envelope, codec: Codec): Record<string, string> {
  return {
    [HEADERS.type]: envelope.type,
    [HEADERS.trace]: envelope.trace_id,
    [HEADERS.site]: envelope.site_id,
    [HEADERS.schema]: envelope.schema_version,
    ...(envelope.actor !== undefined && { [HEADERS.actor]: envelope.actor }),
    ...(envelope.command !== undefined && { [HEADERS.epoch]: String(envelope.command.epoch) }),
    [HEADERS.contentType]: CONTENT_TYPES[codec],
    [HEADERS.msgId]: envelope.msg_id,
  };
}
