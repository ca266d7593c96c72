import type { FromSchema } from 'json-schema-to-ts';

export const sampleTaskDoneSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/SampleTaskDone.json',
  title: 'SampleTaskDone',
  description: 'Output of the quick-start sample actor.',
  type: 'object',
  required: ['task_id', 'receipt', 'word_count', 'total_tasks', 'done_at'],
  properties: {
    task_id: { type: 'string', format: 'uuid' },
    receipt: { type: 'string' },
    word_count: { type: 'integer', minimum: 0 },
    total_tasks: { type: 'integer', minimum: 1 },
    done_at: { type: 'string', format: 'date-time' },
  },
  additionalProperties: false,
} as const;

export type SampleTaskDone = FromSchema<typeof sampleTaskDoneSchema>;
