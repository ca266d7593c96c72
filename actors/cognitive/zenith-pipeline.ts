import type {
  AnalysisReport,
  ChorusPackage,
  ClipRendered,
  ConflictReport,
  HorizonGuidance,
  LatticeHints,
  PublishReceipt,
  ScheduleChange,
  VideoAssetCreated,
  VoteReport,
} from '../../protocols/index.ts';
import { deriveMsgId } from '../../protocols/index.ts';
import type { EffectDoneEvent, MessageEvent } from '../../runtime/index.ts';
import {
  arbitrate,
  type Context,
  type Enqueue,
  ids,
  type Job,
  startJob,
  type ZenithOptions,
} from './zenith-decisions.ts';
import { promote } from './zenith-promote.ts';

/** How Zenith runs the clip pipeline (spec §2): how many clips, where and how they go out. */
export interface PipelineOptions {
  /** Clips promoted per analysed video: the best by combined score, without overlap. */
  clips_per_video: number;
  /** Below this combined score a candidate is not worth a clip. */
  min_score: number;
  channel: string;
  target: 'local' | 'youtube';
  privacy: 'public' | 'unlisted' | 'private';
  /** The first slot Zenith asks the scheduler for is this far ahead. */
  lead_minutes: number;
}

export const DEFAULT_PIPELINE: PipelineOptions = {
  clips_per_video: 1,
  min_score: 0.3,
  channel: 'main',
  target: 'local',
  privacy: 'public',
  lead_minutes: 60,
};

export type Candidate = {
  start: number;
  end: number;
  confidence: number;
  tags: string[];
  text: string;
};
export type Analysis = {
  video_id: string;
  packet?: string;
  transcript_uri: string;
  keywords: string[];
  candidates: Candidate[];
  votes?: { packet?: string; ranking: VoteReport['ranking']; rationale: Record<number, string> };
  promoted?: boolean;
};
export type Clip = {
  video_id: string;
  analysis_job_id: string;
  index: number;
  score: number;
  topic: string;
  stage: 'editing' | 'scheduling' | 'publishing' | 'published' | 'held';
  evidence: string[];
  rendered?: { clip_uri: string; thumbnail_uri: string; packet?: string };
  package?: {
    status: 'ready' | 'held';
    title: string;
    description: string;
    keywords: string[];
    packet?: string;
    why: string;
  };
  slot?: string;
  shifted?: boolean;
};
export type PipelineState = {
  /** The raw capture's packet per video: the analysis derives from it too (spec §5.2). */
  captures?: Record<string, string>;
  videos: Record<string, { media_uri: string; packet?: string; blocked?: string; title?: string }>;
  analyses: Record<string, Analysis>;
  clips: Record<string, Clip>;
  /** Lattice's latest priority deltas per video and candidate index. */
  hints: Record<string, { packet?: string; deltas: Record<number, number> }>;
  guidance?: {
    packet?: string;
    goal_window: string;
    topics: Record<string, number>;
    slots: HorizonGuidance['slot_weights'];
  };
};

export const emptyPipeline = (): PipelineState => ({
  videos: {},
  analyses: {},
  clips: {},
  hints: {},
});

/** A UUIDv4-shaped id derived from a seed: replaying the same input makes the same ids. */
export function deriveId(seed: string): string {
  return deriveMsgId(`zenith|${seed}`, 0);
}

export const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Starts a job and stores it in the step's job table. */
export type StartJob = (
  jobs: Record<string, Job>,
  enqueue: Enqueue,
  now: number,
  key: string,
  spec: Parameters<typeof startJob>[5],
) => void;

type Step<E> = (p: PipelineState, jobs: Record<string, Job>, e: E, enqueue: Enqueue) => void;

/**
 * Zenith's clip pipeline: every worker result and every module's advice moves a video or a
 * clip one stage on, and every move is an arbitration citing the packets it rests on.
 * Handlers mutate copies of the pipeline state and job table; the machine assigns them once.
 */
export function pipelineSteps(o: ZenithOptions, p: PipelineOptions, context: Context) {
  const start = (
    jobs: Record<string, Job>,
    enqueue: Enqueue,
    now: number,
    key: string,
    spec: Parameters<typeof startJob>[5],
  ) => {
    const job = startJob(o, { ...context, jobs }, enqueue, now, key, spec);
    if (job) jobs[key] = job;
  };

  const captured: Step<MessageEvent<'MediaCaptured'>> = (st, _jobs, e) => {
    if (!e.meta.stardust_id) return;
    st.captures = { ...st.captures, [e.payload.video_id]: e.meta.stardust_id };
  };

  const asset: Step<MessageEvent<'VideoAssetCreated'>> = (st, jobs, e, enqueue) => {
    const a: VideoAssetCreated = e.payload;
    if (st.videos[a.video_id]) return;
    st.videos[a.video_id] = {
      media_uri: a.media_uri,
      ...(e.meta.stardust_id ? { packet: e.meta.stardust_id } : {}),
      ...(a.title ? { title: a.title } : {}),
    };
    const job_id = deriveId(`analyze:${a.video_id}`);
    start(jobs, enqueue, e.now, job_id, {
      worker: 'analyzer',
      contract: 'AnalyzeJob',
      payload: {
        job_id,
        video_id: a.video_id,
        scraper_job_id: a.job_id,
        media_uri: a.media_uri,
        ...(a.captions_uri ? { captions_uri: a.captions_uri } : {}),
        ...(a.captions_format ? { captions_format: a.captions_format } : {}),
      },
      evidence: ids(e.meta.stardust_id, st.captures?.[a.video_id]),
      accepted: [{ module: 'scraper', ref: e.meta.msg_id }],
      about: { video_id: a.video_id },
    });
  };

  const conflict: Step<MessageEvent<'ConflictReport'>> = (st, _jobs, e, enqueue) => {
    const r: ConflictReport = e.payload;
    if (r.action !== 'block') return;
    // A duplicate names the copy first and the original after it: only the copy stops.
    const targets = r.conflict === 'duplicate_media' ? r.affected.slice(0, 1) : r.affected;
    for (const a of targets) {
      const v = a.type === 'video' ? st.videos[a.id] : undefined;
      if (!v || v.blocked) continue;
      v.blocked = r.report_id;
      arbitrate(
        enqueue,
        e.now,
        {
          decision: 'hold',
          video_id: a.id,
          accepted: [{ module: 'paradox', ref: r.report_id }],
          rejected: [],
          reason: `Paradox blocks it: ${r.conflict} (${r.severity})`,
        },
        ids(e.meta.stardust_id, ...r.evidence),
      );
    }
  };

  const analysis: Step<MessageEvent<'AnalysisReport'>> = (st, jobs, e, enqueue) => {
    const r: AnalysisReport = e.payload;
    const prior = st.analyses[r.job_id];
    st.analyses[r.job_id] = {
      ...prior,
      video_id: r.result.video_id,
      ...(e.meta.stardust_id ? { packet: e.meta.stardust_id } : {}),
      transcript_uri: r.transcript_uri,
      keywords: r.result.keywords_detected,
      candidates: r.result.clip_candidates.map((c, i) => ({
        start: c.start_time,
        end: c.end_time,
        confidence: c.confidence,
        tags: c.semantic_tags,
        text: r.candidate_features[i]?.text ?? '',
      })),
    };
    promote({ p, st, jobs, analysisId: r.job_id, now: e.now, enqueue, start });
  };

  const votes: Step<MessageEvent<'VoteReport'>> = (st, jobs, e, enqueue) => {
    const v: VoteReport = e.payload;
    const rationale: Record<number, string> = {};
    for (const row of v.votes) {
      rationale[row.candidate_index] =
        `${rationale[row.candidate_index] ?? ''}${row.agent} ${row.vote.toFixed(2)}: ${row.commentary}; `.slice(
          0,
          1500,
        );
    }
    const prior = st.analyses[v.analysis_job_id];
    st.analyses[v.analysis_job_id] = {
      ...(prior ?? { video_id: v.video_id, transcript_uri: '', keywords: [], candidates: [] }),
      votes: {
        ...(e.meta.stardust_id ? { packet: e.meta.stardust_id } : {}),
        ranking: v.ranking,
        rationale,
      },
    };
    promote({ p, st, jobs, analysisId: v.analysis_job_id, now: e.now, enqueue, start });
  };

  const hints: Step<MessageEvent<'LatticeHints'>> = (st, _jobs, e) => {
    const h: LatticeHints = e.payload;
    if (!h.video_id) return;
    const deltas: Record<number, number> = {};
    for (const c of h.candidates) deltas[c.candidate_index] = c.priority_delta;
    st.hints[h.video_id] = {
      ...(e.meta.stardust_id ? { packet: e.meta.stardust_id } : {}),
      deltas,
    };
  };

  const guidance: Step<MessageEvent<'HorizonGuidance'>> = (st, _jobs, e) => {
    const g: HorizonGuidance = e.payload;
    st.guidance = {
      ...(e.meta.stardust_id ? { packet: e.meta.stardust_id } : {}),
      goal_window: g.goal_window,
      topics: g.topic_weights,
      slots: g.slot_weights,
    };
  };

  const rendered: Step<MessageEvent<'ClipRendered'>> = (st, jobs, e, enqueue) => {
    const r: ClipRendered = e.payload;
    const clip = st.clips[r.clip_id];
    if (!clip) return;
    clip.rendered = {
      clip_uri: r.clip_uri,
      thumbnail_uri: r.thumbnail_uri,
      ...(e.meta.stardust_id ? { packet: e.meta.stardust_id } : {}),
    };
    schedule(st, jobs, r.clip_id, e.now, enqueue);
  };

  const metadata: Step<MessageEvent<'ChorusPackage'>> = (st, jobs, e, enqueue) => {
    const c: ChorusPackage = e.payload;
    const clip = st.clips[c.clip_id];
    if (!clip) return;
    const why = c.conflicts
      .map((x) => `${x.rule}${x.term ? ` "${x.term}"` : ''} in ${x.field}: ${x.detail}`)
      .join('; ');
    clip.package = {
      status: c.status,
      title: c.title,
      description: c.description,
      keywords: c.keywords,
      why,
      ...(e.meta.stardust_id ? { packet: e.meta.stardust_id } : {}),
    };
    schedule(st, jobs, c.clip_id, e.now, enqueue);
  };

  /** A rendered clip with its metadata ready asks the scheduler for a slot; a held one stops. */
  function schedule(
    st: PipelineState,
    _jobs: Record<string, Job>,
    clipId: string,
    now: number,
    enqueue: Enqueue,
  ) {
    const clip = st.clips[clipId];
    if (!clip?.rendered || !clip.package || clip.stage !== 'editing') return;
    const evidence = ids(clip.rendered.packet, clip.package.packet, ...clip.evidence);
    if (clip.package.status === 'held') {
      clip.stage = 'held';
      arbitrate(
        enqueue,
        now,
        {
          decision: 'hold',
          clip_id: clipId,
          video_id: clip.video_id,
          accepted: [{ module: 'chorus', ref: clip.package.packet ?? clipId }],
          rejected: [],
          reason:
            `not published: Chorus flagged an unresolved compliance conflict (${clip.package.why})`.slice(
              0,
              2000,
            ),
        },
        evidence,
      );
      return;
    }
    clip.stage = 'scheduling';
    askSlot(
      st,
      clipId,
      new Date(now + p.lead_minutes * 60_000).toISOString(),
      evidence,
      'Zenith asks for the first slot after the lead time',
      enqueue,
    );
  }

  function askSlot(
    st: PipelineState,
    clipId: string,
    at: string,
    evidence: string[],
    notes: string,
    enqueue: Enqueue,
  ) {
    const clip = st.clips[clipId] as Clip;
    enqueue.emit({
      type: 'omniva.command',
      worker: 'scheduler',
      contract: 'ScheduleOrder',
      payload: {
        task: {
          clip_id: clipId,
          recommended_time: at,
          priority: clip.score,
          horizon_adjustment: r3(Math.max(-1, Math.min(1, st.guidance?.topics[clip.topic] ?? 0))),
          final_decision_source: 'zenith',
          notes: notes.slice(0, 512),
        },
        channel: p.channel,
        ...(st.guidance ? { goal_window: st.guidance.goal_window } : {}),
      },
      evidence,
      rollback: { action: 'cancel', notes: `unschedule clip ${clipId}; nothing was published yet` },
    });
  }

  /** Use Case 3: the scheduler proposes, Horizon may prefer another window, Zenith commits. */
  const slot: Step<MessageEvent<'ScheduleChange'>> = (st, _jobs, e, enqueue) => {
    const s: ScheduleChange = e.payload;
    const clip = st.clips[s.clip_id];
    if (clip?.stage !== 'scheduling') return;
    const evidence = ids(e.meta.stardust_id, ...clip.evidence);
    if (s.change === 'skipped' || !s.slot) {
      clip.stage = 'held';
      arbitrate(
        enqueue,
        e.now,
        {
          decision: 'hold',
          clip_id: s.clip_id,
          accepted: [{ module: 'scheduler', ref: e.meta.msg_id }],
          rejected: [],
          reason: `no slot: ${s.reason}`,
        },
        evidence,
      );
      return;
    }
    const better = !clip.shifted ? preferredStart(st.guidance?.slots ?? [], s.slot) : undefined;
    if (better) {
      clip.shifted = true;
      const ev = ids(st.guidance?.packet, ...evidence);
      arbitrate(
        enqueue,
        e.now,
        {
          decision: 'reschedule',
          clip_id: s.clip_id,
          accepted: [{ module: 'horizon', ref: st.guidance?.packet ?? 'guidance' }],
          rejected: [
            {
              module: 'scheduler',
              ref: e.meta.msg_id,
              why: `${s.slot} is outside Horizon's preferred windows`,
            },
          ],
          reason: `Horizon prefers ${better.window}; asking for ${better.at}`,
        },
        ev,
      );
      askSlot(st, s.clip_id, better.at, ev, `Horizon prefers ${better.window}`, enqueue);
      return;
    }
    clip.slot = s.slot;
    clip.stage = 'publishing';
    arbitrate(
      enqueue,
      e.now,
      {
        decision: 'approve',
        clip_id: s.clip_id,
        accepted: [{ module: 'scheduler', ref: e.meta.msg_id }],
        rejected: [],
        reason: `publish at ${s.slot} on ${p.channel}`,
      },
      evidence,
    );
    enqueue.emit({
      type: 'omniva.effect',
      id: `grant-${s.clip_id}`,
      name: 'grant',
      input: { clip_id: s.clip_id },
    });
  };

  /** The grant is signed (an effect: the key stays out of the machine), then the upload goes out. */
  const granted = (
    st: PipelineState,
    jobs: Record<string, Job>,
    e: EffectDoneEvent,
    enqueue: Enqueue,
  ) => {
    const clipId = e.id.slice('grant-'.length);
    const clip = st.clips[clipId];
    if (!clip?.rendered || !clip.package || !clip.slot || clip.stage !== 'publishing') return;
    start(jobs, enqueue, e.now, clipId, {
      worker: 'uploader',
      contract: 'PublishOrder',
      payload: {
        job: {
          clip_id: clipId,
          title: clip.package.title,
          description: clip.package.description,
          keywords: clip.package.keywords,
          scheduled_time: clip.slot,
          privacy_status: p.privacy,
        },
        clip_uri: clip.rendered.clip_uri,
        thumbnail_uri: clip.rendered.thumbnail_uri,
        target: p.target,
        authorization: (e.output as { token: string }).token,
      },
      evidence: ids(clip.package.packet, clip.rendered.packet, ...clip.evidence),
      accepted: [{ module: 'chorus', ref: clip.package.packet ?? clipId }],
      about: { clip_id: clipId, video_id: clip.video_id },
    });
  };

  const published: Step<MessageEvent<'PublishReceipt'>> = (st, _jobs, e) => {
    const clip = st.clips[(e.payload as PublishReceipt).clip_id];
    if (clip) clip.stage = 'published';
  };

  return {
    captured,
    asset,
    conflict,
    analysis,
    votes,
    hints,
    guidance,
    rendered,
    metadata,
    slot,
    granted,
    published,
  };
}

/** The start of the first preferred window after `slot`, when the slot is in none (weight ≥ 0.5). */
function preferredStart(
  windows: HorizonGuidance['slot_weights'],
  slot: string,
): { at: string; window: string } | undefined {
  const good = windows.filter((w) => w.weight >= 0.5);
  if (good.length === 0) return undefined;
  const t = new Date(slot);
  const minutes = t.getUTCHours() * 60 + t.getUTCMinutes();
  const toMin = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
  const inside = (w: (typeof good)[number]) => {
    const [a, b] = [toMin(w.start), toMin(w.end)];
    return a <= b ? minutes >= a && minutes < b : minutes >= a || minutes < b;
  };
  if (good.some(inside)) return undefined;
  for (let day = 0; day < 2; day++) {
    const candidates = good
      .map((w) => {
        const d = new Date(
          Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + day, 0, toMin(w.start)),
        );
        return { at: d, window: `${w.start}-${w.end} UTC` };
      })
      .filter((c) => c.at.getTime() > t.getTime())
      .sort((x, y) => x.at.getTime() - y.at.getTime());
    if (candidates[0]) return { at: candidates[0].at.toISOString(), window: candidates[0].window };
  }
  return undefined;
}
