import { enqueueActions, setup } from 'xstate';
import { type LatticeHints, subjects } from '../../../protocols/index.ts';
import {
  defineActorKind,
  type MessageEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../../runtime/index.ts';
import {
  applyStatus,
  candidateHints,
  depths,
  type InFlight,
  type LatticeOptions,
  overBound,
  pruneStale,
  resolveLattice,
  routingHints,
} from './priorities.ts';

/**
 * Lattice (spec §4.4): priority deltas for new candidates and routing hints from queue depths,
 * published on adv.lattice.priorities with a `routing_sequence` that only grows, so Zenith can
 * drop a hint older than one it has already applied. It advises; Zenith places the work.
 */
export type LatticeContext = {
  /** The last routing_sequence published (0: none yet). Persisted, so it survives restarts. */
  seq: number;
  /** Promoted clips per topic (from ClipPromotion). */
  promoted: Record<string, number>;
  /** Clip ids already counted, newest last, so a repeated promotion is not counted twice. */
  counted: string[];
  /** Horizon's latest topic weights. */
  horizon: Record<string, number>;
  inflight: InFlight;
  /** Workers currently advised to get no new work. */
  held: string[];
  /** Deadline of the armed recalibration timer; 0 before the first message. */
  recal_at: number;
};

type Events =
  | MessageEvent<'AnalysisReport'>
  | MessageEvent<'WorkerStatus'>
  | MessageEvent<'ClipPromotion'>
  | MessageEvent<'HorizonGuidance'>
  | { type: 'recalibrate'; now: number };

type Enqueue = { emit: (e: RuntimeEmit) => void };

const MAX_COUNTED = 1_000;

export function latticeMachine(opts: Partial<LatticeOptions> = {}) {
  const o = resolveLattice(opts);

  /** Publishes one LatticeHints with the next sequence number; returns that number. */
  function publish(
    ctx: LatticeContext,
    enqueue: Enqueue,
    body: Omit<LatticeHints, 'routing_sequence' | 'routing' | 'queue_depth'>,
    parents: string[],
  ): number {
    const seq = ctx.seq + 1;
    const depth = depths(ctx.inflight);
    enqueue.emit({
      type: 'omniva.publish',
      channel: 'adv',
      name: 'priorities',
      contract: 'LatticeHints',
      payload: {
        routing_sequence: seq,
        ...body,
        routing: routingHints(depth, ctx.held, o.max_queue_depth),
        queue_depth: depth,
      } satisfies LatticeHints,
      parents,
    });
    return seq;
  }

  /** Every message arms the recalibration once; the timer then re-arms itself. */
  function arm(ctx: LatticeContext, now: number, enqueue: Enqueue): LatticeContext {
    if (ctx.recal_at !== 0) return ctx;
    const recal_at = now + o.recalibrate_ms;
    enqueue.emit({
      type: 'omniva.timer.set',
      id: 'recalibrate',
      at: recal_at,
      event: { type: 'recalibrate' },
    });
    return { ...ctx, recal_at };
  }

  const parentsOf = (id: string | undefined) => (id ? [id] : []);

  return setup({
    types: {} as { context: LatticeContext; events: Events; emitted: RuntimeEmit },
  }).createMachine({
    id: 'lattice',
    context: {
      seq: 0,
      promoted: {},
      counted: [],
      horizon: {},
      inflight: {},
      held: [],
      recal_at: 0,
    },
    on: {
      AnalysisReport: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const ctx = arm(context, event.now, enqueue);
          const a = event.payload;
          const candidates = candidateHints(o, ctx.promoted, ctx.horizon, a);
          if (candidates.length === 0) {
            enqueue.assign(ctx);
            return;
          }
          const boosted = candidates.filter((c) => c.priority_delta > 0).length;
          const dampened = candidates.filter((c) => c.priority_delta < 0).length;
          const seq = publish(
            ctx,
            enqueue,
            {
              video_id: a.result.video_id,
              candidates,
              reason: `${candidates.length} new candidates of video ${a.result.video_id}: ${boosted} boosted, ${dampened} dampened by the topic mix`,
            },
            parentsOf(event.meta.stardust_id),
          );
          enqueue.assign({ ...ctx, seq });
        }),
      },
      WorkerStatus: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          let ctx = arm(context, event.now, enqueue);
          const s = event.payload;
          const inflight = applyStatus(ctx.inflight, s, event.now);
          const depth = depths(inflight)[s.worker] ?? 0;
          const over = depth >= o.max_queue_depth;
          const wasHeld = ctx.held.includes(s.worker);
          ctx = { ...ctx, inflight };
          if (over !== wasHeld) {
            // A backlog crossing, either way: say so now rather than at the next recalibration.
            const held = over
              ? [...ctx.held, s.worker].sort()
              : ctx.held.filter((w) => w !== s.worker);
            ctx = { ...ctx, held };
            const reason = over
              ? `backlog crossing: ${s.worker} at ${depth} jobs in flight (bound ${o.max_queue_depth}): hold new work`
              : `backlog cleared: ${s.worker} down to ${depth} jobs in flight (bound ${o.max_queue_depth}): accept work again`;
            const seq = publish(
              ctx,
              enqueue,
              { candidates: [], reason },
              parentsOf(event.meta.stardust_id),
            );
            ctx = { ...ctx, seq };
          }
          enqueue.assign(ctx);
        }),
      },
      ClipPromotion: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const ctx = arm(context, event.now, enqueue);
          const p = event.payload;
          if (ctx.counted.includes(p.clip_id)) {
            enqueue.assign(ctx);
            return;
          }
          const topic = (p.topic ?? p.keywords[0] ?? 'general').slice(0, 100);
          enqueue.assign({
            ...ctx,
            promoted: { ...ctx.promoted, [topic]: (ctx.promoted[topic] ?? 0) + 1 },
            counted: [...ctx.counted, p.clip_id].slice(-MAX_COUNTED),
          });
        }),
      },
      HorizonGuidance: {
        // Only the latest guidance counts: it is Horizon's current view, not a history.
        actions: enqueueActions(({ context, event, enqueue }) => {
          const ctx = arm(context, event.now, enqueue);
          enqueue.assign({ ...ctx, horizon: { ...event.payload.topic_weights } });
        }),
      },
      recalibrate: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const { inflight, dropped } = pruneStale(context.inflight, event.now, o.stale_ms);
          const held = overBound(depths(inflight), o.max_queue_depth);
          let ctx: LatticeContext = { ...context, inflight, held };
          const stale = dropped > 0 ? `; ${dropped} jobs silent for ${o.stale_ms} ms dropped` : '';
          const seq = publish(
            ctx,
            enqueue,
            {
              candidates: [],
              reason: `recalibration: ${Object.keys(inflight).length} workers, ${held.length} held${stale}`,
            },
            [],
          );
          const recal_at = event.now + o.recalibrate_ms;
          enqueue.emit({
            type: 'omniva.timer.set',
            id: 'recalibrate',
            at: recal_at,
            event: { type: 'recalibrate' },
          });
          ctx = { ...ctx, seq, recal_at };
          enqueue.assign(ctx);
        }),
      },
    },
  });
}

/** Lattice reads analyses, every worker's status, promotions and Horizon's guidance. */
export function latticeKind(opts: Partial<LatticeOptions> = {}) {
  return defineActorKind({
    name: 'lattice',
    version: 1,
    machine: latticeMachine(opts),
    accepts: ['AnalysisReport', 'WorkerStatus', 'ClipPromotion', 'HorizonGuidance'],
    // One instance: routing_sequence is monotonic per site, so one counter must issue it.
    key: () => 'main',
    work: {
      stream: STREAMS.evt,
      filter: (site) => [
        subjects.evtAny(site, 'analysis_ready'),
        subjects.evtAny(site, 'status'),
        subjects.adv(site, 'zenith', 'promotion'),
        subjects.adv(site, 'horizon', 'guidance'),
      ],
    },
  });
}
