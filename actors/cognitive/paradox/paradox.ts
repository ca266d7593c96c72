import { enqueueActions, setup } from 'xstate';
import { type ConflictReport, subjects } from '../../../protocols/index.ts';
import {
  defineActorKind,
  type MessageEvent,
  type MessageMeta,
  type RuntimeEmit,
  STREAMS,
} from '../../../runtime/index.ts';
import {
  applyChange,
  type Booking,
  DEFAULT_PARADOX,
  doubleBookings,
  duplicateReport,
  findDuplicate,
  type MediaEntry,
  mediaSha,
  type OpenConflict,
  overlapReports,
  type ParadoxOptions,
  remember,
  rememberMedia,
  sourceKey,
  stillHolds,
} from './conflicts.ts';
import { cycleReport, findCycle, type Link, link } from './lineage.ts';

/**
 * Paradox (spec §4.1): finds duplicates, overlaps, double bookings and lineage cycles before
 * work is wasted on them, and advises on adv.paradox.conflict. It never acts; Zenith decides.
 * Conflicts that need a decision (block, quarantine) stay open and are re-reported by the
 * hourly audit, under the same report_id, until Zenith names them in an arbitration or what
 * they rest on is gone.
 */
export type ParadoxContext = {
  media: MediaEntry[];
  bookings: Record<string, Booking>;
  links: Link[];
  open: OpenConflict[];
  /** Deadline of the armed audit timer; 0 before the first message. */
  audit_at: number;
};

type Events =
  | MessageEvent<'VideoAssetCreated'>
  | MessageEvent<'AnalysisReport'>
  | MessageEvent<'ScheduleChange'>
  | MessageEvent<'Arbitration'>
  | { type: 'audit'; now: number };

type Enqueue = {
  emit: (e: RuntimeEmit) => void;
  assign: (c: Partial<ParadoxContext>) => void;
};

const publish = (report: ConflictReport): RuntimeEmit => ({
  type: 'omniva.publish',
  channel: 'adv',
  name: 'conflict',
  contract: 'ConflictReport',
  payload: report,
  // The report derives from the packets it cites, so HaloLux can walk from it to its causes.
  parents: report.evidence,
});

const linkMap = (links: readonly Link[]) => new Map(links.map(([n, p]) => [n, p] as const));

export function paradoxMachine(opts: Partial<ParadoxOptions> = {}) {
  const o: ParadoxOptions = { ...DEFAULT_PARADOX, ...opts };

  /** What every message does first: its lineage is checked and the audit is armed. */
  function observe(
    context: ParadoxContext,
    payload: Record<string, unknown>,
    meta: MessageMeta,
    now: number,
    enqueue: Enqueue,
  ): ParadoxContext {
    let next = context;
    if (next.audit_at === 0) {
      next = { ...next, audit_at: now + o.audit_ms };
      enqueue.emit({
        type: 'omniva.timer.set',
        id: 'audit',
        at: next.audit_at,
        event: { type: 'audit' },
      });
    }
    const node = meta.stardust_id;
    if (!node || next.links.some(([n]) => n === node)) return next;
    const cycle = findCycle(linkMap(next.links), node, meta._meta_parents);
    next = { ...next, links: link(next.links, node, meta._meta_parents, o.max_links) };
    if (cycle) {
      const c = cycleReport(cycle, payload, meta);
      next = { ...next, open: remember(next.open, c, o.max_open) };
      enqueue.emit(publish(c.report));
    }
    return next;
  }

  return setup({
    types: {} as { context: ParadoxContext; events: Events; emitted: RuntimeEmit },
  }).createMachine({
    id: 'paradox',
    context: { media: [], bookings: {}, links: [], open: [], audit_at: 0 },
    on: {
      VideoAssetCreated: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const a = event.payload;
          let ctx = observe(context, a, event.meta, event.now, enqueue);
          const entry: MediaEntry = [
            mediaSha(a.media_uri),
            sourceKey(a.source_item),
            a.video_id,
            event.meta.stardust_id ?? '',
          ];
          if (!ctx.media.some((e) => e[2] === a.video_id)) {
            const dup = findDuplicate(ctx.media, {
              sha: entry[0],
              source: entry[1],
              video: entry[2],
            });
            ctx = { ...ctx, media: rememberMedia(ctx.media, entry, o.max_media) };
            if (dup) {
              const c = duplicateReport(dup, a, event.meta.stardust_id);
              ctx = { ...ctx, open: remember(ctx.open, c, o.max_open) };
              enqueue.emit(publish(c.report));
            }
          }
          enqueue.assign(ctx);
        }),
      },
      AnalysisReport: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const ctx = observe(context, event.payload, event.meta, event.now, enqueue);
          // Advice to ignore needs no decision, so it is not kept for the audit.
          for (const r of overlapReports(event.payload, event.meta.stardust_id)) {
            enqueue.emit(publish(r));
          }
          enqueue.assign(ctx);
        }),
      },
      ScheduleChange: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const s = event.payload;
          let ctx = observe(context, s, event.meta, event.now, enqueue);
          const bookings = applyChange(
            ctx.bookings,
            s,
            event.meta.stardust_id,
            event.now,
            o.max_bookings,
          );
          // A move or a skip may have resolved an open double booking: drop those at once.
          const links = linkMap(ctx.links);
          let open = ctx.open.filter((c) =>
            stillHolds(c.basis, { media: ctx.media, bookings, links }),
          );
          for (const c of doubleBookings(bookings, s.clip_id)) {
            open = remember(open, c, o.max_open);
            enqueue.emit(publish(c.report));
          }
          ctx = { ...ctx, bookings, open };
          enqueue.assign(ctx);
        }),
      },
      Arbitration: {
        // Zenith has decided on the reports it names: they are no longer Paradox's to repeat.
        actions: enqueueActions(({ context, event, enqueue }) => {
          const a = event.payload;
          const ctx = observe(context, a, event.meta, event.now, enqueue);
          const named = new Set(
            [...a.accepted, ...a.rejected].filter((x) => x.module === 'paradox').map((x) => x.ref),
          );
          const open = ctx.open.filter((c) => !named.has(c.report.report_id));
          enqueue.assign(open.length === ctx.open.length ? ctx : { ...ctx, open });
        }),
      },
      audit: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const links = linkMap(context.links);
          const state = { media: context.media, bookings: context.bookings, links };
          const open = context.open.filter((c) => stillHolds(c.basis, state));
          for (const c of open) enqueue.emit(publish(c.report));
          const audit_at = event.now + o.audit_ms;
          enqueue.emit({
            type: 'omniva.timer.set',
            id: 'audit',
            at: audit_at,
            event: { type: 'audit' },
          });
          enqueue.assign({ open, audit_at });
        }),
      },
    },
  });
}

/**
 * Paradox reads new assets, analyses and schedule changes from the event stream, and Zenith's
 * arbitrations to learn which conflicts were decided. One instance: duplicates are site-wide.
 */
export function paradoxKind(opts: Partial<ParadoxOptions> = {}) {
  return defineActorKind({
    name: 'paradox',
    version: 1,
    machine: paradoxMachine(opts),
    accepts: ['VideoAssetCreated', 'AnalysisReport', 'ScheduleChange', 'Arbitration'],
    key: () => 'main',
    work: {
      stream: STREAMS.evt,
      filter: (site) => [
        subjects.evtAny(site, 'video_asset_created'),
        subjects.evtAny(site, 'analysis_ready'),
        subjects.evtAny(site, 'scheduled'),
        subjects.evtAny(site, 'rescheduled'),
        subjects.evtAny(site, 'skipped'),
        subjects.adv(site, 'zenith', 'arbitration'),
      ],
    },
  });
}
