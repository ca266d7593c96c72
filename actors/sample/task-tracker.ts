import { assign, emit, setup } from 'xstate';
import type { ContractType } from '../../protocols/index.ts';
import { subjects } from '../../protocols/index.ts';
import {
  defineActorKind,
  type EffectDoneEvent,
  type EffectFailedEvent,
  type MessageEvent,
  type RpcEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../runtime/index.ts';
import { writeReceipt } from './receipts.ts';

/**
 * The quick start's sample actor: takes SampleTask commands per creator, writes a
 * receipt for each (a real side effect, journaled by the runtime) and announces
 * `task_done` with a running total. It answers `status` requests.
 */
type Context = {
  creator_id?: string;
  total: number;
  words: number;
  pending?: { task: ContractType<'SampleTask'>; trace: string; parent: string };
  last_task_id?: string;
  failures: number;
};
type Events = MessageEvent<'SampleTask'> | EffectDoneEvent | EffectFailedEvent | RpcEvent;

export const taskTrackerMachine = setup({
  types: {} as { context: Context; events: Events; emitted: RuntimeEmit },
}).createMachine({
  id: 'task-tracker',
  context: { total: 0, words: 0, failures: 0 },
  initial: 'idle',
  states: {
    idle: {
      on: {
        SampleTask: {
          target: 'writing',
          actions: [
            assign({
              creator_id: ({ event }) => event.payload.creator_id,
              pending: ({ event }) => ({
                task: event.payload,
                trace: event.meta.trace_id,
                parent: event.meta.msg_id,
              }),
            }),
            emit(({ event }) => ({
              type: 'omniva.effect' as const,
              id: `receipt-${event.payload.task_id}`,
              name: 'write-receipt',
              input: { task_id: event.payload.task_id, text: event.payload.text },
            })),
          ],
        },
        'rpc.status': {
          actions: emit(({ context }) => ({
            type: 'omniva.reply' as const,
            contract: 'StatusReply' as const,
            payload: {
              actor: 'task-tracker',
              instance_key: context.creator_id ?? 'main',
              state: 'idle',
              context,
            },
          })),
        },
      },
    },
    writing: {
      on: {
        'effect.done': {
          target: 'idle',
          actions: [
            assign(({ context }) => {
              const words = context.pending?.task.text.split(/\s+/).filter(Boolean).length ?? 0;
              return {
                total: context.total + 1,
                words: context.words + words,
                last_task_id: context.pending?.task.task_id,
                pending: undefined,
              };
            }),
            emit(({ context, event }) => ({
              type: 'omniva.publish' as const,
              channel: 'evt' as const,
              name: 'task_done',
              contract: 'SampleTaskDone' as const,
              payload: {
                task_id: context.last_task_id as string,
                receipt: String((event as EffectDoneEvent).output),
                word_count: context.words,
                total_tasks: context.total,
                done_at: new Date((event as EffectDoneEvent).now).toISOString(),
              },
            })),
          ],
        },
        'effect.failed': {
          target: 'idle',
          actions: assign(({ context }) => ({
            failures: context.failures + 1,
            pending: undefined,
          })),
        },
      },
    },
  },
});

export function taskTrackerKind(opts: { receiptsDir: string }) {
  return defineActorKind({
    name: 'task-tracker',
    version: 1,
    machine: taskTrackerMachine,
    accepts: ['SampleTask'],
    work: { stream: STREAMS.cmd, filter: (site) => subjects.cmd(site, 'task-tracker') },
    rpc: { status: 'StatusQuery' },
    key: (env) =>
      env.type === 'SampleTask'
        ? (env.payload as { creator_id: string }).creator_id
        : ((env.payload as { instance_key?: string }).instance_key ?? 'main'),
    effects: {
      'write-receipt': (input, ctx) =>
        writeReceipt(
          opts.receiptsDir,
          ctx.idempotencyKey,
          input as { task_id: string; text: string },
        ),
    },
  });
}
