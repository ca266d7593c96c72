import type { FromSchema } from 'json-schema-to-ts';
import { TOKEN_PATTERN } from '../patterns.ts';

/** Asks whichever host runs an instance's effect to abort it (`rpc.<actor>.cancel`). */
export const cancelRequestSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/CancelRequest.json',
  title: 'CancelRequest',
  type: 'object',
  required: ['instance_key'],
  properties: {
    instance_key: {
      type: 'string',
      minLength: 1,
      maxLength: 256,
      description: 'e.g. the editing_context_id',
    },
    reason: { type: 'string', maxLength: 512 },
  },
  additionalProperties: false,
} as const;

/** Sent only by the host that was running the instance; silence means nothing was running. */
export const cancelReplySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/CancelReply.json',
  title: 'CancelReply',
  type: 'object',
  required: ['instance_key', 'cancelled', 'host_id'],
  properties: {
    instance_key: { type: 'string', minLength: 1, maxLength: 256 },
    cancelled: { type: 'boolean' },
    host_id: { type: 'string', pattern: TOKEN_PATTERN },
  },
  additionalProperties: false,
} as const;

export type CancelRequest = FromSchema<typeof cancelRequestSchema>;
export type CancelReply = FromSchema<typeof cancelReplySchema>;
