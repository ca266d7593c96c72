import type { FromSchema } from 'json-schema-to-ts';
import type { Violation } from '../validate.ts';

/** Spec §3.1, verbatim apart from `$id`. */
export const scraperJobSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/ScraperJob.json',
  title: 'ScraperJob',
  type: 'object',
  required: [
    'job_id',
    'creator_id',
    'platform',
    'target_url',
    'requested_range',
    'status',
    'created_at',
    'updated_at',
  ],
  properties: {
    job_id: {
      type: 'string',
      format: 'uuid',
      description: 'Stable identifier for the scrape request.',
    },
    creator_id: {
      type: 'string',
      format: 'uuid',
      description: 'Source requesting the scrape (user, workflow, or module).',
    },
    platform: {
      type: 'string',
      enum: ['tiktok', 'instagram', 'youtube', 'other'],
      description: 'Origin network for the media assets.',
    },
    target_url: { type: 'string', format: 'uri', description: 'URL or channel handle to scrape.' },
    requested_range: {
      type: 'object',
      required: ['since', 'until'],
      properties: {
        since: { type: 'string', format: 'date-time' },
        until: { type: 'string', format: 'date-time' },
      },
    },
    status: { type: 'string', enum: ['PENDING', 'RUNNING', 'DONE', 'ERROR', 'CANCELLED'] },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    schema_version: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+$', default: '1.0.0' },
  },
  additionalProperties: false,
} as const;

// Validation does not fill defaults in (it never mutates the document), so the type keeps
// defaulted properties optional.
export type ScraperJob = FromSchema<
  typeof scraperJobSchema,
  { keepDefaultedPropertiesOptional: true }
>;

export function scraperJobRules(job: ScraperJob): Violation[] {
  const { since, until } = job.requested_range;
  if (Date.parse(until) >= Date.parse(since)) return [];
  return [
    {
      pointer: '/requested_range/until',
      reason: `until (${until}) must not be before since (${since})`,
    },
  ];
}
