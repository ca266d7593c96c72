import { enqueueActions, setup } from 'xstate';
import { deriveMsgId, subjects } from '../../../protocols/index.ts';
import {
  defineActorKind,
  type MessageEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../../runtime/index.ts';
import { type HorizonOptions, resolveHorizon } from './goals.ts';
import { buildGuidance, isOffWindow, type OffWindow, slotWeights } from './guidance.ts';

/**
 * Horizon (spec §4.5): holds the campaign's goals against what is actually promoted and
 * booked, and publishes guidance on adv.horizon.guidance after every promotion and schedule
 * change, and daily. Every guidance is tagged with its goal window so Zenith can scope it.
 */
export type HorizonContext = {
  /** The goal window the counts below belong to ('' before the first message). */
  window: string;
  promoted: Record<string, number>;
  /** `[clip, topic]` of promoted clips, newest last: dedupe and topic lookup. */
  clips: [string, string][];
  /** Bookings outside every good window, until moved, skipped or past. */
  off: OffWindow[];
  /** Deadline of the armed daily timer; 0 before the first message. */
  daily_at: number;
};

type Events =
  | MessageEvent<'ClipPromotion'>
  | MessageEvent<'ScheduleChange'>
  | { type: 'daily'; now: number };

type Enqueue = { emit: (e: RuntimeEmit) => void };

const MAX_CLIPS = 1_000;
const MAX_OFF = 20;

export function horizonMachine(
  input: Pick<HorizonOptions, 'goals'> & Partial<Omit<HorizonOptions, 'goals'>>,
) {
  const o = resolveHorizon(input);
  const slots = slotWeights(o.goals);

  /**
   * Counts belong to one goal window: a new window (a major goal update) starts afresh. A
   * booking whose slot has passed can no longer be shifted, so it is forgotten.
   */
  const refresh = (ctx: HorizonContext, now: number): HorizonContext => ({
    ...ctx,
    ...(ctx.window === o.goals.goal_window
      ? {}
      : { window: o.goals.goal_window, promoted: {}, clips: [] }),
    off: ctx.off.filter(([, , slot]) => Date.parse(slot) > now),
  });

  /** What every message does first: the refresh, and the daily timer armed once. */
  function begin(context: HorizonContext, now: number, enqueue: Enqueue): HorizonContext {
    let ctx = refresh(context, now);
    if (ctx.daily_at === 0) {
      ctx = { ...ctx, daily_at: now + o.daily_ms };
      enqueue.emit({
        type: 'omniva.timer.set',
        id: 'daily',
        at: ctx.daily_at,
        event: { type: 'daily' },
      });
    }
    return ctx;
  }

  function publish(
    ctx: HorizonContext,
    now: number,
    id: string,
    cause: string[],
    enqueue: Enqueue,
  ) {
    const { guidance, packets } = buildGuidance(o, ctx, now, id);
    enqueue.emit({
      type: 'omniva.publish',
      channel: 'adv',
      name: 'guidance',
      contract: 'HorizonGuidance',
      payload: guidance,
      // The message that moved the numbers, and the bookings the warnings name.
      parents: [...new Set([...cause, ...packets])],
    });
  }

  const parentsOf = (id: string | undefined) => (id ? [id] : []);

  return setup({
    types: {} as { context: HorizonContext; events: Events; emitted: RuntimeEmit },
  }).createMachine({
    id: 'horizon',
    context: { window: '', promoted: {}, clips: [], off: [], daily_at: 0 },
    on: {
      ClipPromotion: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          let ctx = begin(context, event.now, enqueue);
          const p = event.payload;
          if (!ctx.clips.some(([c]) => c === p.clip_id)) {
            // The same rule Zenith uses for a promoted clip's topic when it names none.
            const topic = (p.topic ?? p.keywords[0] ?? 'general').slice(0, 100);
            ctx = {
              ...ctx,
              promoted: { ...ctx.promoted, [topic]: (ctx.promoted[topic] ?? 0) + 1 },
              clips: [...ctx.clips, [p.clip_id, topic] as [string, string]].slice(-MAX_CLIPS),
            };
          }
          publish(
            ctx,
            event.now,
            deriveMsgId(event.meta.msg_id, 0),
            parentsOf(event.meta.stardust_id),
            enqueue,
          );
          enqueue.assign(ctx);
        }),
      },
      ScheduleChange: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          let ctx = begin(context, event.now, enqueue);
          const s = event.payload;
          const kept = ctx.off.filter(([c]) => c !== s.clip_id);
          const at = s.slot ? Date.parse(s.slot) : Number.NaN;
          // Only a booking still ahead can be shifted; a skip frees the clip of any warning.
          const shiftable = s.change !== 'skipped' && at > event.now && isOffWindow(slots, at);
          const entry: OffWindow = [
            s.clip_id,
            s.channel,
            new Date(Number.isNaN(at) ? 0 : at).toISOString(),
            event.meta.stardust_id ?? '',
          ];
          const off = shiftable ? [...kept, entry] : kept;
          ctx = { ...ctx, off: off.slice(-MAX_OFF) };
          publish(
            ctx,
            event.now,
            deriveMsgId(event.meta.msg_id, 0),
            parentsOf(event.meta.stardust_id),
            enqueue,
          );
          enqueue.assign(ctx);
        }),
      },
      daily: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const ctx = refresh(context, event.now);
          publish(ctx, event.now, deriveMsgId(`horizon.daily.${event.now}`, 0), [], enqueue);
          const daily_at = event.now + o.daily_ms;
          enqueue.emit({
            type: 'omniva.timer.set',
            id: 'daily',
            at: daily_at,
            event: { type: 'daily' },
          });
          enqueue.assign({ ...ctx, daily_at });
        }),
      },
    },
  });
}

/** Horizon reads Zenith's promotions and the scheduler's changes. */
export function horizonKind(
  input: Pick<HorizonOptions, 'goals'> & Partial<Omit<HorizonOptions, 'goals'>>,
) {
  return defineActorKind({
    name: 'horizon',
    version: 1,
    machine: horizonMachine(input),
    accepts: ['ClipPromotion', 'ScheduleChange'],
    // One instance: the campaign's mix is site-wide.
    key: () => 'main',
    work: {
      stream: STREAMS.evt,
      filter: (site) => [
        subjects.adv(site, 'zenith', 'promotion'),
        subjects.evtAny(site, 'scheduled'),
        subjects.evtAny(site, 'rescheduled'),
        subjects.evtAny(site, 'skipped'),
      ],
    },
  });
}
