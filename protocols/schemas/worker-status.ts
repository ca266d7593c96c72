import type { FromSchema } from 'json-schema-to-ts';
import { TOKEN_PATTERN } from '../patterns.ts';

/** The failure reason codes named by the spec's worker interfaces (§5). */
export const WORKER_ERROR_CODES = [
  'network_timeout',
  'rate_limited',
  'auth_failed',
  'media_corrupt',
  'checksum_mismatch',
  'transcript_missing',
  'model_offline',
  'bad_command',
  'gpu_starvation',
  'resource_exhausted',
  'quota_exceeded',
  'content_violation',
  'scheduler_fault',
  'internal',
] as const;

export type WorkerErrorCode = (typeof WORKER_ERROR_CODES)[number];

export const workerStatusSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/WorkerStatus.json',
  title: 'WorkerStatus',
  description: 'Progress and outcome of one job, published by the worker that runs it.',
  type: 'object',
  required: ['job_id', 'worker', 'instance_id', 'status', 'updated_at'],
  properties: {
    job_id: { type: 'string', format: 'uuid' },
    worker: { type: 'string', pattern: TOKEN_PATTERN },
    // A subject token: Zenith addresses instances as omniva.<site>.cmd.<worker>.<instance>.
    instance_id: { type: 'string', pattern: TOKEN_PATTERN },
    status: {
      type: 'string',
      enum: ['PENDING', 'RUNNING', 'DONE', 'ERROR', 'CANCELLED', 'SKIPPED'],
    },
    progress: { type: 'number', minimum: 0, maximum: 1 },
    detail: { type: 'string', maxLength: 2000 },
    updated_at: { type: 'string', format: 'date-time' },
    error: {
      type: 'object',
      required: ['code', 'message', 'retryable'],
      properties: {
        code: { type: 'string', enum: WORKER_ERROR_CODES },
        message: { type: 'string' },
        retryable: { type: 'boolean' },
      },
      additionalProperties: false,
    },
  },
  if: { properties: { status: { const: 'ERROR' } }, required: ['status'] },
  // `error: true` only declares the property here, which ajv's strictRequired asks for.
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword; never awaited.
  then: { properties: { error: true }, required: ['error'] },
  additionalProperties: false,
} as const;

export type WorkerStatus = FromSchema<typeof workerStatusSchema>;
