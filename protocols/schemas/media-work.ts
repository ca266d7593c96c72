import type { FromSchema } from 'json-schema-to-ts';
import type { AnalysisResult, analysisResultSchema } from './analysis-result.ts';
import type { clipCandidateSchema } from './clip-candidate.ts';
import { $schema, mediaUri, uuid } from './fields.ts';

/**
 * What the scraper and analyzer say about a video (spec §5.1, §5.2). The spec contracts stay
 * exact; these carry them, plus the media references and features they need next to them.
 */

/** ffprobe's facts about a stored asset, normalised (spec §5.1 "normalized metadata"). */
const mediaMetadata = {
  type: 'object',
  required: ['duration_s', 'size_bytes', 'container', 'has_audio'],
  properties: {
    duration_s: { type: 'number', minimum: 0 },
    size_bytes: { type: 'integer', minimum: 0 },
    container: { type: 'string' },
    width: { type: 'integer', minimum: 1 },
    height: { type: 'integer', minimum: 1 },
    fps: { type: 'number', minimum: 0 },
    video_codec: { type: 'string' },
    has_audio: { type: 'boolean' },
    audio_codec: { type: 'string' },
    sample_rate: { type: 'integer', minimum: 1 },
    channels: { type: 'integer', minimum: 1 },
  },
  additionalProperties: false,
} as const;

/** Published by the scraper on evt.scraper.raw_captured: the bytes as they arrived (spec §5.1). */
export const mediaCapturedSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/MediaCaptured.json',
  title: 'MediaCaptured',
  type: 'object',
  required: [
    'job_id',
    'video_id',
    'source',
    'source_item',
    'media_uri',
    'size_bytes',
    'captured_at',
  ],
  properties: {
    job_id: uuid,
    video_id: uuid,
    source: { type: 'string', enum: ['file', 'folder', 'http', 'feed', 'yt-dlp'] },
    source_item: { type: 'string', maxLength: 2048 },
    media_uri: mediaUri,
    captions_uri: mediaUri,
    size_bytes: { type: 'integer', minimum: 0 },
    captured_at: { type: 'string', format: 'date-time' },
  },
  additionalProperties: false,
} as const;

/** Published by the scraper on evt.scraper.video_asset_created, once per ingested source item. */
export const videoAssetCreatedSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/VideoAssetCreated.json',
  title: 'VideoAssetCreated',
  type: 'object',
  required: ['job_id', 'video_id', 'source_item', 'media_uri', 'metadata', 'analysis_stub'],
  properties: {
    job_id: { ...uuid, description: 'The originating ScraperJob.' },
    video_id: uuid,
    source_item: {
      type: 'string',
      maxLength: 2048,
      description: 'What was ingested (file path, URL or feed entry id); ingested once.',
    },
    title: { type: 'string', maxLength: 500 },
    published_at: { type: 'string', format: 'date-time' },
    media_uri: mediaUri,
    captions_uri: {
      ...mediaUri,
      description: 'Sidecar captions (SRT or VTT) when the source had them.',
    },
    captions_format: { type: 'string', enum: ['srt', 'vtt'] },
    metadata: mediaMetadata,
    analysis_stub: { $ref: 'AnalysisResult.json' },
  },
  additionalProperties: false,
} as const;

/** Zenith's command to the analyzer (spec §5.2: artifacts by URI plus the originating job). */
export const analyzeJobSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/AnalyzeJob.json',
  title: 'AnalyzeJob',
  type: 'object',
  required: ['job_id', 'video_id', 'scraper_job_id', 'media_uri'],
  properties: {
    job_id: uuid,
    video_id: uuid,
    scraper_job_id: uuid,
    media_uri: mediaUri,
    captions_uri: mediaUri,
    captions_format: { type: 'string', enum: ['srt', 'vtt'] },
    asr: {
      type: 'string',
      enum: ['captions', 'pocketsphinx', 'whisper'],
      description:
        'Where the transcript comes from; default: captions when given, else the configured ASR.',
    },
  },
  additionalProperties: false,
} as const;

/** The evidence behind one candidate's scores: every input and the weight it carried. */
const candidateFeatures = {
  type: 'object',
  required: ['start_time', 'end_time', 'features', 'scores'],
  properties: {
    start_time: { type: 'number', minimum: 0 },
    end_time: { type: 'number', exclusiveMinimum: 0 },
    features: {
      type: 'object',
      additionalProperties: { type: 'number' },
      description: 'Measured inputs (loudness, speech rate, silence ratio, scene cuts, …).',
    },
    scores: {
      type: 'object',
      additionalProperties: { type: 'number' },
      description: 'Each score term, so the confidence can be recomputed by hand.',
    },
    sentences: { type: 'integer', minimum: 1 },
    text: { type: 'string', maxLength: 4000, description: "The candidate's own transcript." },
  },
  additionalProperties: false,
} as const;

/** Published by the analyzer on evt.analyzer.analysis_ready: the spec's AnalysisResult, explained. */
export const analysisReportSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/AnalysisReport.json',
  title: 'AnalysisReport',
  type: 'object',
  required: ['job_id', 'result', 'candidate_features', 'transcript_uri', 'model'],
  properties: {
    job_id: uuid,
    result: { $ref: 'AnalysisResult.json' },
    candidate_features: { type: 'array', items: candidateFeatures },
    transcript_uri: {
      ...mediaUri,
      description: 'JSON transcript with segment and word timings, stored beside the media.',
    },
    model: {
      type: 'object',
      required: ['transcript_source', 'analyzer_version'],
      properties: {
        transcript_source: { type: 'string', enum: ['srt', 'vtt', 'pocketsphinx', 'whisper'] },
        analyzer_version: { type: 'string' },
        ffmpeg_version: { type: 'string' },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

type Refs = { references: [typeof analysisResultSchema, typeof clipCandidateSchema] };
// json-schema-to-ts neither follows the nested `$defs` reference inside AnalysisResult nor
// copes with this many properties at once, so the embedded parts take their own derived types.
const videoAssetShape = {
  ...videoAssetCreatedSchema,
  properties: { ...videoAssetCreatedSchema.properties, analysis_stub: {}, metadata: {} },
} as const;
export type MediaMetadata = FromSchema<typeof mediaMetadata>;
export type VideoAssetCreated = Omit<
  FromSchema<typeof videoAssetShape>,
  'analysis_stub' | 'metadata'
> & { analysis_stub: AnalysisResult; metadata: MediaMetadata };
export type AnalyzeJob = FromSchema<typeof analyzeJobSchema>;
export type MediaCaptured = FromSchema<typeof mediaCapturedSchema>;
export type AnalysisReport = Omit<FromSchema<typeof analysisReportSchema, Refs>, 'result'> & {
  result: AnalysisResult;
};
