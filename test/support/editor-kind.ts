import { assign, emit, setup } from 'xstate';
import { subjects, type WorkerErrorCode } from '../../protocols/index.ts';
import {
  defineActorKind,
  type EffectDoneEvent,
  type EffectFailedEvent,
  type MessageEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../runtime/index.ts';
import { SITE } from './site.ts';

/** An editor instance whose render either works or fails with `failWith`; renders are logged. */
export function testEditorKind(instance: string, renders: string[], failWith?: WorkerErrorCode) {
  const machine = setup({
    types: {} as {
      context: { job?: string };
      events: MessageEvent<'EditJob'> | EffectDoneEvent | EffectFailedEvent;
      emitted: RuntimeEmit;
    },
  }).createMachine({
    context: {},
    on: {
      EditJob: {
        actions: [
          assign({ job: ({ event }) => event.payload.clip_id }),
          emit(({ event }) => ({
            type: 'omniva.effect' as const,
            id: `render-${event.meta.msg_id}`,
            name: 'render',
            input: { clip_id: event.payload.clip_id },
          })),
        ],
      },
      'effect.done': {
        actions: emit(({ context, event }) => ({
          type: 'omniva.publish' as const,
          channel: 'evt' as const,
          name: 'status',
          contract: 'WorkerStatus' as const,
          payload: {
            job_id: context.job as string,
            worker: 'editor',
            instance_id: instance,
            status: 'DONE' as const,
            updated_at: new Date(event.now).toISOString(),
          },
        })),
      },
      'effect.failed': {
        actions: emit(({ context, event }) => ({
          type: 'omniva.publish' as const,
          channel: 'evt' as const,
          name: 'status',
          contract: 'WorkerStatus' as const,
          payload: {
            job_id: context.job as string,
            worker: 'editor',
            instance_id: instance,
            status: 'ERROR' as const,
            updated_at: new Date(event.now).toISOString(),
            error: {
              code: event.error.code as WorkerErrorCode,
              message: event.error.message,
              retryable: event.error.retryable,
            },
          },
        })),
      },
    },
  });
  return defineActorKind({
    name: `editor-${instance}`,
    version: 1,
    machine,
    accepts: ['EditJob'],
    work: { stream: STREAMS.cmd, filter: (site) => subjects.cmdTo(site, 'editor', instance) },
    effects: {
      render: async (input) => {
        renders.push(instance);
        if (failWith) {
          throw Object.assign(new Error('GPU memory exhausted'), {
            code: failWith,
            retryable: true,
          });
        }
        return {
          uri: `media://${SITE}/sha256/${(input as { clip_id: string }).clip_id.replace(/-/g, '')}`,
        };
      },
    },
  });
}
