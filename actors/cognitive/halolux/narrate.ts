import type { ExplainRequest, Explanation, StardustPacket } from '../../../protocols/index.ts';
import { alternativesOf } from './alternatives.ts';
import { isFinalStatus } from './control-statements.ts';
import { capital, type PacketView, rec, str, viewOf } from './fields.ts';
import { type Built, buildStep, stepOf } from './statements.ts';

/**
 * HaloLux's narrator (spec §4.8), pure: the packets of one story in, an Explanation out. It
 * never states what no packet supports — each chain step is one packet's statement citing
 * that packet, the narrative is built from those statements only, and what the story lacks
 * is listed as missing rather than filled in.
 */

export type ExplainSubject = ExplainRequest['subject'];

/** What the gatherer knows about the story beyond its packets. */
export interface StoryNotes {
  /** The story was cut at the gatherer's bound. */
  truncated?: boolean;
  /** Packets the index names but whose stored message could not be read as a packet. */
  unreadable?: readonly string[];
}

interface Stage {
  name: string;
  orders: readonly string[];
  outcomes: readonly string[];
}

/** A clip's life, in order; a stage is present once one of its outcomes is recorded. */
export const STAGES: readonly Stage[] = [
  { name: 'ingest', orders: ['ScraperJob'], outcomes: ['VideoAssetCreated', 'MediaCaptured'] },
  { name: 'analysis', orders: ['AnalyzeJob'], outcomes: ['AnalysisReport'] },
  { name: 'vote', orders: [], outcomes: ['VoteReport'] },
  { name: 'promotion', orders: [], outcomes: ['ClipPromotion'] },
  { name: 'edit', orders: ['EditOrder'], outcomes: ['ClipRendered'] },
  { name: 'metadata', orders: [], outcomes: ['ChorusPackage'] },
  { name: 'schedule', orders: ['ScheduleOrder'], outcomes: ['ScheduleChange'] },
  { name: 'publish', orders: ['PublishOrder'], outcomes: ['PublishReceipt'] },
];

const VIDEO_STAGES = new Set(['ingest', 'analysis', 'vote', 'promotion']);
const NARRATIVE_MAX = 8_000;

const time = (p: StardustPacket) => {
  const t = Date.parse(p.recorded_at);
  return Number.isNaN(t) ? 0 : t;
};

function before(a: StardustPacket, b: StardustPacket): number {
  return time(a) - time(b) || (a.stardust_id < b.stardust_id ? -1 : 1);
}

/**
 * Parents before children (the lineage), and otherwise by recording time then id: the same
 * packets in any input order give the same story.
 */
export function orderStory(packets: readonly StardustPacket[]): StardustPacket[] {
  const byId = new Map<string, StardustPacket>();
  for (const p of packets) if (!byId.has(p.stardust_id)) byId.set(p.stardust_id, p);
  const waiting = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const p of byId.values()) {
    const parents = p._meta_parents.filter((id) => byId.has(id) && id !== p.stardust_id);
    waiting.set(p.stardust_id, new Set(parents).size);
    for (const parent of new Set(parents)) {
      children.set(parent, [...(children.get(parent) ?? []), p.stardust_id]);
    }
  }
  const ready = [...byId.values()].filter((p) => waiting.get(p.stardust_id) === 0);
  const out: StardustPacket[] = [];
  while (ready.length > 0) {
    ready.sort(before);
    const next = ready.shift() as StardustPacket;
    out.push(next);
    for (const c of children.get(next.stardust_id) ?? []) {
      const left = (waiting.get(c) ?? 1) - 1;
      waiting.set(c, left);
      if (left === 0) ready.push(byId.get(c) as StardustPacket);
    }
  }
  // Content addressing rules out cycles; a forged one still gets told, after the rest.
  if (out.length < byId.size) {
    const placed = new Set(out.map((p) => p.stardust_id));
    out.push(...[...byId.values()].filter((p) => !placed.has(p.stardust_id)).sort(before));
  }
  return out;
}

interface StageCheck {
  expected: string[];
  present: Set<string>;
  missing: string[];
}

function checkStages(subject: ExplainSubject, views: readonly PacketView[]): StageCheck {
  const types = new Set(views.map((v) => v.type).filter((t) => t !== undefined));
  const has = (list: readonly string[]) => list.some((t) => types.has(t));
  const touched = (s: Stage) => has(s.orders) || has(s.outcomes);
  const stages =
    subject.type === 'clip'
      ? STAGES
      : subject.type === 'video'
        ? STAGES.filter((s) => VIDEO_STAGES.has(s.name))
        : STAGES.filter(touched);
  const present = new Set<string>();
  const missing: string[] = [];
  for (const s of stages) {
    if (has(s.outcomes)) present.add(s.name);
    else if (has(s.orders)) {
      const ordered = s.orders.filter((t) => types.has(t)).join(', ');
      missing.push(`${s.name}: ${ordered} recorded, no ${s.outcomes.join(' or ')} yet`);
    } else missing.push(`${s.name}: no ${[...s.orders, ...s.outcomes].join(' or ')} recorded`);
  }
  const expected = stages.map((s) => s.name);
  // A job or trace outside the clip pipeline: was it ordered, and did it end?
  if (stages.length === 0 && subject.type !== 'clip' && subject.type !== 'video') {
    expected.push('order', 'outcome');
    const ordered = views.some((v) => v.packet.kind === 'command' || v.type === 'WorkRequest');
    const ended = views.some(
      (v) =>
        (v.type === 'WorkerStatus' && isFinalStatus(str(v.body, 'status'))) ||
        (v.packet.kind === 'event' && v.type !== 'WorkerStatus'),
    );
    if (ordered) present.add('order');
    else missing.push('order: no command or WorkRequest recorded');
    if (ended) present.add('outcome');
    else missing.push('outcome: no result event or final WorkerStatus recorded');
  }
  return { expected, present, missing };
}

const STAGE_OF = new Map<string, { stage: string; outcome: boolean }>();
for (const s of STAGES) {
  for (const t of s.orders) STAGE_OF.set(t, { stage: s.name, outcome: false });
  for (const t of s.outcomes) STAGE_OF.set(t, { stage: s.name, outcome: true });
}

/** The clip a pipeline packet is about: its entity, or the clip its command body names. */
function clipOf(v: PacketView): string {
  return (
    v.packet.entities.clip?.[0] ??
    str(rec(v.body, 'job'), 'clip_id') ??
    str(rec(v.body, 'task'), 'clip_id') ??
    ''
  );
}

/**
 * Which steps the narrative tells, to keep it short: of each pipeline stage (per clip, when a
 * video has several) only its latest outcome, or its orders while no outcome exists; every
 * other step but progress reports.
 */
function narrated(views: readonly PacketView[], steps: readonly Built[]): Built[] {
  const stageKey = (v: PacketView | undefined) => {
    const at = v?.type ? STAGE_OF.get(v.type) : undefined;
    return at && v ? { key: `${at.stage}|${clipOf(v)}`, outcome: at.outcome } : undefined;
  };
  const lastOutcome = new Map<string, number>();
  views.forEach((v, i) => {
    const at = stageKey(v);
    if (at?.outcome) lastOutcome.set(at.key, i);
  });
  return steps.filter((s, i) => {
    const at = stageKey(views[i]);
    if (!at) return s.narrate;
    const last = lastOutcome.get(at.key);
    return last === undefined ? !at.outcome : last === i;
  });
}

function narrativeOf(subject: ExplainSubject, views: readonly PacketView[], steps: Built[]) {
  const told = narrated(views, steps).map((s) => s.statement.replace(/\.$/, ''));
  if (told.length === 0) {
    return steps.length === 0
      ? `No Stardust packet names ${subject.type} ${subject.id}.`
      : `${capital(steps[0]?.statement ?? '')}.`;
  }
  let text = '';
  for (const [i, s] of told.entries()) {
    const sentence = i === 0 ? `${capital(s)}.` : ` Then ${s}.`;
    if (text.length + sentence.length > NARRATIVE_MAX) {
      return `${text} (${told.length - i} more steps are in the chain.)`;
    }
    text += sentence;
  }
  return text;
}

/**
 * Explains one subject from the packets of its story. `asOf`, when given, is the instant the
 * explanation speaks for: packets recorded after it are left out, so an audit can ask what
 * was known then. Same subject, packets and `asOf` → the same Explanation.
 */
export function explain(
  subject: ExplainSubject,
  packets: readonly StardustPacket[],
  asOf?: Date,
  notes: StoryNotes = {},
): Explanation {
  const cutoff = asOf?.getTime();
  const known = cutoff === undefined ? packets : packets.filter((p) => time(p) <= cutoff);
  const views = orderStory(known).map(viewOf);
  const steps = views.map(buildStep);
  const stages = checkStages(subject, views);
  const missing =
    views.length === 0 ? [`no Stardust packet names ${subject.type} ${subject.id}`] : [];
  missing.push(...stages.missing);
  views.forEach((v, i) => {
    if (!stepOf(v.type) || steps[i]?.fromBody) return;
    const why = v.body
      ? 'has a body without the fields its statement needs'
      : 'carries no body (kept in its own stream when over 4 KB)';
    missing.push(
      `${steps[i]?.step}: ${v.type} ${v.packet.stardust_id} ${why}, so only its type and entities are stated`,
    );
  });
  for (const id of notes.unreadable ?? []) {
    missing.push(`packet ${id} is in the lineage but could not be read as a packet`);
  }
  if (notes.truncated) {
    missing.push(`the story was cut at ${packets.length} packets; more of its lineage exists`);
  }
  const expected = stages.expected.length;
  const completeness =
    views.length === 0 || expected === 0
      ? 0
      : Math.round((stages.present.size / expected) * 1000) / 1000;
  return {
    subject: { type: subject.type, id: subject.id },
    trace_ids: [...new Set(views.map((v) => v.packet.trace_id))].sort(),
    narrative: narrativeOf(subject, views, steps),
    chain: steps.map((s, i) => ({
      step: s.step,
      statement: s.statement,
      stardust_ids: [views[i]?.packet.stardust_id as string],
    })),
    alternatives: alternativesOf(views),
    completeness,
    missing,
    cached: false,
  };
}
