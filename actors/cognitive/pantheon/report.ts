import { type AnalysisReport, deriveMsgId, type VoteReport } from '../../../protocols/index.ts';
import { EXTERNAL_AGENT, type ExternalOutcome, type ExternalRequest } from './external.ts';
import { PERSONAS, type PersonaInput } from './personas.ts';
import { tally, type VoteRow } from './tally.ts';

// The pure half of Pantheon: from an analysis and Horizon's weights to a finished VoteReport.
// The machine (pantheon.ts) only decides when to call these and what to publish.

type Voter = VoteReport['voters'][number];

/** One analysis being voted on, kept only until the external voter has answered. */
export interface Draft {
  report_id: string;
  video_id: string;
  analysis_job_id: string;
  rows: VoteRow[];
  parents: string[];
  generated_at: string;
  model_version: string;
}

/** Lower-cased, finite, clamped; sorted so a case collision resolves the same way every time. */
export function normaliseWeights(
  weights: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(weights).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (typeof v === 'number' && Number.isFinite(v)) {
      out[k.trim().toLowerCase()] = Math.max(-1, Math.min(1, v));
    }
  }
  return out;
}

/**
 * Same analysis, same guidance, same Pantheon version: same report id. A v4-shaped uuid from a
 * sha256, so a re-vote under new guidance is a new report and a redelivery is not.
 */
export function reportId(analysisJobId: string, guidanceId: string | undefined, version: string) {
  return deriveMsgId(`pantheon|${analysisJobId}|${guidanceId ?? 'unguided'}|${version}`, 0);
}

export interface CandidateView {
  input: PersonaInput;
  external: ExternalRequest['candidates'][number];
}

/**
 * Pairs each candidate with its features: candidate_features[i] belongs to clip_candidates[i]
 * when their times agree; otherwise the entry with the same times, else no features (the
 * personas then vote on fallbacks with lower confidence).
 */
export function candidateViews(
  report: AnalysisReport,
  topic_weights: Record<string, number>,
  guided: boolean,
): CandidateView[] {
  const same = (a: { start_time: number; end_time: number }, b: typeof a) =>
    a.start_time === b.start_time && a.end_time === b.end_time;
  return report.result.clip_candidates.map((c, i) => {
    const at = report.candidate_features[i];
    const cf = at && same(at, c) ? at : report.candidate_features.find((f) => same(f, c));
    const features: Record<string, number> = {};
    for (const [k, v] of Object.entries(cf?.features ?? {})) {
      if (typeof v === 'number' && Number.isFinite(v)) features[k] = v;
    }
    const text = (cf as { text?: unknown } | undefined)?.text;
    const tags = [...(c.semantic_tags ?? [])];
    return {
      input: {
        start_time: c.start_time,
        end_time: c.end_time,
        tags,
        features,
        topic_weights,
        guided,
      },
      external: {
        candidate_index: i,
        start_time: c.start_time,
        end_time: c.end_time,
        tags,
        features,
        ...(typeof text === 'string' && text ? { text: text.slice(0, 1000) } : {}),
      },
    };
  });
}

/** Every persona's ballot on every candidate, as report rows. */
export function personaRows(views: readonly CandidateView[]): VoteRow[] {
  return views.flatMap(({ external: ref, input }) =>
    PERSONAS.map((p) => ({
      candidate_index: ref.candidate_index,
      start_time: ref.start_time,
      end_time: ref.end_time,
      agent: p.agent,
      ...p.vote(input),
    })),
  );
}

const clip = (s: string, n = 500) => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

/** The external voter's outcome as a voter line and its rows; junk output counts as a failure. */
export function externalPart(
  draft: Draft,
  outcome: ExternalOutcome | { status: 'disabled'; detail: string },
): { voter: Voter; rows: VoteRow[] } {
  const voter = (status: Voter['status'], detail: string): Voter => ({
    agent: EXTERNAL_AGENT,
    status,
    detail: clip(detail),
  });
  if (outcome.status !== 'voted') return { voter: voter(outcome.status, outcome.detail), rows: [] };
  const refs = new Map(draft.rows.map((r) => [r.candidate_index, r]));
  const rows: VoteRow[] = [];
  for (const v of Array.isArray(outcome.votes) ? outcome.votes : []) {
    const ref = refs.get(v?.candidate_index);
    if (!ref || rows.some((r) => r.candidate_index === ref.candidate_index)) continue;
    const unit = (x: unknown) => typeof x === 'number' && x >= 0 && x <= 1;
    if (!unit(v.vote) || !unit(v.confidence) || typeof v.commentary !== 'string') continue;
    rows.push({
      candidate_index: ref.candidate_index,
      start_time: ref.start_time,
      end_time: ref.end_time,
      agent: EXTERNAL_AGENT,
      vote: v.vote,
      confidence: v.confidence,
      commentary: clip(v.commentary),
    });
  }
  if (rows.length === 0) return { voter: voter('failed', 'no usable votes in the outcome'), rows };
  return { voter: voter('voted', outcome.detail ?? `voted on ${rows.length} candidates`), rows };
}

/** The finished report: personas' rows plus the external part, tallied and ordered. */
export function buildReport(draft: Draft, outcome: Parameters<typeof externalPart>[1]): VoteReport {
  const ext = externalPart(draft, outcome);
  const { votes, ranking } = tally([...draft.rows, ...ext.rows]);
  return {
    report_id: draft.report_id,
    video_id: draft.video_id,
    analysis_job_id: draft.analysis_job_id,
    votes,
    ranking,
    voters: [...PERSONAS.map((p) => ({ agent: p.agent, status: 'voted' as const })), ext.voter],
    model_version: draft.model_version,
    generated_at: draft.generated_at,
  };
}
