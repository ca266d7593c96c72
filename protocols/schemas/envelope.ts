import type { FromSchema } from 'json-schema-to-ts';
import { SEMVER_PATTERN, SITE_ID_PATTERN, TOKEN_PATTERN } from '../patterns.ts';
import type { zenithCommandMetaSchema } from './zenith-command-meta.ts';

/**
 * The wire envelope around every contract payload. `type` is only shape-checked here: whether
 * it names a known contract is a separate check with its own error code.
 */
export const envelopeSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/Envelope.json',
  title: 'Envelope',
  type: 'object',
  required: ['msg_id', 'type', 'schema_version', 'site_id', 'trace_id', 'emitted_at', 'payload'],
  properties: {
    msg_id: { type: 'string', format: 'uuid-v4' },
    type: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$' },
    schema_version: { type: 'string', pattern: SEMVER_PATTERN },
    site_id: { type: 'string', pattern: SITE_ID_PATTERN },
    trace_id: { type: 'string', format: 'uuid-v4' },
    // Stardust packet ids are hash-derived, so any uuid version is allowed here.
    _meta_parents: { type: 'array', items: { type: 'string', format: 'uuid' }, default: [] },
    emitted_at: { type: 'string', format: 'date-time' },
    actor: { type: 'string', pattern: TOKEN_PATTERN },
    causation_id: {
      type: 'string',
      format: 'uuid-v4',
      description: 'msg_id of the message that caused this one.',
    },
    command: {
      $ref: 'ZenithCommandMeta.json',
      description: "Zenith's authority stamp; present on commands (omniva.<site>.cmd.>).",
    },
    payload: { type: 'object' },
  },
  additionalProperties: false,
} as const;

export type EnvelopeFields = FromSchema<
  typeof envelopeSchema,
  { keepDefaultedPropertiesOptional: true; references: [typeof zenithCommandMetaSchema] }
>;
