import type { FromSchema } from 'json-schema-to-ts';
import { ERROR_CODES } from '../errors.ts';
import { SITE_ID_PATTERN, TOKEN_PATTERN } from '../patterns.ts';

/**
 * A Stardust id: the first 128 bits of a sha256 rendered as an RFC 9562 version 8 UUID, so it
 * fits every `_meta_parents` list (`format: uuid`) while saying it is hash-derived.
 */
export const STARDUST_ID_PATTERN =
  '^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';

/** Packet kinds become a subject token, and stay lowercase so `nats` filters are predictable. */
export const STARDUST_KIND_PATTERN = '^[a-z][a-z0-9_]{0,63}$';

const stardustId = { type: 'string', pattern: STARDUST_ID_PATTERN } as const;

export const stardustPacketSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/StardustPacket.json',
  title: 'StardustPacket',
  description:
    'One entry of the provenance ledger: what was recorded (kind + ref), by whom, from which ' +
    'parents, about which entities; content-addressed and chained to the previous packet.',
  type: 'object',
  required: [
    'stardust_id',
    'site_id',
    'kind',
    'ref',
    'actor',
    'trace_id',
    '_meta_parents',
    'entities',
    'payload',
    'recorded_at',
    'prev',
  ],
  properties: {
    stardust_id: {
      ...stardustId,
      description: 'sha256 of the RFC 8785 canonical packet without this field, UUID-shaped (v8)',
    },
    site_id: { type: 'string', pattern: SITE_ID_PATTERN },
    kind: { type: 'string', pattern: STARDUST_KIND_PATTERN },
    ref: {
      type: 'string',
      pattern: TOKEN_PATTERN,
      maxLength: 128,
      description: 'What this packet records, e.g. the msg_id; one packet per kind + ref',
    },
    actor: { type: 'string', pattern: TOKEN_PATTERN, maxLength: 128 },
    // Any version: traces may start outside this code.
    trace_id: { type: 'string', format: 'uuid' },
    // Any uuid, not only Stardust ids: an unknown parent is accepted and reported, not refused.
    _meta_parents: {
      type: 'array',
      items: { type: 'string', format: 'uuid' },
      uniqueItems: true,
      maxItems: 256,
    },
    entities: {
      type: 'object',
      propertyNames: { type: 'string', pattern: '^[a-z_]+$', maxLength: 64 },
      additionalProperties: {
        type: 'array',
        items: { type: 'string', minLength: 1, maxLength: 256 },
        uniqueItems: true,
        maxItems: 256,
      },
      description: 'Entity type → ids this packet is about, e.g. { "video": ["…"] }',
    },
    payload: {
      type: 'object',
      description: 'Lean details: references and small values, never blobs',
    },
    recorded_at: { type: 'string', format: 'date-time' },
    prev: {
      anyOf: [stardustId, { type: 'null' }],
      description: 'stardust_id of the previous packet of the site; null for the first',
    },
  },
  additionalProperties: false,
} as const;

export type StardustPacket = FromSchema<typeof stardustPacketSchema>;

export const stardustInconsistencySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/StardustInconsistency.json',
  title: 'StardustInconsistency',
  description:
    'Advisory: the ledger refused a packet, or accepted one that names parents it does not ' +
    'hold, or found a stored message that breaks the chain. Paradox consumes these.',
  type: 'object',
  required: ['reason_code', 'reason', 'ref', 'kind', 'detected_at'],
  properties: {
    reason_code: { type: 'string', enum: ERROR_CODES },
    reason: { type: 'string', minLength: 1, maxLength: 2000 },
    stardust_id: { type: 'string', format: 'uuid' },
    // Free text, not tokens: these describe input that may itself be malformed.
    ref: { type: 'string', maxLength: 512 },
    kind: { type: 'string', maxLength: 512 },
    actor: { type: 'string', maxLength: 512 },
    seq: { type: 'integer', minimum: 0 },
    unknown_parents: {
      type: 'array',
      items: { type: 'string' },
      minItems: 1,
    },
    violations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pointer', 'reason'],
        properties: { pointer: { type: 'string' }, reason: { type: 'string' } },
        additionalProperties: false,
      },
    },
    detected_at: { type: 'string', format: 'date-time' },
  },
  additionalProperties: false,
} as const;

export type StardustInconsistency = FromSchema<typeof stardustInconsistencySchema>;
