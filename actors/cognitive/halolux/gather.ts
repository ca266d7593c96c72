import type { StardustPacket } from '../../../protocols/index.ts';
import type { Ledger, LineageIndex, LineageNode } from '../../../runtime/index.ts';
import { isRec, type Rec } from './fields.ts';
import type { ExplainSubject, StoryNotes } from './narrate.ts';
import { type StoryNode, TraceIndex } from './trace-index.ts';

/** A story is cut here: an explanation is read by a person, and must answer in under 2 s. */
export const MAX_STORY_PACKETS = 500;

/** What gathering needs of a ledger (a `Ledger` is one). */
export type StoryLedger = Pick<Ledger, 'lineage' | 'store'>;

export interface GatherOptions {
  /** A following trace index to answer trace subjects; without one the stream is read once. */
  traces?: TraceIndex;
  max?: number;
}

/** Which packets make a subject's story, decided from the in-memory indexes alone. */
export interface StoryPlan {
  subject: ExplainSubject;
  /** The story's packets, in ledger order. */
  nodes: StoryNode[];
  /**
   * Commands next to a clip's story that may name the clip only inside their body
   * (EditOrder.job.clip_id, ScheduleOrder.task.clip_id): read, and kept if they do.
   */
  probes: StoryNode[];
  truncated: boolean;
  /** Changes whenever a packet joins the story: the cache's validity check. */
  version: string;
}

export interface Story {
  packets: StardustPacket[];
  notes: StoryNotes;
}

// Another clip's (or video's) packet met on a walk belongs to that clip's story, not this one.
function foreignTo(subject: ExplainSubject): (n: LineageNode) => boolean {
  if (subject.type !== 'clip' && subject.type !== 'video') return () => false;
  return (n) => {
    const ids = n.entities[subject.type];
    return ids !== undefined && ids.length > 0 && !ids.includes(subject.id);
  };
}

/**
 * At most `max` of a subject's own packets (ledger order): the first quarter, where the story
 * began, and the latest rest, where it stands now.
 */
function bounded<T>(list: readonly T[], max: number): T[] {
  if (list.length <= max) return [...list];
  const head = Math.floor(max / 4);
  return [...list.slice(0, head), ...list.slice(list.length - (max - head))];
}

function entityPlan(index: LineageIndex, subject: ExplainSubject, max: number) {
  const picked = new Map<string, StoryNode>();
  let truncated = false;
  const add = (n: LineageNode) => {
    if (picked.has(n.stardust_id)) return;
    if (picked.size >= max) truncated = true;
    else picked.set(n.stardust_id, { stardust_id: n.stardust_id, seq: n.seq });
  };
  const foreign = foreignTo(subject);
  const own = index.byEntity(subject.type, subject.id);
  const kept = bounded(own, max);
  for (const n of kept) add(n);
  if (kept.length < own.length) truncated = true;
  // One walk from every packet of the subject at once, nearest first, so a cut drops the
  // farthest history; it does not pass through another clip's packets into that clip's story.
  const walk = (next: (id: string) => LineageNode[]) => {
    const seen = new Set(own.map((n) => n.stardust_id));
    let frontier = [...seen];
    while (frontier.length > 0 && !truncated) {
      const level: LineageNode[] = [];
      for (const id of frontier) {
        for (const n of next(id)) {
          if (seen.has(n.stardust_id)) continue;
          seen.add(n.stardust_id);
          if (!foreign(n)) level.push(n);
        }
      }
      level.sort((a, b) => a.seq - b.seq);
      for (const n of level) add(n);
      frontier = level.map((n) => n.stardust_id);
    }
  };
  walk((id) => index.parents(id));
  // What came of a clip or a video is part of its story (a job's is the next job's).
  if (subject.type === 'clip' || subject.type === 'video') walk((id) => index.children(id));
  const probes = new Map<string, StoryNode>();
  if (subject.type === 'clip') {
    for (const { stardust_id } of [...picked.values()]) {
      for (const c of index.children(stardust_id)) {
        if (c.kind !== 'command' || picked.has(c.stardust_id) || foreign(c)) continue;
        if (probes.has(c.stardust_id)) continue;
        if (picked.size + probes.size >= max) truncated = true;
        else probes.set(c.stardust_id, { stardust_id: c.stardust_id, seq: c.seq });
      }
    }
  }
  return { nodes: [...picked.values()], probes: [...probes.values()], truncated };
}

async function tracePlan(ledger: StoryLedger, id: string, max: number, traces?: TraceIndex) {
  const index = traces ?? new TraceIndex(ledger.store);
  try {
    await index.sync();
    const all = index.lookup(id);
    return { nodes: bounded(all, max), probes: [], truncated: all.length > max };
  } finally {
    if (!traces) index.stop();
  }
}

/** Decides the story of a subject from the lineage (and trace) index, reading no packet. */
export async function planStory(
  ledger: StoryLedger,
  subject: ExplainSubject,
  o: GatherOptions = {},
): Promise<StoryPlan> {
  const max = o.max ?? MAX_STORY_PACKETS;
  const found =
    subject.type === 'trace'
      ? await tracePlan(ledger, subject.id, max, o.traces)
      : entityPlan(await ledger.lineage.sync(), subject, max);
  const nodes = [...found.nodes].sort((a, b) => a.seq - b.seq);
  const all = [...nodes, ...found.probes];
  const last = all.reduce((m, n) => Math.max(m, n.seq), 0);
  return {
    subject,
    nodes,
    probes: found.probes,
    truncated: found.truncated,
    version: `${all.length}/${last}/${found.truncated ? 'cut' : 'whole'}`,
  };
}

/** True when `b` (or an object inside it, one level down) has `clip_id` = `id`. */
function namesClip(b: Rec | undefined, id: string, depth = 2): boolean {
  if (!b) return false;
  if (b.clip_id === id) return true;
  return depth > 1 && Object.values(b).some((v) => isRec(v) && namesClip(v, id, depth - 1));
}

const READ_BATCH = 64;

/** Reads a planned story's packets from the stream, in batches, and keeps the probes that fit. */
export async function readStory(ledger: StoryLedger, plan: StoryPlan): Promise<Story> {
  const wanted = [...plan.nodes, ...plan.probes];
  const read: (StardustPacket | undefined)[] = [];
  for (let i = 0; i < wanted.length; i += READ_BATCH) {
    const batch = wanted.slice(i, i + READ_BATCH).map(async (n) => {
      const e = await ledger.store.bySeq(n.seq);
      return e?.parsed.ok && e.parsed.packet.stardust_id === n.stardust_id
        ? e.parsed.packet
        : undefined;
    });
    read.push(...(await Promise.all(batch)));
  }
  const packets: StardustPacket[] = [];
  const unreadable: string[] = [];
  wanted.forEach((n, i) => {
    const p = read[i];
    const probe = i >= plan.nodes.length;
    if (!p) {
      if (!probe) unreadable.push(n.stardust_id);
      return;
    }
    const body = (p.payload as Rec).body;
    if (probe && !namesClip(isRec(body) ? body : undefined, plan.subject.id)) return;
    packets.push(p);
  });
  return { packets, notes: { truncated: plan.truncated, unreadable } };
}
