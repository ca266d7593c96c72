import { enqueueActions, setup } from 'xstate';
import {
  type ScheduleChange,
  type ScheduleOrder,
  subjects,
  TOKEN_PATTERN,
  type WorkerStatus,
} from '../../../protocols/index.ts';
import {
  type ActorKind,
  defineActorKind,
  type MessageEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../../runtime/index.ts';
import { rulesLookup, type SchedulerRules } from './rules.ts';
import { applyDecision, type Bookings, chooseSlot, pruneBookings } from './slots.ts';

export interface SchedulerOptions {
  /** This process's instance id, reported as `WorkerStatus.instance_id`. */
  instance: string;
  /** One set of rules for every channel, or per channel (see SchedulerRules). */
  rules?: SchedulerRules;
}

/** Only the bookings: the channel's queue is all a decision needs, so snapshots stay small. */
export type SchedulerContext = { bookings: Bookings };

const WORKER = 'scheduler';
const REASON_MAX = 512; // ScheduleChange.reason's maxLength

/**
 * The scheduler worker (spec §5.5): one machine instance per channel, so every booking of a
 * channel lives in one snapshot. Two hosts deciding for the same channel at once both write
 * that snapshot with a revision check; the loser re-runs on the winner's bookings, which is
 * what keeps concurrent orders from double-booking a slot.
 */
export function schedulerMachine(o: SchedulerOptions) {
  if (!new RegExp(TOKEN_PATTERN).test(o.instance)) {
    throw new Error(`scheduler: instance "${o.instance}" is not a subject token`);
  }
  // Resolved once, so bad rules fail when the worker starts rather than on the first order.
  const rulesFor = rulesLookup(o.rules);

  const status = (
    clip_id: string,
    now: number,
    rest: Pick<WorkerStatus, 'status'> & Partial<WorkerStatus>,
    parents: string[],
  ): RuntimeEmit => ({
    type: 'omniva.publish',
    channel: 'evt',
    name: 'status',
    contract: 'WorkerStatus',
    payload: {
      job_id: clip_id,
      worker: WORKER,
      instance_id: o.instance,
      updated_at: new Date(now).toISOString(),
      ...rest,
    } satisfies WorkerStatus,
    parents,
  });

  return setup({
    types: {} as {
      context: SchedulerContext;
      events: MessageEvent<'ScheduleOrder'>;
      emitted: RuntimeEmit;
    },
  }).createMachine({
    id: WORKER,
    context: { bookings: {} },
    on: {
      ScheduleOrder: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const order: ScheduleOrder = event.payload;
          const { task, channel } = order;
          const rules = rulesFor(channel);
          const parents = event.meta.stardust_id ? [event.meta.stardust_id] : [];
          const bookings = pruneBookings(context.bookings, event.now, rules);
          const d = chooseSlot(
            bookings,
            {
              clip_id: task.clip_id,
              recommended_time: task.recommended_time,
              final_decision_source: task.final_decision_source,
              now: event.now,
            },
            rules,
          );
          const reason = d.reason.slice(0, REASON_MAX);
          const next = applyDecision(bookings, task.clip_id, d);
          if (next !== context.bookings) enqueue.assign({ bookings: next });

          if (d.change === 'fault') {
            const error = { code: 'scheduler_fault' as const, message: reason, retryable: false };
            enqueue.emit(
              status(task.clip_id, event.now, { status: 'ERROR', detail: reason, error }, parents),
            );
            return;
          }
          const change: ScheduleChange = {
            clip_id: task.clip_id,
            channel,
            change: d.change,
            reason,
            ...(d.change === 'skipped' ? {} : { slot: d.slot }),
            ...(d.change === 'rescheduled' ? { previous_slot: d.previous_slot } : {}),
            ...(order.goal_window ? { goal_window: order.goal_window } : {}),
          };
          enqueue.emit({
            type: 'omniva.publish',
            channel: 'evt',
            name: d.change,
            contract: 'ScheduleChange',
            payload: change,
            parents,
          });
          enqueue.emit(
            status(
              task.clip_id,
              event.now,
              { status: 'DONE', progress: 1, detail: reason },
              parents,
            ),
          );
        }),
      },
    },
  });
}

/**
 * The scheduler as an actor kind: it shares the `cmd.scheduler` queue with every other
 * scheduler host, and the instance key is the channel.
 */
export function schedulerKind(o: SchedulerOptions): ActorKind {
  return defineActorKind({
    name: WORKER,
    version: 1,
    machine: schedulerMachine(o),
    accepts: ['ScheduleOrder'],
    work: { stream: STREAMS.cmd, filter: (site) => subjects.cmd(site, WORKER) },
    key: (env) => (env.payload as ScheduleOrder).channel,
  });
}
