import type { FromSchema } from 'json-schema-to-ts';

/** Spec §3.5, verbatim apart from `$id`. */
export const uploadJobSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/UploadJob.json',
  title: 'UploadJob',
  type: 'object',
  required: ['clip_id', 'title', 'description', 'keywords', 'scheduled_time', 'privacy_status'],
  properties: {
    clip_id: { type: 'string', format: 'uuid' },
    title: { type: 'string', maxLength: 120 },
    description: { type: 'string', maxLength: 5000 },
    keywords: { type: 'array', items: { type: 'string' }, maxItems: 15 },
    scheduled_time: { type: 'string', format: 'date-time' },
    privacy_status: { type: 'string', enum: ['public', 'unlisted', 'private'] },
    yt_video_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{11}$' },
    distribution_targets: {
      type: 'array',
      items: { type: 'string' },
      description: 'Secondary platforms for syndication.',
    },
  },
  additionalProperties: false,
} as const;

export type UploadJob = FromSchema<typeof uploadJobSchema>;
