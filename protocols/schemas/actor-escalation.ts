import type { FromSchema } from 'json-schema-to-ts';
import { TOKEN_PATTERN } from '../patterns.ts';

export const actorEscalationSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/ActorEscalation.json',
  title: 'ActorEscalation',
  description:
    'An actor instance exhausted its restart budget; the supervisor hands it to Eclipse.',
  type: 'object',
  required: ['actor', 'instance_key', 'host_id', 'restarts', 'period_ms', 'last_error', 'at'],
  properties: {
    actor: { type: 'string', pattern: TOKEN_PATTERN },
    instance_key: { type: 'string', minLength: 1 },
    host_id: { type: 'string', pattern: TOKEN_PATTERN },
    restarts: { type: 'integer', minimum: 0 },
    period_ms: { type: 'integer', minimum: 0 },
    last_error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string', minLength: 1 }, message: { type: 'string' } },
      additionalProperties: false,
    },
    at: { type: 'string', format: 'date-time' },
  },
  additionalProperties: false,
} as const;

export type ActorEscalation = FromSchema<typeof actorEscalationSchema>;
