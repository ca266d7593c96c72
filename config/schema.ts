import type { FromSchema } from 'json-schema-to-ts';
import { cognitiveSchema } from './cognitive-schema.ts';
import { opsSchema } from './ops-schema.ts';
import { workersSchema } from './workers-schema.ts';

// One pattern for every identifier that becomes a NATS subject token, a JetStream domain or
// a file name: lowercase so sites and hosts never differ by case alone.
const ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';

// nats-server accepts plain bytes or a K/M/G/T multiplier with an optional B.
const SIZE_PATTERN = '^[0-9]+([KkMmGgTt][Bb]?)?$';

// 'default' leaves the server's own setting; otherwise a Go duration as nats-server parses it.
const SYNC_PATTERN = '^(default|always|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$';

/**
 * The configuration schema: the single source of the shape, the defaults, the documentation
 * (`describeConfig`) and the environment mapping (`OMNIVA_<SECTION>__<KEY>`).
 * `writeOnly` marks secrets: never echoed in errors or documentation.
 * `host_id` is required here but has no schema default: the loader derives it from the OS
 * hostname, so the validated result always carries one.
 */
export const configSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/config.json',
  title: 'Omniva Engine configuration',
  type: 'object',
  additionalProperties: false,
  required: ['host_id'],
  properties: {
    site_id: {
      type: 'string',
      pattern: ID_PATTERN,
      default: 'local',
      description:
        'Site this process belongs to; second token of every subject and JetStream domain',
    },
    host_id: {
      type: 'string',
      pattern: ID_PATTERN,
      description: 'Name of this host in the fleet; defaults to the sanitised OS hostname',
    },
    data_dir: {
      type: 'string',
      minLength: 1,
      default: '.omniva',
      description: 'Directory for local state (embedded NATS store, media); resolved against cwd',
    },
    codec: {
      type: 'string',
      enum: ['msgpack', 'json'],
      default: 'msgpack',
      description: 'Message body encoding; json makes bodies readable with the nats CLI',
    },
    nats: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'NATS connection and embedded server',
      properties: {
        url: {
          type: 'string',
          minLength: 1,
          description: 'Server URL to connect to; when unset an embedded nats-server starts',
        },
        server_bin: {
          type: 'string',
          minLength: 1,
          description: 'nats-server binary for the embedded server; looked up on PATH when unset',
        },
        sync_interval: {
          type: 'string',
          pattern: SYNC_PATTERN,
          default: 'default',
          description: "Embedded JetStream fsync interval: 'default', 'always' or a duration (2s)",
        },
        js_max_mem: {
          type: 'string',
          pattern: SIZE_PATTERN,
          default: '256M',
          description: 'Embedded JetStream memory storage limit (bytes or K/M/G/T)',
        },
        js_max_file: {
          type: 'string',
          pattern: SIZE_PATTERN,
          default: '8G',
          description: 'Embedded JetStream file storage limit (bytes or K/M/G/T)',
        },
        connect_timeout_ms: {
          type: 'integer',
          minimum: 100,
          default: 5000,
          description: 'How long to wait for the first connection before failing',
        },
        user: {
          type: 'string',
          minLength: 1,
          description: 'User name for user/password authentication',
        },
        pass: {
          type: 'string',
          writeOnly: true,
          description: 'Password for user/password authentication (secret)',
        },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Logging',
      properties: {
        level: {
          type: 'string',
          enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
          default: 'info',
          description: 'Lowest level written',
        },
      },
    },
    runtime: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Actor host behaviour',
      properties: {
        ack_wait_ms: {
          type: 'integer',
          minimum: 1000,
          default: 30000,
          description: 'Time a delivered message may stay unacknowledged before redelivery',
        },
        max_deliver: {
          type: 'integer',
          minimum: 1,
          default: 5,
          description: 'Deliveries of one message before it is terminated and sent to the DLQ',
        },
        backoff_ms: {
          type: 'array',
          items: { type: 'integer', minimum: 0 },
          minItems: 1,
          default: [1000, 5000, 15000],
          description: 'Delays before successive redeliveries; the last one repeats',
        },
        max_in_flight: {
          type: 'integer',
          minimum: 1,
          default: 64,
          description: 'Messages processed concurrently per consumer',
        },
        dedupe_window: {
          type: 'integer',
          minimum: 1,
          default: 2048,
          description: 'Message ids remembered per actor instance to drop redeliveries',
        },
        restart_intensity: {
          type: 'integer',
          minimum: 0,
          default: 5,
          description: 'Restarts allowed within restart_period_ms before escalating',
        },
        restart_period_ms: {
          type: 'integer',
          minimum: 1,
          default: 60000,
          description: 'Window over which restart_intensity is counted',
        },
        escalation_pause_ms: {
          type: 'integer',
          minimum: 0,
          default: 30000,
          description: 'Pause of an escalated actor before it is tried again',
        },
        drain_timeout_ms: {
          type: 'integer',
          minimum: 0,
          default: 10000,
          description: 'Time in-flight work gets to finish on shutdown',
        },
        heartbeat_ms: {
          type: 'integer',
          minimum: 0,
          default: 5000,
          description:
            'Heartbeat period of every actor host (0 turns them off); Eclipse watches for gaps',
        },
        timer_rescan_ms: {
          type: 'integer',
          minimum: 100,
          default: 10000,
          description:
            'How often stored timers are re-read, so one armed by a dead host still fires',
        },
        effects_ttl_ms: {
          type: 'integer',
          minimum: 1,
          default: 604800000,
          description: 'How long records of performed side effects are kept for idempotency',
        },
        duplicate_window_ms: {
          type: 'integer',
          minimum: 1,
          default: 120000,
          description: 'JetStream duplicate window for Nats-Msg-Id deduplication',
        },
      },
    },
    sources: {
      type: 'array',
      default: [],
      description:
        'What `omniva run` ingests: folders, files, media URLs or feeds (config file only)',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          url: { type: 'string', minLength: 1 },
          platform: {
            type: 'string',
            enum: ['tiktok', 'instagram', 'youtube', 'other'],
            default: 'other',
          },
          poll_minutes: { type: 'integer', minimum: 1, default: 60 },
        },
      },
    },
    workers: workersSchema,
    cognitive: cognitiveSchema,
    ops: opsSchema,
  },
} as const;

export type OmnivaConfig = FromSchema<typeof configSchema>;
