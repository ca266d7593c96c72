import type { FromSchema } from 'json-schema-to-ts';
import type { Violation } from '../validate.ts';

/** Spec §3.3, verbatim apart from `$id` (which AnalysisResult's `$ref` resolves against). */
export const clipCandidateSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/ClipCandidate.json',
  title: 'ClipCandidate',
  type: 'object',
  required: [
    'start_time',
    'end_time',
    'confidence',
    'subject_focus',
    'faces_detected',
    'semantic_tags',
    'pantheon_votes',
    'lattice_priority',
  ],
  properties: {
    start_time: { type: 'number', minimum: 0, description: 'Seconds offset from video start.' },
    end_time: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'Seconds offset; must be greater than start_time.',
    },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    subject_focus: {
      type: 'string',
      description: 'High-level subject label (creator, guest, product, etc.).',
    },
    faces_detected: { type: 'integer', minimum: 0 },
    semantic_tags: { type: 'array', items: { type: 'string' }, uniqueItems: true },
    pantheon_votes: {
      type: 'object',
      patternProperties: {
        '^[a-z_]+$': { type: 'number', minimum: 0, maximum: 1 },
      },
      description: 'Vote weight per Pantheon agent persona.',
    },
    lattice_priority: { type: 'number', minimum: 0, maximum: 1 },
    clip_id: {
      type: 'string',
      format: 'uuid',
      description: 'Filled in when Zenith promotes the candidate.',
    },
  },
  additionalProperties: false,
} as const;

export type ClipCandidate = FromSchema<typeof clipCandidateSchema>;

/** `base` is the candidate's own pointer when it sits inside another document. */
export function clipCandidateRules(candidate: ClipCandidate, base = ''): Violation[] {
  return timeRangeRule(candidate, base);
}

/** `end_time > start_time`, for every document that carries a time range. */
export function timeRangeRule(
  range: { start_time: number; end_time: number },
  base: string,
): Violation[] {
  const { start_time, end_time } = range;
  if (end_time > start_time) return [];
  return [
    {
      pointer: `${base}/end_time`,
      reason: `end_time (${end_time}) must be greater than start_time (${start_time})`,
    },
  ];
}
