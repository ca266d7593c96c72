import type { FromSchema } from 'json-schema-to-ts';

export const echoRequestSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/EchoRequest.json',
  title: 'EchoRequest',
  description: 'Benchmark probe: the echo actor answers with an EchoReply.',
  type: 'object',
  required: ['text'],
  properties: {
    text: { type: 'string', maxLength: 4096 },
    n: { type: 'integer' },
  },
  additionalProperties: false,
} as const;

export type EchoRequest = FromSchema<typeof echoRequestSchema>;
