import { arbitrate, type Enqueue, ids, type Job } from './zenith-decisions.ts';
import {
  type Candidate,
  deriveId,
  type PipelineOptions,
  type PipelineState,
  r3,
  type StartJob,
} from './zenith-pipeline.ts';

const clamp = (x: number) => Math.min(1, Math.max(0, x));

/** Use Case 1: once the analysis and Pantheon's votes are in, the best candidates become clips. */
export function promote(args: {
  p: PipelineOptions;
  st: PipelineState;
  jobs: Record<string, Job>;
  analysisId: string;
  now: number;
  enqueue: Enqueue;
  start: StartJob;
}) {
  const { p, st, jobs, analysisId, now, enqueue, start } = args;
  const a = st.analyses[analysisId];
  if (!a?.votes || !a.transcript_uri || a.promoted) return;
  const video = st.videos[a.video_id];
  if (!video || video.blocked) return;
  a.promoted = true;
  const hint = st.hints[a.video_id];
  const topics = st.guidance?.topics ?? {};
  const scored = a.votes.ranking
    .map((r) => {
      const c = a.candidates[r.candidate_index];
      const topic = c?.tags[0] ?? a.keywords[0] ?? 'general';
      const lattice = hint?.deltas[r.candidate_index] ?? 0;
      const horizon = topics[topic] ?? 0;
      return {
        r,
        c,
        topic,
        score: r3(clamp(r.score + 0.2 * lattice + 0.1 * horizon)),
        lattice,
        horizon,
      };
    })
    .filter((x): x is typeof x & { c: Candidate } => x.c !== undefined)
    .sort((x, y) => y.score - x.score || x.r.start_time - y.r.start_time);
  const chosen: typeof scored = [];
  for (const s of scored) {
    if (chosen.length >= p.clips_per_video || s.score < p.min_score) break;
    if (chosen.some((c) => c.r.start_time < s.r.end_time && s.r.start_time < c.r.end_time))
      continue;
    chosen.push(s);
  }
  const evidence = ids(video.packet, a.packet, a.votes.packet, hint?.packet, st.guidance?.packet);
  const accepted = [
    { module: 'pantheon', ref: a.votes.packet ?? analysisId },
    ...(hint?.packet ? [{ module: 'lattice', ref: hint.packet }] : []),
    ...(st.guidance?.packet ? [{ module: 'horizon', ref: st.guidance.packet }] : []),
  ];
  const losers = scored.filter((s) => !chosen.includes(s)).slice(0, 8);
  if (chosen.length === 0) {
    arbitrate(
      enqueue,
      now,
      {
        decision: 'reject',
        video_id: a.video_id,
        accepted,
        rejected: [],
        reason: `no candidate reached the minimum score ${p.min_score}`,
      },
      evidence,
    );
    return;
  }
  for (const s of chosen) {
    const clip_id = deriveId(`clip:${analysisId}:${s.r.candidate_index}`);
    const why = `Pantheon score ${s.r.score.toFixed(2)} (consensus ${s.r.consensus.toFixed(2)}${s.r.dissent.length ? `, dissent: ${s.r.dissent.join(', ')}` : ''}), Lattice ${s.lattice >= 0 ? '+' : ''}${s.lattice.toFixed(2)}, Horizon ${s.topic} ${s.horizon >= 0 ? '+' : ''}${s.horizon.toFixed(2)} → ${s.score.toFixed(2)}`;
    arbitrate(
      enqueue,
      now,
      {
        decision: 'promote',
        clip_id,
        video_id: a.video_id,
        accepted,
        rejected: losers.map((l) => ({
          module: 'pantheon',
          ref: `candidate-${l.r.candidate_index}`,
          why: `${l.r.start_time}-${l.r.end_time} s scored ${l.score.toFixed(2)}`,
        })),
        reason: `${s.r.start_time}-${s.r.end_time} s becomes a clip: ${why}`.slice(0, 2000),
      },
      evidence,
    );
    enqueue.emit({
      type: 'omniva.publish',
      channel: 'adv',
      name: 'promotion',
      contract: 'ClipPromotion',
      payload: {
        clip_id,
        video_id: a.video_id,
        analysis_job_id: analysisId,
        candidate_index: s.r.candidate_index,
        start_time: s.r.start_time,
        end_time: s.r.end_time,
        ...(video.title ? { title_hint: video.title.slice(0, 500) } : {}),
        transcript: s.c.text.slice(0, 20000),
        keywords: [...new Set([...s.c.tags, ...a.keywords])].slice(0, 30),
        topic: s.topic,
        rationale: (a.votes.rationale[s.r.candidate_index] ?? why).slice(0, 2000),
        score: s.score,
      },
      parents: evidence,
    });
    const editing_context_id = deriveId(`edit:${clip_id}`);
    st.clips[clip_id] = {
      video_id: a.video_id,
      analysis_job_id: analysisId,
      index: s.r.candidate_index,
      score: s.score,
      topic: s.topic,
      stage: 'editing',
      evidence,
    };
    start(jobs, enqueue, now, editing_context_id, {
      worker: 'editor',
      contract: 'EditOrder',
      payload: {
        editing_context_id,
        job: {
          clip_id,
          operations: ['cut', 'reframe', 'captions', 'loudnorm', 'encode', 'thumbnail'],
          ffmpeg_commands: [],
          gpu_required: false,
          estimated_duration: Math.max(1, Math.ceil((s.r.end_time - s.r.start_time) / 2)),
        },
        source_uri: video.media_uri,
        transcript_uri: a.transcript_uri,
        start_time: s.r.start_time,
        end_time: s.r.end_time,
      },
      evidence,
      accepted,
      about: { clip_id, video_id: a.video_id },
    });
  }
}
