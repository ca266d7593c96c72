// The operational workers' settings (`workers.*`), kept apart from the runtime's. Secrets are
// references (`env:NAME` or `file:/path`), never values; they are resolved where they are used.
import { HHMM, SECRET_REF } from './internal/patterns.ts';

const window = {
  type: 'object',
  additionalProperties: false,
  required: ['start', 'end'],
  properties: { start: { type: 'string', pattern: HHMM }, end: { type: 'string', pattern: HHMM } },
} as const;

export const workersSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'The operational workers of this host',
  properties: {
    enabled: {
      type: 'array',
      items: { type: 'string', enum: ['scraper', 'analyzer', 'editor', 'uploader', 'scheduler'] },
      uniqueItems: true,
      default: ['scraper', 'analyzer', 'editor', 'uploader', 'scheduler'],
      description: 'Worker kinds this host runs',
    },
    media_inbox: {
      type: 'boolean',
      default: true,
      description:
        'Import media promoted to this host (with workers enabled); one process per host is enough',
    },
    scraper: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Scraper: sources and downloads',
      properties: {
        timeout_ms: {
          type: 'integer',
          minimum: 100,
          default: 30000,
          description: 'Per HTTP request',
        },
        max_retry_after_ms: {
          type: 'integer',
          minimum: 0,
          default: 30000,
          description:
            'A 429 Retry-After up to this long is waited out; longer ones fail as rate_limited',
        },
        max_bytes: {
          type: 'integer',
          minimum: 1,
          default: 8589934592,
          description: 'Largest download accepted',
        },
        ytdlp_bin: {
          type: 'string',
          minLength: 1,
          description: 'yt-dlp binary; looked up on PATH when unset',
        },
        credentials: {
          type: 'array',
          default: [],
          description: 'Request headers per host, each from a secret reference (config file only)',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['host', 'secret'],
            properties: {
              host: { type: 'string', minLength: 1 },
              header: { type: 'string', minLength: 1, default: 'authorization' },
              scheme: { type: 'string', default: 'Bearer' },
              secret: { type: 'string', pattern: SECRET_REF },
            },
          },
        },
      },
    },
    analyzer: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Analyzer: transcripts and candidates',
      properties: {
        asr: {
          type: 'string',
          enum: ['none', 'pocketsphinx', 'whisper'],
          default: 'pocketsphinx',
          description: 'Speech recognition for videos without captions',
        },
        pocketsphinx_bin: {
          type: 'string',
          minLength: 1,
          default: '/usr/bin/pocketsphinx_continuous',
          description: 'pocketsphinx_continuous binary (Debian package pocketsphinx)',
        },
        whisper_bin: {
          type: 'string',
          minLength: 1,
          description: 'whisper.cpp CLI binary (whisper-cli)',
        },
        whisper_model: { type: 'string', minLength: 1, description: 'whisper.cpp ggml model file' },
        chunk_s: {
          type: 'integer',
          minimum: 30,
          default: 600,
          description: 'Audio recognised per ASR run',
        },
        min_clip_s: { type: 'number', minimum: 1, default: 15, description: 'Shortest candidate' },
        max_clip_s: { type: 'number', minimum: 2, default: 60, description: 'Longest candidate' },
        max_candidates: {
          type: 'integer',
          minimum: 1,
          default: 8,
          description: 'Candidates per video',
        },
      },
    },
    editor: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Editor: encoding and caption style',
      properties: {
        gpu: {
          type: 'boolean',
          default: false,
          description: 'This host can take jobs that require a GPU',
        },
        preset: { type: 'string', default: 'veryfast', description: 'x264 preset' },
        crf: { type: 'integer', minimum: 0, maximum: 51, default: 23, description: 'x264 quality' },
        audio_bitrate: {
          type: 'string',
          pattern: '^[0-9]+k$',
          default: '128k',
          description: 'AAC bitrate',
        },
        caption_font: {
          type: 'string',
          default: 'DejaVu Sans',
          description: 'Caption font (fontconfig name)',
        },
        caption_size: {
          type: 'integer',
          minimum: 8,
          default: 84,
          description: 'Caption size in px of 1920',
        },
        caption_color: {
          type: 'string',
          pattern: '^&H[0-9A-Fa-f]{8}$',
          default: '&H00FFFFFF',
          description: 'Text colour, ASS &HAABBGGRR',
        },
        caption_highlight: {
          type: 'string',
          pattern: '^&H[0-9A-Fa-f]{8}$',
          default: '&H0000D7FF',
          description: 'Colour of the word being spoken',
        },
        caption_margin_v: {
          type: 'integer',
          minimum: 0,
          default: 420,
          description: 'Caption distance from the bottom',
        },
        caption_max_words: {
          type: 'integer',
          minimum: 1,
          default: 4,
          description: 'Words per caption line',
        },
      },
    },
    uploader: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Uploader: publish targets and whose grants to trust',
      properties: {
        trusted_keys: {
          type: 'array',
          items: { type: 'string', pattern: '^A[A-Z2-7]{55}$' },
          default: [],
          description: "Zenith's grant-signing public nkeys (account keys, A…)",
        },
        local_dir: {
          type: 'string',
          minLength: 1,
          description: 'Local target folder (default <data_dir>/published)',
        },
        base_url: {
          type: 'string',
          pattern: '^https?://',
          description: 'Where the local folder is served, for feed links',
        },
        youtube_client_id: {
          type: 'string',
          minLength: 1,
          description: 'OAuth client id for YouTube',
        },
        youtube_client_secret: {
          type: 'string',
          pattern: SECRET_REF,
          description: 'OAuth client secret (reference)',
        },
        youtube_refresh_token: {
          type: 'string',
          pattern: SECRET_REF,
          description: 'Channel refresh token (reference)',
        },
      },
    },
    scheduler: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Scheduler: posting slot rules (for every channel)',
      properties: {
        min_spacing_minutes: {
          type: 'integer',
          minimum: 0,
          default: 120,
          description: 'Between two posts',
        },
        max_per_day: { type: 'integer', minimum: 1, default: 4, description: 'Posts per UTC day' },
        windows: {
          type: 'array',
          items: window,
          default: [],
          description: 'Preferred UTC windows (config file only); empty: any time',
        },
        horizon_days: {
          type: 'integer',
          minimum: 1,
          default: 14,
          description: 'How far ahead a slot may be',
        },
      },
    },
  },
} as const;
