import type { FromSchema } from 'json-schema-to-ts';

export const statusReplySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/StatusReply.json',
  title: 'StatusReply',
  description: 'An actor instance state value and context, as the status rpc returns them.',
  type: 'object',
  required: ['actor', 'instance_key', 'state', 'context'],
  properties: {
    actor: { type: 'string' },
    instance_key: { type: 'string' },
    state: { type: 'string' },
    context: { type: 'object' },
  },
  additionalProperties: false,
} as const;

export type StatusReply = FromSchema<typeof statusReplySchema>;
