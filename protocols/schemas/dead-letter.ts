import type { FromSchema } from 'json-schema-to-ts';
import { ERROR_CODES } from '../errors.ts';
import { TOKEN_PATTERN } from '../patterns.ts';

export const deadLetterSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/DeadLetter.json',
  title: 'DeadLetter',
  description:
    'A message the runtime refused or gave up on, with the reason and the original bytes.',
  type: 'object',
  required: [
    'reason_code',
    'reason',
    'subject',
    'actor',
    'received_at',
    'delivery_count',
    'original_data_b64',
  ],
  properties: {
    reason_code: { type: 'string', enum: ERROR_CODES },
    reason: { type: 'string', minLength: 1 },
    violations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pointer', 'reason'],
        properties: { pointer: { type: 'string' }, reason: { type: 'string' } },
        additionalProperties: false,
      },
    },
    subject: { type: 'string', minLength: 1 },
    actor: { type: 'string', pattern: TOKEN_PATTERN },
    received_at: { type: 'string', format: 'date-time' },
    delivery_count: { type: 'integer', minimum: 1 },
    original_type: { type: 'string' },
    original_msg_id: { type: 'string' },
    original_content_type: { type: 'string' },
    // The original bytes, not a re-encoding: an undecodable body must survive intact.
    original_data_b64: {
      type: 'string',
      contentEncoding: 'base64',
      pattern: '^[A-Za-z0-9+/]*={0,2}$',
    },
  },
  additionalProperties: false,
} as const;

export type DeadLetter = FromSchema<typeof deadLetterSchema>;
