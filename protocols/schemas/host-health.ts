import type { FromSchema } from 'json-schema-to-ts';
import { SITE_ID_PATTERN } from '../patterns.ts';
import type { Violation } from '../validate.ts';
import { $schema, dateTime, token, uuid } from './fields.ts';

/**
 * Host health and alerts (design §7): what an Ops Agent reports about its host every few
 * seconds, Eclipse's verdict per host, and the alerts operators are told about.
 */

/** The states a host can be in; a report only says healthy or degraded, Eclipse adds offline. */
export const HOST_STATES = ['healthy', 'degraded', 'offline'] as const;

export const ALERT_TYPES = [
  'job_failed',
  'excessive_retries',
  'host_down',
  'host_degraded',
  'host_recovered',
  'disk_full',
  'actor_escalation',
] as const;

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;

const bytes = { type: 'integer', minimum: 0 } as const;
const siteId = { type: 'string', pattern: SITE_ID_PATTERN } as const;
const reason = { type: 'string', minLength: 1, maxLength: 500 } as const;

/** One host's health, published by its Ops Agent on `omniva.<site>.hb.<host>`. */
export const hostHealthSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/HostHealth.json',
  title: 'HostHealth',
  description: "A host's load, memory, disks and local workers, with the agent's own verdict.",
  type: 'object',
  required: [
    'host_id',
    'state',
    'load_1m',
    'load_5m',
    'cpus',
    'memory',
    'disks',
    'workers',
    'reasons',
    'sent_at',
    'interval_ms',
  ],
  properties: {
    host_id: token,
    site_id: siteId,
    state: { type: 'string', enum: ['healthy', 'degraded'] },
    load_1m: { type: 'number', minimum: 0 },
    load_5m: { type: 'number', minimum: 0 },
    cpus: { type: 'integer', minimum: 1 },
    memory: {
      type: 'object',
      required: ['total_bytes', 'available_bytes'],
      properties: { total_bytes: bytes, available_bytes: bytes },
      additionalProperties: false,
    },
    disks: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        required: ['path', 'total_bytes', 'free_bytes'],
        properties: {
          path: { type: 'string', minLength: 1, maxLength: 1024 },
          total_bytes: bytes,
          free_bytes: bytes,
        },
        additionalProperties: false,
      },
    },
    workers: {
      type: 'array',
      maxItems: 256,
      items: {
        type: 'object',
        required: ['actor', 'instance_id', 'last_seen_s', 'state'],
        properties: {
          actor: token,
          instance_id: token,
          /** Seconds since the worker's last heartbeat reached the agent. */
          last_seen_s: { type: 'number', minimum: 0 },
          state: { type: 'string', enum: HOST_STATES },
        },
        additionalProperties: false,
      },
    },
    /** Why the host is degraded; empty when it is healthy. */
    reasons: { type: 'array', maxItems: 64, items: reason },
    sent_at: dateTime,
    /** The reporting period: a receiver judges silence against it. */
    interval_ms: { type: 'integer', minimum: 1 },
  },
  additionalProperties: false,
} as const;

/** Eclipse's verdict on one host (published on `adv.eclipse.host_state` when it changes). */
export const hostStateSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/HostState.json',
  title: 'HostState',
  type: 'object',
  required: ['host_id', 'state', 'reason', 'since'],
  properties: {
    host_id: token,
    state: { type: 'string', enum: HOST_STATES },
    reason: { type: 'string', minLength: 1, maxLength: 2000 },
    since: dateTime,
    last_report_at: dateTime,
  },
  additionalProperties: false,
} as const;

/** Something an operator should know, on `omniva.<site>.alert.<type>`. */
export const alertSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/Alert.json',
  title: 'Alert',
  type: 'object',
  required: ['alert_id', 'type', 'severity', 'site_id', 'message', 'raised_at'],
  properties: {
    alert_id: uuid,
    type: { type: 'string', enum: ALERT_TYPES },
    severity: { type: 'string', enum: ALERT_SEVERITIES },
    site_id: siteId,
    host_id: token,
    /** The job or run the alert is about. */
    run_id: token,
    /** The pipeline stage (worker kind) it happened in. */
    stage: token,
    message: { type: 'string', minLength: 1, maxLength: 2000 },
    raised_at: dateTime,
    /** Replaces the default dedupe key (type, site, host, run, stage) when one source raises several. */
    dedupe_key: { type: 'string', minLength: 1, maxLength: 256 },
    /** Small facts for the reader (a volume, a percentage, an error code). */
    details: {
      type: 'object',
      maxProperties: 32,
      additionalProperties: {
        anyOf: [{ type: 'string', maxLength: 500 }, { type: 'number' }, { type: 'boolean' }],
      },
    },
  },
  additionalProperties: false,
} as const;

export type HostHealth = FromSchema<typeof hostHealthSchema>;
export type HostState = FromSchema<typeof hostStateSchema>;
export type Alert = FromSchema<typeof alertSchema>;
export type AlertType = (typeof ALERT_TYPES)[number];
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** What JSON Schema cannot say: nothing has more free than it has in total. */
export function hostHealthRules(v: HostHealth): Violation[] {
  const out: Violation[] = [];
  if (v.memory.available_bytes > v.memory.total_bytes) {
    out.push({ pointer: '/memory/available_bytes', reason: 'must be <= total_bytes' });
  }
  for (const [i, d] of v.disks.entries()) {
    if (d.free_bytes > d.total_bytes) {
      out.push({ pointer: `/disks/${i}/free_bytes`, reason: 'must be <= total_bytes' });
    }
  }
  if (v.state === 'healthy' && v.reasons.length > 0) {
    out.push({ pointer: '/reasons', reason: 'a healthy host has no reasons' });
  }
  if (v.state === 'degraded' && v.reasons.length === 0) {
    out.push({ pointer: '/reasons', reason: 'a degraded host says why' });
  }
  return out;
}
