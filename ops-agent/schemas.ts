import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { SITE_ID_PATTERN, TOKEN_PATTERN } from '../protocols/index.ts';

/**
 * Local JSON Schemas (draft 2020-12) for the ops wire messages. They live here until the lead
 * moves them into protocols/ as contracts (OpsCommand, OpsResult); the shapes are final.
 * Commands and results travel as plain JSON, not in an Envelope: the signature covers the
 * command's exact canonical bytes, and an envelope around it would be unsigned metadata.
 */

const $schema = 'https://json-schema.org/draft/2020-12/schema';
const token = { type: 'string', pattern: TOKEN_PATTERN, maxLength: 128 } as const;
// ISO 8601 UTC with `Z`, as every timestamp in the protocols; parsed with Date.parse.
const utc = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$',
} as const;
const confirm = { type: 'boolean' } as const;
const reason = { type: 'string', maxLength: 500 } as const;

export const OPS_ACTIONS = [
  'restart_worker',
  'drain_worker',
  'pause_queue',
  'resume_queue',
  'cancel_run',
  'retry_stage',
] as const;

/** Every action's arguments: closed objects, so nothing but the listed values reaches a host. */
export const ACTION_ARGS_SCHEMAS = {
  restart_worker: {
    type: 'object',
    required: ['worker'],
    properties: { worker: token, instance: token, confirm, reason },
    additionalProperties: false,
  },
  drain_worker: {
    type: 'object',
    required: ['worker'],
    properties: { worker: token, instance: token, confirm, reason },
    additionalProperties: false,
  },
  pause_queue: {
    type: 'object',
    required: ['queue'],
    properties: { queue: token, confirm, reason },
    additionalProperties: false,
  },
  resume_queue: {
    type: 'object',
    required: ['queue'],
    properties: { queue: token, confirm, reason },
    additionalProperties: false,
  },
  cancel_run: {
    type: 'object',
    required: ['worker', 'run_id'],
    properties: {
      worker: token,
      run_id: { type: 'string', minLength: 1, maxLength: 256 },
      confirm,
      reason,
    },
    additionalProperties: false,
  },
  retry_stage: {
    type: 'object',
    required: ['run_id', 'stage'],
    properties: {
      run_id: { type: 'string', minLength: 1, maxLength: 256 },
      stage: token,
      confirm,
      reason,
    },
    additionalProperties: false,
  },
} as const;

export const opsCommandSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/OpsCommand.json',
  title: 'OpsCommand',
  type: 'object',
  required: [
    'site_id',
    'host_id',
    'action',
    'args',
    'issued_at',
    'expires_at',
    'nonce',
    'role',
    'issuer',
  ],
  properties: {
    site_id: { type: 'string', pattern: SITE_ID_PATTERN },
    host_id: token,
    action: { type: 'string', enum: OPS_ACTIONS },
    args: { type: 'object' },
    issued_at: utc,
    expires_at: utc,
    // Also a KV key token: at least 16 characters so random nonces do not collide.
    nonce: { type: 'string', pattern: TOKEN_PATTERN, minLength: 16, maxLength: 64 },
    role: token,
    issuer: { type: 'string', pattern: '^[A-Z2-7]{56}$' },
  },
  additionalProperties: false,
} as const;

export const opsResultSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/OpsResult.json',
  title: 'OpsResult',
  type: 'object',
  required: ['site_id', 'host_id', 'status', 'at'],
  properties: {
    site_id: { type: 'string', pattern: SITE_ID_PATTERN },
    host_id: token,
    /** Echoed from the command when it could be read, so a sender can match its answer. */
    nonce: { type: 'string', maxLength: 64 },
    action: { type: 'string', maxLength: 64 },
    status: { type: 'string', enum: ['succeeded', 'failed', 'timeout', 'refused'] },
    reason: token,
    message: { type: 'string', maxLength: 1000 },
    error_code: { type: 'string', maxLength: 128 },
    detail: { type: 'object' },
    audit_id: { type: 'string', maxLength: 64 },
    trace_id: { type: 'string', maxLength: 64 },
    at: utc,
  },
  additionalProperties: false,
} as const;

let ajv: Ajv2020 | undefined;
const compiled = new Map<object, ValidateFunction>();

/** Compiles on first use, once per schema. */
export function validatorOf(schema: object): ValidateFunction {
  ajv ??= new Ajv2020({ allErrors: true, strict: true });
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

/** `pointer: reason` lines for a refusal message. */
export function schemaErrors(v: ValidateFunction): string {
  return (v.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`)
    .join('; ');
}
