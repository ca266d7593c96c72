import type { FromSchema } from 'json-schema-to-ts';

/** Spec §3.6, verbatim apart from `$id`. */
export const scheduleTaskSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/ScheduleTask.json',
  title: 'ScheduleTask',
  type: 'object',
  required: [
    'clip_id',
    'recommended_time',
    'priority',
    'horizon_adjustment',
    'final_decision_source',
  ],
  properties: {
    clip_id: { type: 'string', format: 'uuid' },
    recommended_time: { type: 'string', format: 'date-time' },
    priority: { type: 'number', minimum: 0, maximum: 1 },
    horizon_adjustment: {
      type: 'number',
      minimum: -1,
      maximum: 1,
      description: 'Offset from Horizon Engine relative weighting.',
    },
    final_decision_source: {
      type: 'string',
      enum: ['zenith', 'operator_override', 'automation'],
      description: 'Who owns the ultimate call.',
    },
    notes: { type: 'string', maxLength: 512 },
    _meta_parents: { type: 'array', items: { type: 'string', format: 'uuid' } },
  },
  additionalProperties: false,
} as const;

export type ScheduleTask = FromSchema<typeof scheduleTaskSchema>;
