import type { FromSchema } from 'json-schema-to-ts';
import { TOKEN_PATTERN } from '../patterns.ts';
import { $schema, dateTime, uuid } from './fields.ts';

/**
 * Advisory outputs of the cognitive modules (spec §4): each goes through Stardust on
 * `adv.<module>.<kind>`; only Zenith turns advice into commands. Paradox's reports use
 * ConflictReport (control.ts).
 */

const unit = { type: 'number', minimum: 0, maximum: 1 } as const;
const agent = { type: 'string', pattern: '^[a-z_]+$', maxLength: 64 } as const;
const text = (max: number) => ({ type: 'string', maxLength: max }) as const;
/** A candidate of one analysis, by its index in AnalysisResult.clip_candidates and its times. */
const candidateRef = {
  candidate_index: { type: 'integer', minimum: 0 },
  start_time: { type: 'number', minimum: 0 },
  end_time: { type: 'number', exclusiveMinimum: 0 },
} as const;

/** Pantheon's vote report for one analysis (adv.pantheon.votes). */
export const voteReportSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/VoteReport.json',
  title: 'VoteReport',
  type: 'object',
  required: [
    'report_id',
    'video_id',
    'analysis_job_id',
    'votes',
    'ranking',
    'voters',
    'model_version',
  ],
  properties: {
    report_id: uuid,
    video_id: uuid,
    analysis_job_id: uuid,
    votes: {
      type: 'array',
      description: 'One row per agent and candidate, in deterministic order.',
      items: {
        type: 'object',
        required: [
          'candidate_index',
          'start_time',
          'end_time',
          'agent',
          'vote',
          'confidence',
          'commentary',
        ],
        properties: { ...candidateRef, agent, vote: unit, confidence: unit, commentary: text(500) },
        additionalProperties: false,
      },
    },
    ranking: {
      type: 'array',
      description: 'Candidates best first, with the consensus behind each and who dissented.',
      items: {
        type: 'object',
        required: ['candidate_index', 'start_time', 'end_time', 'score', 'consensus', 'dissent'],
        properties: {
          ...candidateRef,
          score: unit,
          consensus: unit,
          dissent: { type: 'array', items: agent },
        },
        additionalProperties: false,
      },
    },
    voters: {
      type: 'array',
      items: {
        type: 'object',
        required: ['agent', 'status'],
        properties: {
          agent,
          status: { type: 'string', enum: ['voted', 'failed', 'timeout', 'disabled'] },
          detail: text(500),
        },
        additionalProperties: false,
      },
    },
    model_version: text(64),
    generated_at: dateTime,
  },
  additionalProperties: false,
} as const;

/**
 * Zenith's record that a candidate became a clip (adv.zenith.promotion): what Chorus writes
 * metadata for, Horizon counts toward the topic mix, and HaloLux starts a clip's story from.
 */
export const clipPromotionSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/ClipPromotion.json',
  title: 'ClipPromotion',
  type: 'object',
  required: [
    'clip_id',
    'video_id',
    'analysis_job_id',
    'candidate_index',
    'start_time',
    'end_time',
    'transcript',
    'keywords',
    'rationale',
    'score',
  ],
  properties: {
    clip_id: uuid,
    video_id: uuid,
    analysis_job_id: uuid,
    ...candidateRef,
    title_hint: text(500),
    transcript: text(20000),
    keywords: { type: 'array', items: text(100), maxItems: 30 },
    topic: text(100),
    rationale: text(2000),
    score: unit,
  },
  additionalProperties: false,
} as const;

/** Chorus's metadata package for one clip (adv.chorus.metadata). */
export const chorusPackageSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/ChorusPackage.json',
  title: 'ChorusPackage',
  type: 'object',
  required: [
    'package_id',
    'clip_id',
    'status',
    'title',
    'description',
    'keywords',
    'human',
    'changes',
    'conflicts',
  ],
  properties: {
    package_id: uuid,
    clip_id: uuid,
    status: {
      type: 'string',
      enum: ['ready', 'held'],
      description: 'held: an unresolved compliance conflict; never published as it is.',
    },
    // The UploadJob's limits, so a ready package drops into an UploadJob unchanged.
    title: text(120),
    description: text(5000),
    keywords: { type: 'array', items: text(100), maxItems: 15 },
    human: text(8000),
    changes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'from', 'to', 'why'],
        properties: {
          field: { type: 'string', enum: ['title', 'description', 'keywords'] },
          from: text(5000),
          to: text(5000),
          why: text(500),
        },
        additionalProperties: false,
      },
    },
    conflicts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['rule', 'field', 'detail'],
        properties: {
          rule: { type: 'string', enum: ['banned_term', 'required_disclosure', 'platform_limit'] },
          field: { type: 'string', enum: ['title', 'description', 'keywords', 'transcript'] },
          term: text(200),
          detail: text(500),
        },
        additionalProperties: false,
      },
    },
    brand_voice: text(64),
  },
  additionalProperties: false,
} as const;

/** Lattice's priority deltas and routing hints (adv.lattice.priorities). */
export const latticeHintsSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/LatticeHints.json',
  title: 'LatticeHints',
  type: 'object',
  required: ['routing_sequence', 'candidates', 'queue_depth', 'reason'],
  properties: {
    routing_sequence: { type: 'integer', minimum: 1, description: 'Monotonic per site.' },
    video_id: uuid,
    candidates: {
      type: 'array',
      items: {
        type: 'object',
        required: [
          'candidate_index',
          'start_time',
          'end_time',
          'priority',
          'priority_delta',
          'topic',
        ],
        properties: {
          ...candidateRef,
          priority: unit,
          priority_delta: { type: 'number', minimum: -1, maximum: 1 },
          topic: text(100),
          note: text(300),
        },
        additionalProperties: false,
      },
    },
    routing: {
      type: 'array',
      items: {
        type: 'object',
        required: ['worker', 'hint'],
        properties: { worker: { type: 'string', pattern: TOKEN_PATTERN }, hint: text(300) },
        additionalProperties: false,
      },
    },
    queue_depth: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
    reason: text(500),
  },
  additionalProperties: false,
} as const;

/** Horizon's campaign guidance for one goal window (adv.horizon.guidance). */
export const horizonGuidanceSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/HorizonGuidance.json',
  title: 'HorizonGuidance',
  type: 'object',
  required: ['guidance_id', 'goal_window', 'topic_weights', 'slot_weights', 'drift'],
  properties: {
    guidance_id: uuid,
    goal_window: { type: 'string', maxLength: 128, description: 'e.g. 2026-W48' },
    topic_weights: {
      type: 'object',
      additionalProperties: { type: 'number', minimum: -1, maximum: 1 },
    },
    slot_weights: {
      type: 'array',
      items: {
        type: 'object',
        required: ['start', 'end', 'weight'],
        properties: {
          start: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
          end: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
          weight: unit,
        },
        additionalProperties: false,
      },
    },
    posts_per_day: { type: 'integer', minimum: 0 },
    drift: {
      type: 'array',
      items: {
        type: 'object',
        required: ['topic', 'share', 'target', 'warning'],
        properties: { topic: text(100), share: unit, target: unit, warning: text(300) },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
} as const;

/** What HaloLux is asked: a clip, a job or a trace. */
export const explainRequestSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/ExplainRequest.json',
  title: 'ExplainRequest',
  type: 'object',
  required: ['subject'],
  properties: {
    subject: {
      type: 'object',
      required: ['type', 'id'],
      properties: { type: { type: 'string', enum: ['clip', 'job', 'trace', 'video'] }, id: uuid },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

/** HaloLux's answer: a narrative and the reasoning chain behind it, every step cited. */
export const explanationSchema = {
  $schema,
  $id: 'https://omniva.dev/schemas/Explanation.json',
  title: 'Explanation',
  type: 'object',
  required: ['subject', 'narrative', 'chain', 'alternatives', 'completeness', 'missing'],
  properties: {
    subject: explainRequestSchema.properties.subject,
    trace_ids: { type: 'array', items: uuid },
    narrative: text(20000),
    chain: {
      type: 'array',
      items: {
        type: 'object',
        required: ['step', 'statement', 'stardust_ids'],
        properties: {
          step: text(64),
          statement: text(2000),
          stardust_ids: { type: 'array', minItems: 1, items: uuid },
        },
        additionalProperties: false,
      },
    },
    alternatives: {
      type: 'array',
      items: {
        type: 'object',
        required: ['what', 'why_lost', 'stardust_ids'],
        properties: {
          what: text(500),
          why_lost: text(1000),
          stardust_ids: { type: 'array', minItems: 1, items: uuid },
        },
        additionalProperties: false,
      },
    },
    completeness: unit,
    missing: { type: 'array', items: text(300) },
    cached: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

export type VoteReport = FromSchema<typeof voteReportSchema>;
export type ChorusPackage = FromSchema<typeof chorusPackageSchema>;
export type ClipPromotion = FromSchema<typeof clipPromotionSchema>;
export type LatticeHints = FromSchema<typeof latticeHintsSchema>;
export type HorizonGuidance = FromSchema<typeof horizonGuidanceSchema>;
export type ExplainRequest = FromSchema<typeof explainRequestSchema>;
export type Explanation = FromSchema<typeof explanationSchema>;
