import type { FromSchema } from 'json-schema-to-ts';
import type { editJobSchema } from './edit-job.ts';
import { $schema, dateTime, mediaUri, token, uuid } from './fields.ts';
import type { scheduleTaskSchema } from './schedule-task.ts';
import type { uploadJobSchema } from './upload-job.ts';

/**
 * Commands and results of the editor, uploader and scheduler (spec §5.3–§5.5). Each command
 * carries the spec contract unchanged under `job` / `task`, plus what the spec says travels
 * with it (the `editing_context_id`, resolved storage references, the signed authorization).
 */

/** Zenith's command to the editor. */
export const editOrderSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/EditOrder.json',
  title: 'EditOrder',
  type: 'object',
  required: ['editing_context_id', 'job', 'source_uri', 'start_time', 'end_time'],
  properties: {
    editing_context_id: {
      ...uuid,
      description: 'Idempotency key: a retry reuses a finished render.',
    },
    job: { $ref: 'EditJob.json' },
    source_uri: mediaUri,
    transcript_uri: { ...mediaUri, description: "The analyzer's timed transcript, for captions." },
    start_time: { type: 'number', minimum: 0 },
    end_time: { type: 'number', exclusiveMinimum: 0 },
    reframe: {
      type: 'string',
      enum: ['center', 'blur', 'auto'],
      description: 'auto (when absent): centre crop unless the subject does not fit 9:16',
    },
    faces_detected: { type: 'integer', minimum: 0 },
  },
  additionalProperties: false,
} as const;

/** Published by the editor on evt.editor.clip_rendered. */
export const clipRenderedSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/ClipRendered.json',
  title: 'ClipRendered',
  type: 'object',
  required: [
    'editing_context_id',
    'clip_id',
    'clip_uri',
    'thumbnail_uri',
    'edit_summary',
    'render_ms',
    'ffmpeg_version',
    'commands',
  ],
  properties: {
    editing_context_id: uuid,
    clip_id: uuid,
    clip_uri: mediaUri,
    thumbnail_uri: mediaUri,
    edit_summary: {
      type: 'object',
      required: ['duration_s', 'width', 'height', 'reframe', 'caption_cues', 'loudness_target'],
      properties: {
        duration_s: { type: 'number', minimum: 0 },
        width: { type: 'integer', minimum: 1 },
        height: { type: 'integer', minimum: 1 },
        reframe: { type: 'string', enum: ['center', 'blur'] },
        caption_cues: { type: 'integer', minimum: 0 },
        loudness_target: { type: 'number' },
        sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      },
      additionalProperties: false,
    },
    render_ms: { type: 'integer', minimum: 0, description: 'Wall time, for Horizon.' },
    reused: { type: 'boolean', description: 'True when a finished render was reused.' },
    ffmpeg_version: { type: 'string' },
    commands: { type: 'array', items: { type: 'string' }, description: 'The ffmpeg argv run.' },
  },
  additionalProperties: false,
} as const;

/** Zenith's command to the uploader: UploadJob, the rendered assets and a signed grant. */
export const publishOrderSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/PublishOrder.json',
  title: 'PublishOrder',
  type: 'object',
  required: ['job', 'clip_uri', 'target', 'authorization'],
  properties: {
    job: { $ref: 'UploadJob.json' },
    clip_uri: mediaUri,
    thumbnail_uri: mediaUri,
    target: { type: 'string', enum: ['local', 'youtube'] },
    authorization: {
      type: 'string',
      maxLength: 4096,
      description: 'Short-lived grant signed by Zenith, audience "uploader" (see runtime/grants).',
    },
  },
  additionalProperties: false,
} as const;

/** Published by the uploader on evt.uploader.published. */
export const publishReceiptSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/PublishReceipt.json',
  title: 'PublishReceipt',
  type: 'object',
  required: ['clip_id', 'target', 'status', 'platform_id', 'scheduled_time'],
  properties: {
    clip_id: uuid,
    target: { type: 'string', enum: ['local', 'youtube'] },
    status: { type: 'string', enum: ['SCHEDULED', 'LIVE'] },
    platform_id: { type: 'string', maxLength: 256 },
    yt_video_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{11}$' },
    url: { type: 'string', format: 'uri' },
    scheduled_time: dateTime,
  },
  additionalProperties: false,
} as const;

/** Zenith's command to the scheduler: the spec's ScheduleTask for one channel. */
export const scheduleOrderSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/ScheduleOrder.json',
  title: 'ScheduleOrder',
  type: 'object',
  required: ['task', 'channel'],
  properties: {
    task: { $ref: 'ScheduleTask.json' },
    channel: token,
    goal_window: { type: 'string', maxLength: 128, description: "Horizon's window behind it." },
  },
  additionalProperties: false,
} as const;

/** Published by the scheduler on evt.scheduler.<change>: a queue mutation for one clip. */
export const scheduleChangeSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/ScheduleChange.json',
  title: 'ScheduleChange',
  type: 'object',
  required: ['clip_id', 'channel', 'change', 'reason'],
  properties: {
    clip_id: uuid,
    channel: token,
    change: { type: 'string', enum: ['scheduled', 'rescheduled', 'skipped'] },
    slot: { ...dateTime, description: 'The wall-clock commitment (absent when skipped).' },
    previous_slot: dateTime,
    reason: { type: 'string', maxLength: 512 },
    goal_window: { type: 'string', maxLength: 128 },
  },
  additionalProperties: false,
} as const;

export type EditOrder = FromSchema<typeof editOrderSchema, { references: [typeof editJobSchema] }>;
export type ClipRendered = FromSchema<typeof clipRenderedSchema>;
export type PublishOrder = FromSchema<
  typeof publishOrderSchema,
  { references: [typeof uploadJobSchema] }
>;
export type PublishReceipt = FromSchema<typeof publishReceiptSchema>;
export type ScheduleOrder = FromSchema<
  typeof scheduleOrderSchema,
  { references: [typeof scheduleTaskSchema] }
>;
export type ScheduleChange = FromSchema<typeof scheduleChangeSchema>;
