import {
  capital,
  clip,
  num,
  type Rec,
  rankPhrase,
  rec,
  recs,
  say,
  span,
  str,
  strs,
  when,
} from './fields.ts';

/**
 * Statements of the clip pipeline's messages (ingest → analysis → vote → promotion → edit →
 * metadata → schedule → publish). Each phrase exists only with the field it quotes.
 */

export function scraperJob(b: Rec, a: string) {
  const job = str(b, 'job_id');
  return (
    job &&
    say(
      `${a} ordered scraper job ${job}`,
      when(str(b, 'target_url'), (u) => ` for ${clip(u)}`),
    )
  );
}

export function mediaCaptured(b: Rec, a: string) {
  const video = str(b, 'video_id');
  return (
    video &&
    say(
      `${a} captured video ${video}`,
      when(str(b, 'source'), (s) => ` from ${s}`),
      when(str(b, 'source_item'), (s) => ` ${clip(s)}`),
      when(num(b, 'size_bytes'), (n) => ` (${n} bytes)`),
    )
  );
}

export function videoAsset(b: Rec, a: string) {
  const video = str(b, 'video_id');
  return (
    video &&
    say(
      `${a} ingested video ${video}`,
      when(str(b, 'title'), (t) => ` "${clip(t)}"`),
      when(num(rec(b, 'metadata'), 'duration_s'), (d) => `, ${d} s long`),
      when(str(b, 'source_item'), (s) => `, from ${clip(s)}`),
      when(str(b, 'captions_format'), (f) => `, with ${f} captions`),
    )
  );
}

export function analyzeJob(b: Rec, a: string) {
  const job = str(b, 'job_id');
  return (
    job &&
    say(
      `${a} ordered analysis job ${job}`,
      when(str(b, 'video_id'), (v) => ` of video ${v}`),
      when(str(b, 'asr'), (x) => ` (transcript from ${x})`),
    )
  );
}

export function analysisReport(b: Rec, a: string) {
  const job = str(b, 'job_id');
  if (!job) return undefined;
  const r = rec(b, 'result');
  const n = Array.isArray(r?.clip_candidates) ? r.clip_candidates.length : undefined;
  const scores = [
    when(num(r, 'virality_score'), (x) => `virality ${x}`),
    when(num(r, 'relevance_score'), (x) => `relevance ${x}`),
    when(str(rec(b, 'model'), 'transcript_source'), (x) => `transcript from ${x}`),
  ].filter((x): x is string => x !== undefined);
  return say(
    `${a} analysed `,
    when(str(r, 'video_id'), (v) => `video ${v} `),
    `for job ${job}`,
    when(n, (x) => `: ${x} candidate${x === 1 ? '' : 's'}`),
    scores.length > 0 && ` (${scores.join(', ')})`,
  );
}

export function voteReport(b: Rec, a: string) {
  const ranking = recs(b, 'ranking');
  const first = ranking[0];
  if (!first) return undefined;
  const absent = recs(b, 'voters')
    .filter((v) => str(v, 'agent') && str(v, 'status') && str(v, 'status') !== 'voted')
    .map((v) => `${str(v, 'agent')} ${str(v, 'status')}`);
  const rank = rankPhrase(first);
  return say(
    `${capital(a)} ranked ${span(first) ?? 'a candidate'} first`,
    rank && ` with ${rank}`,
    ` among ${ranking.length} candidate${ranking.length === 1 ? '' : 's'}`,
    absent.length > 0 && `; ${absent.join(', ')}`,
  );
}

export function promotion(b: Rec, a: string) {
  const clipId = str(b, 'clip_id');
  return (
    clipId &&
    say(
      `${capital(a)} promoted `,
      when(num(b, 'candidate_index'), (i) => `candidate ${i} `),
      when(span(b), (s) => `(${s}) `),
      when(str(b, 'video_id'), (v) => `of video ${v} `),
      `to clip ${clipId}`,
      when(num(b, 'score'), (s) => ` with score ${s}`),
      when(str(b, 'topic'), (t) => `, topic ${t}`),
      when(str(b, 'rationale'), (r) => `: ${clip(r, 400)}`),
    )
  );
}

export function editOrder(b: Rec, a: string) {
  const job = rec(b, 'job');
  const clipId = str(job, 'clip_id');
  const ops = strs(job, 'operations');
  return (
    clipId &&
    say(
      `${a} ordered the edit of clip ${clipId}`,
      when(span(b), (s) => `: ${s}`),
      when(str(b, 'source_uri'), (u) => ` of ${u}`),
      ops.length > 0 && ` (${ops.join(', ')})`,
      when(str(b, 'reframe'), (r) => `, reframe ${r}`),
    )
  );
}

export function clipRendered(b: Rec, a: string) {
  const clipId = str(b, 'clip_id');
  if (!clipId) return undefined;
  const s = rec(b, 'edit_summary');
  const w = num(s, 'width');
  const h = num(s, 'height');
  const facts = [
    when(num(s, 'duration_s'), (d) => `${d} s`),
    w !== undefined && h !== undefined ? `${w}x${h}` : undefined,
    when(str(s, 'reframe'), (r) => `${r} reframe`),
    when(num(s, 'caption_cues'), (c) => `${c} caption cues`),
    when(num(s, 'loudness_target'), (l) => `loudness target ${l} LUFS`),
    b.reused === true ? 'reusing a finished render' : undefined,
  ].filter((x): x is string => x !== undefined);
  return say(
    `${a} rendered clip ${clipId}`,
    facts.length > 0 && `: ${facts.join(', ')}`,
    when(num(b, 'render_ms'), (ms) => ` in ${ms} ms`),
  );
}

export function chorusPackage(b: Rec, a: string) {
  const clipId = str(b, 'clip_id');
  if (!clipId) return undefined;
  const changes = recs(b, 'changes')
    .filter((c) => str(c, 'field'))
    .map((c) =>
      say(
        str(c, 'field'),
        when(str(c, 'why'), (w) => ` (${clip(w, 120)})`),
      ),
    );
  const conflicts = recs(b, 'conflicts')
    .filter((c) => str(c, 'rule'))
    .map((c) =>
      say(
        str(c, 'rule'),
        when(str(c, 'term'), (t) => ` "${t}"`),
        when(str(c, 'field'), (f) => ` in ${f}`),
      ),
    );
  return say(
    `${capital(a)} wrote metadata for clip ${clipId}`,
    when(str(b, 'status'), (s) => ` (${s})`),
    when(str(b, 'title'), (t) => `: title "${t}"`),
    changes.length > 0 && `; changed ${changes.join(', ')}`,
    conflicts.length > 0 && `; unresolved: ${conflicts.join(', ')}`,
  );
}

export function scheduleOrder(b: Rec, a: string) {
  const task = rec(b, 'task');
  const clipId = str(task, 'clip_id');
  return (
    clipId &&
    say(
      `${a} asked to schedule clip ${clipId}`,
      when(str(b, 'channel'), (c) => ` on channel ${c}`),
      when(str(task, 'recommended_time'), (t) => ` around ${t}`),
      when(num(task, 'priority'), (p) => ` (priority ${p})`),
      when(str(b, 'goal_window'), (g) => ` for goal window ${g}`),
    )
  );
}

export function scheduleChange(b: Rec, a: string) {
  const clipId = str(b, 'clip_id');
  const change = str(b, 'change');
  if (!clipId || !change) return undefined;
  return say(
    `${a} ${change} clip ${clipId}`,
    when(str(b, 'channel'), (c) => ` on channel ${c}`),
    change === 'rescheduled' && when(str(b, 'previous_slot'), (p) => ` from ${p}`),
    when(str(b, 'slot'), (s) => (change === 'rescheduled' ? ` to ${s}` : ` for ${s}`)),
    when(str(b, 'reason'), (r) => `: ${clip(r, 300)}`),
  );
}

export function publishOrder(b: Rec, a: string) {
  const job = rec(b, 'job');
  const clipId = str(job, 'clip_id');
  // The authorization grant is a credential: never quoted.
  return (
    clipId &&
    say(
      `${a} ordered publishing clip ${clipId}`,
      when(str(b, 'target'), (t) => ` to ${t}`),
      when(str(job, 'title'), (t) => ` as "${clip(t)}"`),
      when(str(job, 'scheduled_time'), (t) => ` for ${t}`),
      when(str(job, 'privacy_status'), (p) => ` (${p})`),
    )
  );
}

export function publishReceipt(b: Rec, a: string) {
  const clipId = str(b, 'clip_id');
  const url = str(b, 'url');
  return (
    clipId &&
    say(
      `${a} published clip ${clipId}`,
      when(str(b, 'target'), (t) => ` to ${t}`),
      when(str(b, 'status'), (s) => `: ${s}`),
      when(str(b, 'scheduled_time'), (t) => ` for ${t}`),
      url ? ` at ${clip(url)}` : when(str(b, 'platform_id'), (p) => ` as ${p}`),
    )
  );
}
