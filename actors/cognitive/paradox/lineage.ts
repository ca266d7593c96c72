import type { ConflictReport } from '../../../protocols/index.ts';
import type { MessageMeta } from '../../../runtime/index.ts';
import { type OpenConflict, packets, reportId } from './conflicts.ts';

/**
 * Circular lineage (spec §4.1 "evaluate lineage graphs for contradictions"): Paradox keeps the
 * parent links of the packets it has seen and checks each new one on insert. Packets are
 * content-addressed, so an honest ledger cannot hold a cycle; one that appears means a forged
 * or corrupted `_meta_parents`, and everything downstream of it is suspect.
 */

/** `[packet, its parents]`, oldest first: an array so the bound drops the oldest links. */
export type Link = [node: string, parents: string[]];

/**
 * The cycle that inserting `node → parents` closes, as the packets along it starting at `node`,
 * or undefined. A cycle needs a path from one of the parents back to `node` through known links.
 */
export function findCycle(
  links: ReadonlyMap<string, readonly string[]>,
  node: string,
  parents: readonly string[],
): string[] | undefined {
  if (parents.includes(node)) return [node];
  // Iterative DFS with a predecessor map, so the path can be read back without recursion depth.
  const from = new Map<string, string>();
  const stack = [...parents];
  for (const p of parents) from.set(p, node);
  while (stack.length > 0) {
    const at = stack.pop() as string;
    for (const next of links.get(at) ?? []) {
      if (next === node) {
        const path = [at];
        for (let x = from.get(at); x !== undefined && x !== node; x = from.get(x)) path.push(x);
        return [node, ...path.reverse()];
      }
      if (from.has(next)) continue;
      from.set(next, at);
      stack.push(next);
    }
  }
  return undefined;
}

/** Adds a packet's links, dropping the oldest beyond the bound. A known packet is not re-added. */
export function link(
  links: readonly Link[],
  node: string,
  parents: readonly string[],
  max: number,
): Link[] {
  if (links.some(([n]) => n === node)) return [...links];
  const next: Link[] = [...links, [node, [...parents]]];
  return next.length > max ? next.slice(next.length - max) : next;
}

/** The entities a message is about, for the report's `affected`: what Zenith should hold. */
function entities(payload: Record<string, unknown>, meta: MessageMeta): ConflictReport['affected'] {
  const out: ConflictReport['affected'] = [];
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v.slice(0, 256) : undefined);
  const result = payload.result as Record<string, unknown> | undefined;
  const video = str(payload.video_id) ?? str(result?.video_id);
  const clip = str(payload.clip_id);
  const job = str(payload.job_id) ?? str(payload.job_key);
  if (video) out.push({ type: 'video', id: video });
  if (clip) out.push({ type: 'clip', id: clip });
  if (job) out.push({ type: 'job', id: job });
  // The publisher is always known to the runtime; it is who produced the bad lineage.
  out.push({ type: 'worker', id: meta.actor ?? 'unknown' });
  return out;
}

export function cycleReport(
  cycle: readonly string[],
  payload: Record<string, unknown>,
  meta: MessageMeta,
): OpenConflict {
  const nodes = [...cycle];
  const report: ConflictReport = {
    report_id: reportId('circular_lineage', ...[...nodes].sort()),
    conflict: 'circular_lineage',
    severity: 'critical',
    action: 'quarantine',
    affected: entities(payload, meta),
    evidence: packets(...nodes),
    notes:
      `packet ${nodes[0]} closes a lineage cycle of ${nodes.length} packet${nodes.length === 1 ? '' : 's'} (${nodes.join(' → ')} → ${nodes[0]}): quarantine what derives from it`.slice(
        0,
        2000,
      ),
  };
  return { report, basis: { kind: 'lineage', nodes } };
}
