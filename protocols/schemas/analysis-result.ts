import type { FromSchema } from 'json-schema-to-ts';
import type { Violation } from '../validate.ts';
import { clipCandidateRules, type clipCandidateSchema } from './clip-candidate.ts';

/** Spec §3.2, verbatim apart from `$id`. */
export const analysisResultSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/AnalysisResult.json',
  title: 'AnalysisResult',
  type: 'object',
  required: [
    'video_id',
    'transcript',
    'keywords_detected',
    'virality_score',
    'relevance_score',
    'clip_candidates',
  ],
  properties: {
    video_id: { type: 'string', format: 'uuid' },
    transcript: { type: 'string', description: 'Full transcript or ASR output.' },
    keywords_detected: { type: 'array', items: { type: 'string' } },
    virality_score: { type: 'number', minimum: 0, maximum: 1 },
    relevance_score: { type: 'number', minimum: 0, maximum: 1 },
    clip_candidates: { type: 'array', items: { $ref: '#/$defs/clip_candidate' } },
    _meta_parents: { type: 'array', items: { type: 'string', format: 'uuid' } },
    generated_at: { type: 'string', format: 'date-time' },
  },
  $defs: {
    clip_candidate: { $ref: 'ClipCandidate.json' },
  },
  additionalProperties: false,
} as const;

export type AnalysisResult = FromSchema<
  typeof analysisResultSchema,
  { references: [typeof clipCandidateSchema] }
>;

export function analysisResultRules(result: AnalysisResult): Violation[] {
  return result.clip_candidates.flatMap((candidate, i) =>
    clipCandidateRules(candidate, `/clip_candidates/${i}`),
  );
}
