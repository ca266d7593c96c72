import { capital, clip, num, type Rec, rec, recs, say, str, when } from './fields.ts';

/**
 * Statements of the control spine's messages (decisions, conflicts, failures, requests) and
 * of the advice that steers it (Lattice's priorities, Horizon's guidance).
 */

const TERMINAL = new Set(['DONE', 'ERROR', 'CANCELLED', 'SKIPPED']);

/** A WorkerStatus that ends its job (the narrative leaves the others to the chain). */
export function isFinalStatus(status: string | undefined): boolean {
  return status !== undefined && TERMINAL.has(status);
}

export function arbitration(b: Rec, a: string) {
  const decision = str(b, 'decision');
  if (!decision) return undefined;
  const about = (['job_key', 'clip_id', 'video_id'] as const)
    .map((k) => when(str(b, k), (id) => `${k.slice(0, k.lastIndexOf('_'))} ${id}`))
    .filter((x): x is string => x !== undefined);
  const accepted = [...new Set(recs(b, 'accepted').map((x) => str(x, 'module')))].filter(
    (x): x is string => x !== undefined,
  );
  return say(
    `${capital(a)} decided "${decision}"`,
    about.length > 0 && ` for ${about.join(', ')}`,
    when(str(b, 'worker'), (w) => ` on ${w}`),
    when(str(b, 'instance'), (i) => `/${i}`),
    accepted.length > 0 && `, accepting advice from ${accepted.join(', ')}`,
    when(str(b, 'reason'), (r) => `: ${clip(r, 600)}`),
  );
}

export function conflictReport(b: Rec, a: string) {
  const conflict = str(b, 'conflict');
  const affected = recs(b, 'affected')
    .filter((x) => str(x, 'type') && str(x, 'id'))
    .map((x) => `${str(x, 'type')} ${str(x, 'id')}`);
  return (
    conflict &&
    say(
      `${capital(a)} reported ${conflict}`,
      when(str(b, 'severity'), (s) => ` (severity ${s})`),
      when(str(b, 'action'), (x) => `, recommending ${x}`),
      affected.length > 0 && ` for ${affected.join(', ')}`,
      when(str(b, 'notes'), (n) => `: ${clip(n, 300)}`),
    )
  );
}

export function workerStatus(b: Rec, a: string) {
  const status = str(b, 'status');
  const err = rec(b, 'error');
  return (
    status &&
    say(
      str(b, 'worker') ?? a,
      when(str(b, 'instance_id'), (i) => ` instance ${i}`),
      ' reported',
      when(str(b, 'job_id'), (j) => ` job ${j}`),
      ` ${status}`,
      when(num(b, 'progress'), (p) => ` (progress ${p})`),
      when(str(err, 'code'), (c) => `: ${c}`),
      when(str(err, 'message'), (m) => ` — ${clip(m, 300)}`),
      when(str(b, 'detail'), (d) => `; ${clip(d, 200)}`),
    )
  );
}

export function recoveryPlan(b: Rec, a: string) {
  const action = str(b, 'action');
  const attempt = num(b, 'attempt');
  const max = num(b, 'max_attempts');
  const terms = [
    str(b, 'classification'),
    attempt !== undefined && max !== undefined ? `attempt ${attempt} of ${max}` : undefined,
    b.quarantine === true ? 'quarantine the instance' : undefined,
  ].filter((x): x is string => x !== undefined);
  return (
    action &&
    say(
      `${capital(a)} planned to ${action}`,
      when(str(b, 'job_key'), (j) => ` job ${j}`),
      when(str(b, 'worker'), (w) => ` of ${w}`),
      when(str(b, 'error_code'), (c) => ` after ${c}`),
      when(str(b, 'failed_instance'), (i) => ` on ${i}`),
      terms.length > 0 && ` (${terms.join(', ')})`,
    )
  );
}

export function deadLetter(b: Rec, a: string) {
  const code = str(b, 'reason_code');
  return (
    code &&
    say(
      `${a} dead-lettered ${str(b, 'original_type') ?? 'a message'}: ${code}`,
      when(str(b, 'reason'), (r) => ` (${clip(r, 300)})`),
    )
  );
}

export function workRequest(b: Rec, a: string) {
  const contract = str(b, 'contract');
  return (
    contract &&
    say(
      `${str(b, 'requested_by') ?? a} asked for ${contract}`,
      when(str(b, 'worker'), (w) => ` on ${w}`),
      when(str(b, 'job_key'), (j) => ` for job ${j}`),
      when(num(b, 'priority'), (p) => ` (priority ${p})`),
    )
  );
}

export function operatorOverride(b: Rec, a: string) {
  const action = str(b, 'action');
  return (
    action &&
    say(
      `operator ${str(b, 'operator') ?? a} asked to ${action}`,
      when(str(b, 'job_key'), (j) => ` job ${j}`),
      when(str(b, 'reason'), (r) => `: ${clip(r, 300)}`),
    )
  );
}

export function latticeHints(b: Rec, a: string) {
  const candidates = recs(b, 'candidates');
  const reason = str(b, 'reason');
  if (!reason && candidates.length === 0) return undefined;
  return say(
    `${capital(a)} set priorities for ${candidates.length} candidate${candidates.length === 1 ? '' : 's'}`,
    when(str(b, 'video_id'), (v) => ` of video ${v}`),
    when(num(b, 'routing_sequence'), (n) => ` (routing ${n})`),
    when(reason, (r) => `: ${clip(r, 300)}`),
  );
}

export function horizonGuidance(b: Rec, a: string) {
  const window = str(b, 'goal_window');
  if (!window) return undefined;
  const weights = rec(b, 'topic_weights') ?? {};
  const topics = Object.keys(weights)
    .sort()
    .filter((t) => num(weights, t) !== undefined)
    .slice(0, 6)
    .map((t) => `${t} ${num(weights, t)}`);
  const warnings = recs(b, 'drift')
    .map((d) => str(d, 'warning'))
    .filter((w): w is string => w !== undefined);
  return say(
    `${capital(a)} set guidance for ${window}`,
    topics.length > 0 && `: topic weights ${topics.join(', ')}`,
    when(num(b, 'posts_per_day'), (n) => `; ${n} posts per day`),
    warnings.length > 0 && `; drift: ${clip(warnings.join('; '), 300)}`,
  );
}
