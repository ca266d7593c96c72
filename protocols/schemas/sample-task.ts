import type { FromSchema } from 'json-schema-to-ts';

export const sampleTaskSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/SampleTask.json',
  title: 'SampleTask',
  description: 'Input of the quick-start sample actor.',
  type: 'object',
  required: ['task_id', 'creator_id', 'text', 'requested_at'],
  properties: {
    task_id: { type: 'string', format: 'uuid' },
    creator_id: { type: 'string', format: 'uuid' },
    text: { type: 'string', minLength: 1, maxLength: 500 },
    requested_at: { type: 'string', format: 'date-time' },
  },
  additionalProperties: false,
} as const;

export type SampleTask = FromSchema<typeof sampleTaskSchema>;
