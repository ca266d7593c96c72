import { emit, setup } from 'xstate';
import { subjects } from '../../protocols/index.ts';
import {
  defineActorKind,
  type MessageEvent,
  type RpcEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../runtime/index.ts';

/** A stateless actor used by the benchmarks: echoes requests and work messages. */
export const echoMachine = setup({
  types: {} as { events: MessageEvent<'EchoRequest'> | RpcEvent; emitted: RuntimeEmit },
}).createMachine({
  id: 'echo',
  on: {
    'rpc.echo': {
      actions: emit(({ event }) => ({
        type: 'omniva.reply' as const,
        contract: 'EchoReply' as const,
        payload: (event as RpcEvent).request,
      })),
    },
    EchoRequest: {
      actions: emit(({ event }) => ({
        type: 'omniva.publish' as const,
        channel: 'evt' as const,
        name: 'echoed',
        contract: 'EchoReply' as const,
        payload: (event as MessageEvent<'EchoRequest'>).payload,
      })),
    },
  },
});

export const echoKind = defineActorKind({
  name: 'echo',
  version: 1,
  machine: echoMachine,
  accepts: ['EchoRequest'],
  work: { stream: STREAMS.cmd, filter: (site) => subjects.cmd(site, 'echo') },
  rpc: { echo: 'EchoRequest' },
});
