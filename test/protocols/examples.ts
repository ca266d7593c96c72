// Realistic, valid documents for every contract. Tests take fresh copies and break them.
import type { ContractName, ContractType } from '../../protocols/index.ts';

const EXAMPLES: { [N in ContractName]: ContractType<N> } = {
  ScraperJob: {
    job_id: '6f1c2e7a-3b4d-4c5e-9f60-718293a4b5c6',
    creator_id: '0b8e6c1d-2f3a-4b5c-8d7e-9f0a1b2c3d4e',
    platform: 'youtube',
    target_url: 'https://www.youtube.com/feeds/videos.xml?channel_id=UC_x5XG1OV2P6uZZ5FSM9Ttw',
    requested_range: { since: '2026-01-01T00:00:00Z', until: '2026-01-31T23:59:59Z' },
    status: 'PENDING',
    created_at: '2026-02-01T08:00:00Z',
    updated_at: '2026-02-01T08:00:00.250Z',
    schema_version: '1.0.0',
  },
  AnalysisResult: {
    video_id: '3d2c1b0a-9f8e-4d7c-a6b5-a4b3c2d1e0f9',
    transcript: 'So the trick nobody tells you about sourdough is the cold retard overnight.',
    keywords_detected: ['sourdough', 'cold retard', 'baking'],
    virality_score: 0.82,
    relevance_score: 0.9,
    clip_candidates: [
      {
        start_time: 12.5,
        end_time: 41,
        confidence: 0.88,
        subject_focus: 'creator',
        faces_detected: 1,
        semantic_tags: ['tutorial', 'food'],
        pantheon_votes: { risk_guard: 0.4, trend_chaser: 0.9 },
        lattice_priority: 0.7,
      },
      {
        start_time: 95,
        end_time: 118.25,
        confidence: 0.61,
        subject_focus: 'guest',
        faces_detected: 2,
        semantic_tags: ['interview'],
        pantheon_votes: {},
        lattice_priority: 0.35,
        clip_id: 'c0ffee00-1234-4abc-8def-0123456789ab',
      },
    ],
    _meta_parents: ['1b4e28ba-2fa1-11d2-883f-0016d3cca427'],
    generated_at: '2026-02-01T08:05:12.004Z',
  },
  ClipCandidate: {
    start_time: 0,
    end_time: 29.9,
    confidence: 0.75,
    subject_focus: 'product',
    faces_detected: 0,
    semantic_tags: ['unboxing'],
    pantheon_votes: { explorer: 0.6 },
    lattice_priority: 0.5,
  },
  EditJob: {
    clip_id: 'c0ffee00-1234-4abc-8def-0123456789ab',
    operations: ['cut', 'reframe_9x16', 'burn_captions', 'loudnorm'],
    ffmpeg_commands: ['ffmpeg -ss 12.5 -to 41 -i in.mp4 -vf crop=ih*9/16:ih out.mp4'],
    gpu_required: false,
    estimated_duration: 42,
    expected_outputs: ['file:///var/lib/omniva/media/clips/c0ffee00.mp4'],
  },
  UploadJob: {
    clip_id: 'c0ffee00-1234-4abc-8def-0123456789ab',
    title: 'The one sourdough step everyone skips',
    description: 'Cold retard overnight: why it matters and how long to leave it.',
    keywords: ['sourdough', 'baking', 'bread'],
    scheduled_time: '2026-02-03T17:30:00Z',
    privacy_status: 'public',
    yt_video_id: 'dQw4w9WgXcQ',
    distribution_targets: ['local_feed'],
  },
  ScheduleTask: {
    clip_id: 'c0ffee00-1234-4abc-8def-0123456789ab',
    recommended_time: '2026-02-03T17:30:00Z',
    priority: 0.8,
    horizon_adjustment: -0.2,
    final_decision_source: 'zenith',
    notes: 'Evening slot; two hours after the previous clip.',
    _meta_parents: ['9a1d7c3e-5b2f-8e4a-9c6d-1f2e3d4c5b6a'],
  },
  WorkerStatus: {
    job_id: '6f1c2e7a-3b4d-4c5e-9f60-718293a4b5c6',
    worker: 'scraper',
    instance_id: 'host-a/scraper/1',
    status: 'RUNNING',
    progress: 0.4,
    detail: 'downloading 2 of 5',
    updated_at: '2026-02-01T08:01:00Z',
  },
  Heartbeat: {
    host_id: 'host-a',
    actor: 'editor',
    instance_id: 'host-a/editor/1',
    state: 'healthy',
    sent_at: '2026-02-01T08:01:00Z',
    uptime_s: 3600.5,
    in_flight: 2,
  },
  DeadLetter: {
    reason_code: 'OMNIVA_ERR_SCHEMA_INVALID',
    reason: 'invalid ScraperJob message: /payload/platform: must be one of: tiktok, instagram',
    violations: [{ pointer: '/payload/platform', reason: 'must be one of: tiktok, instagram' }],
    subject: 'omniva.site-a.cmd.scraper',
    actor: 'scraper',
    received_at: '2026-02-01T08:01:00Z',
    delivery_count: 1,
    original_type: 'ScraperJob',
    original_msg_id: '2b7e1516-28ae-4d2a-8abf-7158809cf4f3',
    original_content_type: 'application/json',
    original_data_b64: 'eyJ0eXBlIjoiU2NyYXBlckpvYiJ9',
  },
  ActorEscalation: {
    actor: 'editor',
    instance_key: 'main',
    host_id: 'host-a',
    restarts: 5,
    period_ms: 60000,
    last_error: { code: 'OMNIVA_ERR_ACTOR_FAILED', message: 'ffmpeg exited with code 1' },
    at: '2026-02-01T08:01:00Z',
  },
  SampleTask: {
    task_id: '8c5f3e2a-1d4b-4c6e-9a7f-2b3c4d5e6f70',
    creator_id: '0b8e6c1d-2f3a-4b5c-8d7e-9f0a1b2c3d4e',
    text: 'Write a caption for the sourdough clip',
    requested_at: '2026-02-01T08:00:00Z',
  },
  SampleTaskDone: {
    task_id: '8c5f3e2a-1d4b-4c6e-9a7f-2b3c4d5e6f70',
    receipt: 'receipts/8c5f3e2a.json',
    word_count: 7,
    total_tasks: 1,
    done_at: '2026-02-01T08:00:01Z',
  },
  StatusQuery: { instance_key: 'main' },
  StatusReply: {
    actor: 'task-tracker',
    instance_key: 'main',
    state: 'idle',
    context: { total_tasks: 3 },
  },
  EchoRequest: { text: 'ping', n: 1 },
  EchoReply: { text: 'ping', n: 1 },
};

/** A fresh deep copy, free to mutate. */
export function example<N extends ContractName>(name: N): ContractType<N> {
  return structuredClone(EXAMPLES[name]);
}

/** A copy loosened to a plain record, for breaking the document's shape. */
export function loose(name: ContractName): Record<string, unknown> {
  return example(name) as Record<string, unknown>;
}
