// The Ops Agent's settings (`ops.*`, read by `omniva ops agent`): whose signed commands it
// trusts, what each role may do, how it restarts and drains the host's workers, and the host
// health and alert settings. Keys, roles and channels are lists and maps: config file only.
import { OPS_ACTIONS } from '../ops-agent/schemas.ts';
import { TOKEN_PATTERN } from '../protocols/index.ts';
import { SECRET_REF } from './internal/patterns.ts';
import type { OmnivaConfig } from './schema.ts';

/** An nkey public key (`omniva ops keygen` prints an operator key, O…); checksummed at start. */
const NKEY_PUBLIC = '^[A-Z][A-Z2-7]{55}$';

/**
 * A systemd unit name with exactly one `{worker}` placeholder. It starts with a literal
 * character, so whatever the worker token is, the argument never reads as an option.
 */
const UNIT_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.@:-]*\\{worker\\}[A-Za-z0-9_.@:-]*\\.service$';

const ALL_ACTIONS = [...OPS_ACTIONS];

const percent = (what: string, dflt: number, effect: string) =>
  ({
    type: 'number',
    minimum: 0,
    maximum: 100,
    default: dflt,
    description: `${what} below this percentage ${effect}`,
  }) as const;

export const opsSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'The Ops Agent of this host (`omniva ops agent`)',
  properties: {
    trusted: {
      type: 'array',
      default: [],
      description:
        'Control-plane keys whose signed commands are accepted, and the roles each may claim (config file only)',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['public_key', 'roles'],
        properties: {
          // A malformed value may be a pasted seed: never echoed in an error.
          public_key: { type: 'string', pattern: NKEY_PUBLIC, writeOnly: true },
          roles: {
            type: 'array',
            minItems: 1,
            uniqueItems: true,
            items: { type: 'string', pattern: TOKEN_PATTERN, maxLength: 128 },
          },
          name: { type: 'string', minLength: 1, maxLength: 128 },
        },
      },
    },
    roles: {
      type: 'object',
      propertyNames: { type: 'string', pattern: TOKEN_PATTERN, maxLength: 128 },
      additionalProperties: {
        type: 'array',
        uniqueItems: true,
        items: { type: 'string', enum: OPS_ACTIONS },
      },
      default: {
        admin: ALL_ACTIONS,
        operator: ['pause_queue', 'resume_queue', 'retry_stage'],
      },
      description:
        'Role → the actions it may run (config file only; merged over admin: all six, operator: pause_queue, resume_queue, retry_stage)',
    },
    action_timeout_ms: {
      type: 'integer',
      minimum: 1000,
      default: 90000,
      description:
        'An action without an outcome by then is answered timeout; above the worker units’ 60 s stop timeout so a drain can finish',
    },
    skew_s: {
      type: 'integer',
      minimum: 0,
      maximum: 300,
      default: 30,
      description: 'Clock difference tolerated between a command’s signer and this host',
    },
    process: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How restart_worker and drain_worker reach the worker processes',
      properties: {
        manager: {
          type: 'string',
          enum: ['systemd', 'none'],
          default: 'none',
          description:
            'systemd: systemctl restart / stop of the worker unit (rendered fleets); none: both actions fail',
        },
        systemctl_bin: {
          type: 'string',
          pattern: '^/',
          default: '/usr/bin/systemctl',
          description: 'Absolute path of systemctl, run without a shell',
        },
        unit: {
          type: 'string',
          pattern: UNIT_PATTERN,
          default: 'omniva-worker@{worker}.service',
          description: 'Unit of a worker kind; {worker} is replaced by the command’s worker',
        },
        workers: {
          type: 'array',
          items: { type: 'string', pattern: TOKEN_PATTERN, maxLength: 128 },
          uniqueItems: true,
          default: [],
          description:
            'Worker kinds this agent may restart or drain; empty: any (systemd refuses unknown units)',
        },
      },
    },
    health: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Host health reports (CPU, memory, disk, worker heartbeats)',
      properties: {
        enabled: { type: 'boolean', default: true, description: 'Report host health' },
        interval_ms: {
          type: 'integer',
          minimum: 500,
          default: 5000,
          description: 'Period of the health report',
        },
        volumes: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          uniqueItems: true,
          default: [],
          description: 'File systems whose free space is watched; empty: data_dir',
        },
        forget_worker_after_ms: {
          type: 'integer',
          minimum: 1000,
          default: 600000,
          description: 'A worker silent this long leaves the report (stopped on purpose or moved)',
        },
        thresholds: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'When the host turns degraded',
          properties: {
            load_per_cpu: {
              type: 'number',
              exclusiveMinimum: 0,
              default: 2,
              description: '1-minute load average per CPU above which the host is degraded',
            },
            memory_free_pct: percent('Available memory', 10, 'degrades the host'),
            disk_free_pct: percent('Free space of a volume', 10, 'degrades the host'),
            disk_full_pct: percent('Free space of a volume', 5, 'is a disk_full alert'),
            worker_gap_ms: {
              type: 'integer',
              minimum: 1000,
              default: 15000,
              description: 'A worker of this host silent this long is offline (host degraded)',
            },
          },
        },
      },
    },
    alerts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description:
        "Delivery of the site's alerts (omniva.<site>.alert.>) to webhook, file and console; no channel: off",
      properties: {
        window_ms: {
          type: 'integer',
          minimum: 0,
          default: 300000,
          description:
            'Repeats of one alert (its dedupe key) within this window are delivered once',
        },
        console: {
          type: 'boolean',
          default: false,
          description: 'Write alerts to stderr (the journal under systemd)',
        },
        webhook: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'HTTP POST of each alert as JSON',
          properties: {
            url: {
              type: 'string',
              pattern: `^(https?://.+|${SECRET_REF.slice(2, -2)})$`,
              writeOnly: true,
              description: 'Webhook URL, or a reference to it (env:NAME, file:/path); unset: off',
            },
            timeout_ms: {
              type: 'integer',
              minimum: 100,
              default: 5000,
              description: 'Per attempt',
            },
            retries: {
              type: 'integer',
              minimum: 0,
              maximum: 10,
              default: 3,
              description: 'Attempts after the first (network error, timeout, 5xx, 429)',
            },
          },
        },
        file: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'JSON lines appended to a file',
          properties: {
            path: {
              type: 'string',
              minLength: 1,
              description: 'File alerts are appended to; unset: off',
            },
          },
        },
      },
    },
  },
} as const;

export type OpsConfig = OmnivaConfig['ops'];

/** The ops section as the agent uses it: the health volumes default to the data directory. */
export function opsSlice(cfg: Readonly<OmnivaConfig>): Readonly<OpsConfig> {
  const volumes = cfg.ops.health.volumes;
  if (volumes.length > 0) return cfg.ops;
  return { ...cfg.ops, health: { ...cfg.ops.health, volumes: [cfg.data_dir] } };
}
