import { createHash } from 'node:crypto';
import {
  type AnalysisReport,
  type ConflictReport,
  deriveMsgId,
  type ScheduleChange,
  type VideoAssetCreated,
} from '../../../protocols/index.ts';

/**
 * Paradox's findings as pure functions (spec §4.1): duplicate media, overlapping candidates,
 * double-booked slots. Each returns the ConflictReport to publish, with a report_id derived
 * from what conflicts, so a re-report after an audit or a redelivery is the same report.
 */

export interface ParadoxOptions {
  /** Period of the audit that re-reports conflicts nobody has resolved. */
  audit_ms: number;
  /** Ingested assets remembered for duplicate detection (oldest forgotten first). */
  max_media: number;
  /** Packets whose parent links are remembered for cycle detection. */
  max_links: number;
  /** Booked slots remembered (besides the day-old pruning). */
  max_bookings: number;
  /** Unresolved conflicts kept for re-reporting. */
  max_open: number;
}

export const DEFAULT_PARADOX: ParadoxOptions = {
  audit_ms: 3_600_000,
  max_media: 10_000,
  max_links: 5_000,
  max_bookings: 2_000,
  max_open: 500,
};

/**
 * One ingested asset as `[sha256, source key, video_id, stardust id or '']`. A tuple keeps the
 * snapshot small at 10,000 entries; the source item (up to 2 KiB) is kept as a hash.
 */
export type MediaEntry = [sha: string, source: string, video: string, packet: string];

/** A booked slot: `[channel, slot as ISO, stardust id or '']`, per clip. */
export type Booking = [channel: string, slot: string, packet: string];

/** What an open conflict rests on, so the audit can tell whether it still holds. */
export type Basis =
  | { kind: 'media'; videos: [string, string] }
  | { kind: 'schedule'; clips: [string, string]; channel: string; slot: string }
  | { kind: 'lineage'; nodes: string[] };

export type OpenConflict = { report: ConflictReport; basis: Basis };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Only uuid-shaped packet ids are evidence (the contract's format); '' means unrecorded. */
export const packets = (...ids: (string | undefined)[]): string[] => [
  ...new Set(ids.filter((x): x is string => typeof x === 'string' && UUID.test(x))),
];

/** Same conflict, same id: the kind and the sorted parts it is about, hashed to a v4 shape. */
export function reportId(conflict: ConflictReport['conflict'], ...parts: string[]): string {
  return deriveMsgId(`paradox|${conflict}|${parts.join('|')}`, 0);
}

/** The sha256 inside a `media://<site>/sha256/<hex>` URI (the contract's pattern guarantees it). */
export function mediaSha(uri: string): string {
  return /\/sha256\/([0-9a-f]{64})$/.exec(uri)?.[1] ?? uri;
}

export function sourceKey(sourceItem: string): string {
  return createHash('sha256').update(sourceItem).digest('hex').slice(0, 32);
}

// ---- duplicate media -----------------------------------------------------------------------

export type Duplicate = { first: MediaEntry; by: 'media' | 'source' };

/**
 * The earliest remembered asset that is the same media or the same platform post under another
 * video_id. The same video_id announced again is a repeat of one asset, not a duplicate.
 */
export function findDuplicate(
  media: readonly MediaEntry[],
  asset: { sha: string; source: string; video: string },
): Duplicate | undefined {
  for (const e of media) {
    if (e[2] === asset.video) return undefined;
  }
  for (const e of media) {
    if (e[0] === asset.sha) return { first: e, by: 'media' };
    if (e[1] === asset.source) return { first: e, by: 'source' };
  }
  return undefined;
}

export function duplicateReport(
  d: Duplicate,
  asset: VideoAssetCreated,
  packet: string | undefined,
): OpenConflict {
  const [sha, , kept, keptPacket] = d.first;
  const what =
    d.by === 'media'
      ? `the same media (sha256 ${sha.slice(0, 16)}…)`
      : `the same platform post (${asset.source_item.slice(0, 200)})`;
  const report: ConflictReport = {
    report_id: reportId('duplicate_media', kept, asset.video_id),
    conflict: 'duplicate_media',
    severity: 'high',
    action: 'block',
    // The one to block first; the original is named so the pair can be traced.
    affected: [
      { type: 'video', id: asset.video_id },
      { type: 'video', id: kept },
    ],
    evidence: packets(keptPacket, packet),
    notes: `video ${asset.video_id} is ${what} as video ${kept}, ingested earlier: keep ${kept}, block ${asset.video_id}`,
  };
  return { report, basis: { kind: 'media', videos: [kept, asset.video_id] } };
}

/** Appends an asset, forgetting the oldest beyond the bound. */
export function rememberMedia(media: readonly MediaEntry[], e: MediaEntry, max: number) {
  const next = [...media, e];
  return next.length > max ? next.slice(next.length - max) : next;
}

// ---- overlapping candidates ----------------------------------------------------------------

/**
 * Pairs of candidates of one analysis overlapping more than half of the shorter one. Advice
 * only (`ignore`): keeping both renders the same moment twice; the better one is named.
 */
export function overlapReports(a: AnalysisReport, packet: string | undefined): ConflictReport[] {
  const cs = a.result.clip_candidates;
  const out: ConflictReport[] = [];
  for (let i = 0; i < cs.length; i++) {
    for (let j = i + 1; j < cs.length; j++) {
      const x = cs[i];
      const y = cs[j];
      if (!x || !y) continue;
      const overlap = Math.min(x.end_time, y.end_time) - Math.max(x.start_time, y.start_time);
      const shorter = Math.min(x.end_time - x.start_time, y.end_time - y.start_time);
      if (overlap <= 0 || shorter <= 0 || overlap / shorter <= 0.5) continue;
      // Higher confidence wins; on a tie the earlier candidate, so the advice is deterministic.
      const [keep, drop] = y.confidence > x.confidence ? [j, i] : [i, j];
      const span = (k: number) => {
        const c = cs[k] as (typeof cs)[number];
        return `${k} (${c.start_time}–${c.end_time} s, confidence ${c.confidence})`;
      };
      out.push({
        report_id: reportId('overlapping_candidates', a.job_id, String(i), String(j)),
        conflict: 'overlapping_candidates',
        severity: 'low',
        action: 'ignore',
        affected: [
          { type: 'video', id: a.result.video_id },
          { type: 'job', id: a.job_id },
          ...[x.clip_id, y.clip_id]
            .filter((c): c is string => !!c)
            .map((id) => ({ type: 'clip' as const, id })),
        ],
        evidence: packets(packet),
        notes: `candidates ${span(i)} and ${span(j)} overlap ${Math.round((overlap / shorter) * 100)} % of the shorter: keep candidate ${keep}, drop ${drop}`,
      });
    }
  }
  return out;
}

// ---- conflicting schedules -----------------------------------------------------------------

const DAY_MS = 86_400_000;

/**
 * Applies a schedule change to the bookings: a slot is (re)booked, a skip frees it. Bookings a
 * day in the past are dropped, and the earliest beyond the bound.
 */
export function applyChange(
  bookings: Readonly<Record<string, Booking>>,
  s: ScheduleChange,
  packet: string | undefined,
  now: number,
  max: number,
): Record<string, Booking> {
  const next: Record<string, Booking> = {};
  for (const [clip, b] of Object.entries(bookings)) {
    if (clip !== s.clip_id && Date.parse(b[1]) >= now - DAY_MS) next[clip] = b;
  }
  if (s.change !== 'skipped' && s.slot) {
    next[s.clip_id] = [s.channel, new Date(Date.parse(s.slot)).toISOString(), packet ?? ''];
  }
  const entries = Object.entries(next);
  if (entries.length <= max) return next;
  entries.sort((a, b) => a[1][1].localeCompare(b[1][1]));
  return Object.fromEntries(entries.slice(entries.length - max));
}

/** Other clips booked on the same channel at the same instant as `clip`. */
export function doubleBookings(
  bookings: Readonly<Record<string, Booking>>,
  clip: string,
): OpenConflict[] {
  const mine = bookings[clip];
  if (!mine) return [];
  const [channel, slot, packet] = mine;
  return Object.entries(bookings)
    .filter(([other, b]) => other !== clip && b[0] === channel && b[1] === slot)
    .map(([other, b]) => {
      const clips = [other, clip].sort() as [string, string];
      return {
        report: {
          report_id: reportId('conflicting_schedule', channel, slot, ...clips),
          conflict: 'conflicting_schedule',
          severity: 'high',
          action: 'block',
          affected: [
            { type: 'clip', id: clip },
            { type: 'clip', id: other },
            { type: 'schedule', id: `${channel}@${slot}` },
          ],
          evidence: packets(b[2], packet),
          notes: `clips ${other} and ${clip} are both booked on ${channel} at ${slot}: keep ${other} (booked first), move ${clip}`,
        },
        basis: { kind: 'schedule', clips, channel, slot },
      };
    });
}

/** Whether what an open conflict rests on is still true of the remembered state. */
export function stillHolds(
  basis: Basis,
  state: {
    media: readonly MediaEntry[];
    bookings: Readonly<Record<string, Booking>>;
    links: ReadonlyMap<string, readonly string[]>;
  },
): boolean {
  switch (basis.kind) {
    case 'media':
      return basis.videos.every((v) => state.media.some((e) => e[2] === v));
    case 'schedule':
      return basis.clips.every((c) => {
        const b = state.bookings[c];
        return b !== undefined && b[0] === basis.channel && b[1] === basis.slot;
      });
    case 'lineage':
      return basis.nodes.every((n) => state.links.has(n));
  }
}

/** Adds (or refreshes) an open conflict, keeping the newest `max`. */
export function remember(open: readonly OpenConflict[], c: OpenConflict, max: number) {
  const next = [...open.filter((o) => o.report.report_id !== c.report.report_id), c];
  return next.length > max ? next.slice(next.length - max) : next;
}
