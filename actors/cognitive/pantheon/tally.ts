import type { VoteReport } from '../../../protocols/index.ts';
import { r3 } from './personas.ts';

export type VoteRow = VoteReport['votes'][number];
export type RankRow = VoteReport['ranking'][number];

/** A vote further than this from the candidate's score is dissent. */
export const DISSENT_GAP = 0.25;

/** Votes by candidate_index, then agent name: the order Zenith and tests rely on. */
export function compareVotes(a: VoteRow, b: VoteRow): number {
  return (
    a.candidate_index - b.candidate_index || (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0)
  );
}

/** Ranking order: best score first; ties go to the earlier clip, then the lower index. */
export function compareRanks(a: RankRow, b: RankRow): number {
  return b.score - a.score || a.start_time - b.start_time || a.candidate_index - b.candidate_index;
}

/**
 * Aggregates ballots into the report's ordered votes and ranking. Per candidate:
 *   score     = Σ confidence·vote / Σ confidence (the plain mean when every confidence is 0),
 *   consensus = 1 − (max vote − min vote),
 *   dissent   = agents whose vote is more than 0.25 from the score, by name.
 * Votes are sorted before summing, so the float sums never depend on arrival order.
 */
export function tally(rows: readonly VoteRow[]): { votes: VoteRow[]; ranking: RankRow[] } {
  const votes = [...rows].sort(compareVotes);
  const groups = new Map<number, VoteRow[]>();
  for (const v of votes) {
    const g = groups.get(v.candidate_index);
    if (g) g.push(v);
    else groups.set(v.candidate_index, [v]);
  }
  const ranking: RankRow[] = [];
  for (const [candidate_index, g] of groups) {
    const first = g[0] as VoteRow;
    const weight = g.reduce((s, v) => s + v.confidence, 0);
    const raw =
      weight > 0
        ? g.reduce((s, v) => s + v.confidence * v.vote, 0) / weight
        : g.reduce((s, v) => s + v.vote, 0) / g.length;
    const score = r3(raw);
    const spread = Math.max(...g.map((v) => v.vote)) - Math.min(...g.map((v) => v.vote));
    ranking.push({
      candidate_index,
      start_time: first.start_time,
      end_time: first.end_time,
      score,
      consensus: r3(1 - spread),
      // Rounded before comparing, so a gap of exactly 0.25 is never dissent by float noise.
      dissent: g.filter((v) => r3(Math.abs(v.vote - score)) > DISSENT_GAP).map((v) => v.agent),
    });
  }
  ranking.sort(compareRanks);
  return { votes, ranking };
}
