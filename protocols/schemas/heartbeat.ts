import type { FromSchema } from 'json-schema-to-ts';
import { TOKEN_PATTERN } from '../patterns.ts';

export const heartbeatSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/Heartbeat.json',
  title: 'Heartbeat',
  description: 'Liveness of one actor instance on one host.',
  type: 'object',
  required: ['host_id', 'actor', 'instance_id', 'state', 'sent_at', 'uptime_s', 'in_flight'],
  properties: {
    host_id: { type: 'string', pattern: TOKEN_PATTERN },
    actor: { type: 'string', pattern: TOKEN_PATTERN },
    instance_id: { type: 'string', pattern: TOKEN_PATTERN },
    state: { type: 'string', enum: ['healthy', 'degraded', 'offline'] },
    sent_at: { type: 'string', format: 'date-time' },
    uptime_s: { type: 'number', minimum: 0 },
    in_flight: { type: 'integer', minimum: 0 },
    detail: { type: 'string', maxLength: 2000 },
  },
  additionalProperties: false,
} as const;

export type Heartbeat = FromSchema<typeof heartbeatSchema>;
