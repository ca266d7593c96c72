import type { JsMsg } from '@nats-io/jetstream';
import { type Envelope, HEADERS } from '../../protocols/index.ts';
import type { EffectJournal } from '../effects.ts';
import type { Cancellations } from './cancellation.ts';
import type { Instance } from './instance.ts';
import type { PendingWrite } from './instance-store.ts';
import { metaOf } from './messages.ts';
import { type Authority, runStep, type StepOutcome } from './step.ts';
import type { Telemetry } from './telemetry.ts';

/** What an instance's queue holds: a message to deliver, or a stored deadline that came due. */
export type WorkItem =
  | { kind: 'msg'; m: JsMsg; env: Envelope }
  | { kind: 'timer'; id: string; at: number };

/** The id an item is remembered by in the dedupe set. */
export const causeOf = (i: WorkItem) => (i.kind === 'msg' ? i.env.msg_id : `timer.${i.id}.${i.at}`);

export interface DeliverDeps {
  site: string;
  now: () => number;
  journal: EffectJournal;
  cancellations: Cancellations;
  telemetry: Telemetry;
  authority?: Authority;
}

/**
 * Delivers one item into the instance, accumulating what it changed into `write`; false if it
 * was a stale timer. Synchronous unless the step runs an effect, so a batch of plain messages
 * takes no turn of the event loop per message.
 */
export function deliverItem(
  d: DeliverDeps,
  inst: Instance,
  item: WorkItem,
  write: PendingWrite,
): boolean | Promise<boolean> {
  let event: { type: string; [field: string]: unknown };
  let trace_id: string;
  let stardustId: string | undefined;
  if (item.kind === 'msg') {
    const { env } = item;
    stardustId = item.m.headers?.get(HEADERS.stardustId) || undefined;
    event = { type: env.type, payload: env.payload, meta: metaOf(env, stardustId), now: d.now() };
    trace_id = env.trace_id;
  } else {
    const t = write.timers[item.id];
    if (!t || t.at !== item.at) return false; // cancelled or re-armed since
    delete write.timers[item.id];
    event = { ...t.event, now: d.now() };
    trace_id = t.trace_id;
  }
  const causationId = item.kind === 'msg' ? item.env.msg_id : undefined;
  let cancellable = false;
  const outcome = runStep({
    instance: inst,
    event,
    cause: causeOf(item),
    causationId,
    causedBy: stardustId,
    site: d.site,
    trace_id,
    timers: write.timers,
    journal: d.journal,
    effectContext: () => {
      cancellable = true;
      return {
        signal: d.cancellations.begin(inst.key),
        report: d.telemetry.for(trace_id, causationId),
      };
    },
    now: d.now,
    authority: d.authority,
  });
  if (!(outcome instanceof Promise)) return stepped(inst, item, write, outcome);
  return outcome
    .finally(() => {
      if (cancellable) d.cancellations.end(inst.key);
    })
    .then((o) => stepped(inst, item, write, o));
}

function stepped(inst: Instance, item: WorkItem, write: PendingWrite, outcome: StepOutcome): true {
  write.machine = inst.checkpoint();
  write.timers = outcome.timers;
  write.outbox.push(...outcome.outbox);
  write.causes.push(causeOf(item));
  return true;
}
