import type { FromSchema } from 'json-schema-to-ts';
import { $schema, token } from './fields.ts';

/**
 * Messages of the control spine (design §5, spec §4.2 and §4.9): what asks Zenith for work,
 * what Eclipse advises after a failure, and how Zenith records each arbitration.
 */

/** Advice asking Zenith to run one operational command (published on adv.<module>.work_request). */
export const workRequestSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/WorkRequest.json',
  title: 'WorkRequest',
  type: 'object',
  required: ['request_id', 'job_key', 'worker', 'contract', 'payload', 'requested_by'],
  properties: {
    request_id: { type: 'string', format: 'uuid' },
    job_key: {
      type: 'string',
      format: 'uuid',
      description: 'The job the worker reports on (WorkerStatus.job_id).',
    },
    worker: token,
    contract: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$' },
    payload: { type: 'object' },
    requested_by: token,
    priority: { type: 'number', minimum: 0, maximum: 1 },
  },
  additionalProperties: false,
} as const;

/** Eclipse's advice after a worker failure: retry, reroute or abandon, and whether to quarantine. */
export const recoveryPlanSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/RecoveryPlan.json',
  title: 'RecoveryPlan',
  type: 'object',
  required: [
    'plan_id',
    'job_key',
    'worker',
    'failed_instance',
    'error_code',
    'classification',
    'action',
    'attempt',
    'max_attempts',
    'delay_ms',
    'quarantine',
    'avoid_instances',
    'remediation',
  ],
  properties: {
    plan_id: { type: 'string', format: 'uuid' },
    job_key: { type: 'string', format: 'uuid' },
    worker: token,
    failed_instance: token,
    error_code: { type: 'string', maxLength: 64 },
    classification: { type: 'string', enum: ['transient', 'deterministic'] },
    action: { type: 'string', enum: ['retry', 'reroute', 'abandon'] },
    attempt: { type: 'integer', minimum: 1 },
    max_attempts: { type: 'integer', minimum: 1 },
    delay_ms: { type: 'integer', minimum: 0 },
    quarantine: { type: 'boolean' },
    avoid_instances: { type: 'array', items: token, uniqueItems: true },
    remediation: { type: 'array', items: { type: 'string', maxLength: 64 } },
    notes: { type: 'string', maxLength: 1000 },
  },
  additionalProperties: false,
} as const;

/** Eclipse's readiness signal: an instance quarantined, or released after its probation. */
export const instanceReadinessSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/InstanceReadiness.json',
  title: 'InstanceReadiness',
  type: 'object',
  required: ['worker', 'instance', 'state', 'reason', 'at'],
  properties: {
    worker: token,
    instance: token,
    state: { type: 'string', enum: ['quarantined', 'released'] },
    reason: { type: 'string', maxLength: 1000 },
    at: { type: 'string', format: 'date-time' },
  },
  additionalProperties: false,
} as const;

/** A manual decision entered through Zenith (spec §5.6), recorded with the operator's identity. */
export const operatorOverrideSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/OperatorOverride.json',
  title: 'OperatorOverride',
  type: 'object',
  required: ['override_id', 'operator', 'action', 'reason'],
  properties: {
    override_id: { type: 'string', format: 'uuid' },
    operator: token,
    action: { type: 'string', enum: ['approve', 'reject', 'pause', 'resume', 'prioritize'] },
    job_key: { type: 'string', format: 'uuid' },
    worker: token,
    instance: token,
    priority: { type: 'number', minimum: 0, maximum: 1 },
    reason: { type: 'string', minLength: 1, maxLength: 1000 },
  },
  additionalProperties: false,
  allOf: [
    {
      if: { properties: { action: { enum: ['approve', 'reject', 'prioritize'] } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword; never awaited.
      then: { properties: { job_key: true }, required: ['job_key'] },
    },
    {
      if: { properties: { action: { const: 'prioritize' } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword; never awaited.
      then: { properties: { priority: true }, required: ['priority'] },
    },
  ],
} as const;

/** An operator's panic signal to Eclipse: stop placing work (on one worker kind, or all). */
export const panicSignalSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/PanicSignal.json',
  title: 'PanicSignal',
  type: 'object',
  required: ['operator', 'reason', 'state'],
  properties: {
    operator: token,
    worker: token,
    state: { type: 'string', enum: ['panic', 'all_clear'] },
    reason: { type: 'string', minLength: 1, maxLength: 1000 },
  },
  additionalProperties: false,
} as const;

/** Eclipse's advice to pause or resume a queue (a worker kind, or every one when absent). */
export const queueDirectiveSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/QueueDirective.json',
  title: 'QueueDirective',
  type: 'object',
  required: ['state', 'reason', 'source'],
  properties: {
    worker: token,
    state: { type: 'string', enum: ['paused', 'resumed'] },
    reason: { type: 'string', maxLength: 1000 },
    source: token,
  },
  additionalProperties: false,
} as const;

/**
 * Paradox's conflict report (spec §4.1): what conflicts, how bad, what to do, with the ids it
 * touches (`worker/instance` for an instance, a uuid for a job) and the ledger evidence.
 * Published on adv.paradox.conflict; on adv.paradox.escalation when Eclipse must act.
 */
export const conflictReportSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/ConflictReport.json',
  title: 'ConflictReport',
  type: 'object',
  required: ['report_id', 'conflict', 'severity', 'action', 'affected', 'evidence'],
  properties: {
    report_id: { type: 'string', format: 'uuid' },
    conflict: {
      type: 'string',
      enum: [
        'duplicate_media',
        'overlapping_candidates',
        'circular_lineage',
        'conflicting_schedule',
        'conflicting_timestamps',
      ],
    },
    severity: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] },
    action: { type: 'string', enum: ['block', 'quarantine', 'ignore'] },
    affected: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['type', 'id'],
        properties: {
          type: {
            type: 'string',
            enum: ['video', 'clip', 'job', 'schedule', 'worker', 'instance'],
          },
          id: { type: 'string', minLength: 1, maxLength: 256 },
        },
        additionalProperties: false,
      },
    },
    evidence: { type: 'array', items: { type: 'string', format: 'uuid' } },
    notes: { type: 'string', maxLength: 2000 },
  },
  additionalProperties: false,
} as const;

/** One Zenith decision: which advice won, which lost, and why (every one is a Stardust packet). */
export const arbitrationSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/Arbitration.json',
  title: 'Arbitration',
  type: 'object',
  required: ['decision', 'accepted', 'rejected', 'reason', 'at'],
  properties: {
    decision: {
      type: 'string',
      enum: [
        'issue',
        'retry',
        'reroute',
        'abandon',
        'quarantine',
        'release',
        'resolve',
        'pause',
        'resume',
        'queue',
        'reject',
        'approve',
        'prioritize',
        'promote',
        'hold',
        'reschedule',
      ],
    },
    job_key: { type: 'string', format: 'uuid' },
    // The entities a decision is about, so a clip's or a video's story finds it in the ledger.
    clip_id: { type: 'string', format: 'uuid' },
    video_id: { type: 'string', format: 'uuid' },
    worker: token,
    instance: token,
    accepted: {
      type: 'array',
      items: {
        type: 'object',
        required: ['module', 'ref'],
        properties: { module: token, ref: { type: 'string', maxLength: 128 } },
        additionalProperties: false,
      },
    },
    rejected: {
      type: 'array',
      items: {
        type: 'object',
        required: ['module', 'ref', 'why'],
        properties: {
          module: token,
          ref: { type: 'string', maxLength: 128 },
          why: { type: 'string', maxLength: 1000 },
        },
        additionalProperties: false,
      },
    },
    reason: { type: 'string', maxLength: 2000 },
    at: { type: 'string', format: 'date-time' },
  },
  additionalProperties: false,
} as const;

export type WorkRequest = FromSchema<typeof workRequestSchema>;
export type RecoveryPlan = FromSchema<typeof recoveryPlanSchema>;
export type InstanceReadiness = FromSchema<typeof instanceReadinessSchema>;
export type Arbitration = FromSchema<typeof arbitrationSchema>;
export type OperatorOverride = FromSchema<typeof operatorOverrideSchema>;
export type PanicSignal = FromSchema<typeof panicSignalSchema>;
export type QueueDirective = FromSchema<typeof queueDirectiveSchema>;
export type ConflictReport = FromSchema<typeof conflictReportSchema>;
