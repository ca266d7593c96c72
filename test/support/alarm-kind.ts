import { assign, emit, setup } from 'xstate';
import { subjects } from '../../protocols/index.ts';
import {
  type ActorKind,
  defineActorKind,
  type MessageEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../runtime/index.ts';

export type Ping = { type: 'ping'; now: number };

/** `<key>/arm` with n = delay arms timer "alarm"; `<key>/cancel` cancels it; a ping publishes `pinged`. */
export const alarmMachine = setup({
  types: {} as {
    context: { fired: number; armedFor?: number };
    events: MessageEvent<'EchoRequest'> | Ping;
    emitted: RuntimeEmit;
  },
}).createMachine({
  context: { fired: 0 },
  on: {
    EchoRequest: [
      {
        guard: ({ event }) => event.payload.text.endsWith('/cancel'),
        actions: [
          assign({ armedFor: undefined }),
          emit({ type: 'omniva.timer.cancel' as const, id: 'alarm' }),
        ],
      },
      {
        actions: [
          assign({ armedFor: ({ event }) => event.now + (event.payload.n ?? 0) }),
          emit(({ event }) => ({
            type: 'omniva.timer.set' as const,
            id: 'alarm',
            at: event.now + (event.payload.n ?? 0),
            event: { type: 'ping' },
          })),
        ],
      },
    ],
    ping: {
      actions: [
        assign({ fired: ({ context }) => context.fired + 1 }),
        emit(({ event }) => ({
          type: 'omniva.publish' as const,
          channel: 'evt' as const,
          name: 'pinged',
          contract: 'EchoReply' as const,
          payload: { text: 'ping', n: event.now },
        })),
      ],
    },
  },
});

/** An alarm actor on `omniva.<site>.cmd.<name>`; `key` picks instances (default: one, `main`). */
export function alarmKind(name: string, key?: ActorKind['key']): ActorKind {
  return defineActorKind({
    name,
    version: 1,
    machine: alarmMachine,
    accepts: ['EchoRequest'],
    work: { stream: STREAMS.cmd, filter: (site) => subjects.cmd(site, name) },
    ...(key ? { key } : {}),
  });
}
