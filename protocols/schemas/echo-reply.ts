import type { FromSchema } from 'json-schema-to-ts';

export const echoReplySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/EchoReply.json',
  title: 'EchoReply',
  description: 'Benchmark answer to an EchoRequest.',
  type: 'object',
  required: ['text'],
  properties: {
    text: { type: 'string', maxLength: 4096 },
    n: { type: 'integer' },
  },
  additionalProperties: false,
} as const;

export type EchoReply = FromSchema<typeof echoReplySchema>;
