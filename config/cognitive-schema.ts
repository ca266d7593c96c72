// The cognitive modules' settings (`cognitive.*`): how Zenith runs the pipeline and what the
// advisory modules aim for. Secrets are references (`env:NAME` or `file:/path`).
import { TOKEN_PATTERN } from '../protocols/index.ts';
import { HHMM, SECRET_REF } from './internal/patterns.ts';

/** The worker kinds Zenith addresses per instance (the scheduler shares one queue per site). */
export const PLACED_WORKERS = ['scraper', 'analyzer', 'editor', 'uploader'] as const;
const INSTANCE = { type: 'string', pattern: TOKEN_PATTERN, maxLength: 128 } as const;

export const cognitiveSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'Zenith and the advisory modules',
  properties: {
    enabled: {
      type: 'boolean',
      default: true,
      description: 'Run Zenith (a lease contender) and the advisory modules in this process',
    },
    zenith: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Zenith: the clip pipeline it runs',
      properties: {
        clips_per_video: {
          type: 'integer',
          minimum: 1,
          default: 1,
          description: 'Clips promoted per video',
        },
        min_score: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          default: 0.3,
          description: 'Lowest combined score worth a clip',
        },
        channel: {
          type: 'string',
          pattern: '^[A-Za-z0-9_-]+$',
          default: 'main',
          description: 'Scheduler channel',
        },
        target: {
          type: 'string',
          enum: ['local', 'youtube'],
          default: 'local',
          description: 'Publish target',
        },
        privacy: {
          type: 'string',
          enum: ['public', 'unlisted', 'private'],
          default: 'public',
          description: 'privacy_status of uploads',
        },
        lead_minutes: {
          type: 'integer',
          minimum: 0,
          default: 60,
          description: 'First slot asked for is this far ahead',
        },
        grant_seed: {
          type: 'string',
          pattern: SECRET_REF,
          description: "Zenith's nkey seed for upload grants (reference); unset: a key per process",
        },
        placement: {
          type: 'object',
          propertyNames: { enum: [...PLACED_WORKERS] },
          additionalProperties: { type: 'array', items: INSTANCE, uniqueItems: true },
          description:
            "Worker kind → the instances (host ids) Zenith places its work on, in order; unset: this process's own workers (config file only)",
        },
        cycle_ms: {
          type: 'integer',
          minimum: 1000,
          default: 30000,
          description: 'Control cycle period',
        },
      },
    },
    pantheon: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Pantheon: the optional model voter (off unless external_url is set)',
      properties: {
        external_url: {
          type: 'string',
          pattern: '^https?://',
          description: 'OpenAI-compatible server base URL',
        },
        external_model: {
          type: 'string',
          minLength: 1,
          default: 'local',
          description: 'Model name sent to it',
        },
        external_timeout_ms: {
          type: 'integer',
          minimum: 100,
          default: 10000,
          description: 'Whole exchange',
        },
        external_api_key: {
          type: 'string',
          pattern: SECRET_REF,
          description: 'API key (reference)',
        },
      },
    },
    horizon: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Horizon: campaign goals',
      properties: {
        goal_window: {
          type: 'string',
          minLength: 1,
          default: 'current',
          description: 'Label of the goal window',
        },
        topic_mix: {
          type: 'object',
          additionalProperties: { type: 'number', minimum: 0, maximum: 1 },
          default: {},
          description: 'Target share per topic (config file only)',
        },
        posts_per_day: { type: 'integer', minimum: 0, default: 3, description: 'Posting cadence' },
        preferred_windows: {
          type: 'array',
          default: [],
          description: 'Preferred UTC windows (config file only)',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['start', 'end'],
            properties: {
              start: { type: 'string', pattern: HHMM },
              end: { type: 'string', pattern: HHMM },
            },
          },
        },
      },
    },
    lattice: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Lattice: routing',
      properties: {
        max_queue_depth: {
          type: 'integer',
          minimum: 1,
          default: 8,
          description: 'Backlog bound per worker',
        },
        recalibrate_ms: {
          type: 'integer',
          minimum: 1000,
          default: 600000,
          description: 'Recalibration period',
        },
      },
    },
    paradox: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Paradox: conflict audits',
      properties: {
        audit_ms: { type: 'integer', minimum: 1000, default: 3600000, description: 'Audit period' },
      },
    },
    chorus: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Chorus: brand voice and policy',
      properties: {
        voice: {
          type: 'string',
          enum: ['warm', 'punchy', 'plain'],
          default: 'warm',
          description: 'Tone of titles',
        },
        signature: { type: 'string', maxLength: 200, description: 'Line appended to descriptions' },
        hashtags: {
          type: 'integer',
          minimum: 0,
          maximum: 15,
          default: 3,
          description: 'Hashtags from keywords',
        },
        banned_terms: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: [],
          description: 'Terms that hold a clip',
        },
        required_disclosures: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: [],
          description: 'Appended to every description',
        },
        replacements: {
          type: 'object',
          additionalProperties: { type: 'string' },
          default: {},
          description: 'Banned term → allowed wording (config file only)',
        },
      },
    },
  },
} as const;
