import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assign, emit, setup } from 'xstate';
import { subjects } from '../../protocols/index.ts';
import {
  type ActorKind,
  defineActorKind,
  type MessageEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../runtime/index.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { connectSite, readStream, SITE, sendCommand, startHost } from '../support/site.ts';

let server: TestServer;
let nc: NatsConnection;

/** Throws on an EchoRequest whose text is "boom"; counts the others. */
const fragile = setup({
  types: {} as {
    context: { count: number };
    events: MessageEvent<'EchoRequest'>;
    emitted: RuntimeEmit;
  },
}).createMachine({
  context: { count: 0 },
  on: {
    EchoRequest: [
      {
        guard: ({ event }) => event.payload.text === 'boom',
        actions: () => {
          throw new Error('the machine broke on boom');
        },
      },
      {
        guard: ({ event }) => event.payload.text === 'emit-invalid',
        actions: emit({
          type: 'omniva.publish',
          channel: 'evt',
          name: 'bad',
          contract: 'EchoReply',
          payload: { nope: 1 },
        }),
      },
      { actions: assign({ count: ({ context }) => context.count + 1 }) },
    ],
  },
});

function fragileKind(name: string): ActorKind {
  return defineActorKind({
    name,
    version: 1,
    machine: fragile,
    accepts: ['EchoRequest'],
    work: { stream: STREAMS.cmd, filter: (site) => subjects.cmd(site, name) },
  });
}

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
});

test.after(async () => {
  await nc.close();
  await server.cleanup();
});

test('supervision - a poison message is retried up to max_deliver, then dead-lettered; the actor keeps serving', async () => {
  const host = await startHost(nc, fragileKind('fragile'), { options: { restart_intensity: 100 } });
  await sendCommand(nc, 'fragile', 'EchoRequest', { text: 'boom' });
  await sendCommand(nc, 'fragile', 'EchoRequest', { text: 'fine' });
  const dlq = await waitFor(async () => {
    const d = await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'fragile'));
    return d.length > 0 ? d : undefined;
  }, 15_000);
  const p = dlq[0]!.envelope.payload as {
    reason_code: string;
    delivery_count: number;
    reason: string;
  };
  assert.equal(p.reason_code, 'OMNIVA_ERR_MAX_DELIVER');
  assert.equal(p.delivery_count, 4);
  assert.match(p.reason, /the machine broke on boom/);
  assert.equal(host.stats.crashes, 4);
  await waitFor(async () => ((await host.inspect()).context as { count: number }).count === 1);
  await host.drain();
});

test('supervision - an invalid emitted message is a deterministic failure: dead-lettered at once, state not persisted', async () => {
  const host = await startHost(nc, fragileKind('fragile2'), {
    options: { restart_intensity: 100 },
  });
  await sendCommand(nc, 'fragile2', 'EchoRequest', { text: 'emit-invalid' });
  const dlq = await waitFor(async () => {
    const d = await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'fragile2'));
    return d.length > 0 ? d : undefined;
  });
  const p = dlq[0]!.envelope.payload as { reason_code: string; delivery_count: number };
  assert.equal(p.reason_code, 'OMNIVA_ERR_EMIT_INVALID');
  assert.equal(p.delivery_count, 1);
  const evts = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'fragile2', 'bad'));
  assert.equal(evts.length, 0, 'nothing invalid was published');
  await host.drain();
});

test('supervision - exhausting the restart budget publishes an escalation and pauses the kind', async () => {
  const host = await startHost(nc, fragileKind('fragile3'), {
    options: {
      restart_intensity: 2,
      max_deliver: 10,
      escalation_pause_ms: 1_500,
      backoff_ms: [50],
    },
  });
  await sendCommand(nc, 'fragile3', 'EchoRequest', { text: 'boom' });
  const alerts = await waitFor(async () => {
    const a = await readStream(nc, STREAMS.evt, subjects.alert(SITE, 'actor_escalation'));
    return a.length > 0 ? a : undefined;
  }, 10_000);
  const esc = alerts[0]!.envelope.payload as {
    actor: string;
    restarts: number;
    last_error: { code: string };
  };
  assert.equal(alerts[0]!.envelope.type, 'ActorEscalation');
  assert.equal(esc.actor, 'fragile3');
  assert.equal(esc.restarts, 3);
  assert.equal(esc.last_error.code, 'OMNIVA_ERR_ACTOR_FAILED');
  const crashesAtEscalation = host.stats.crashes;
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(host.stats.crashes, crashesAtEscalation, 'no processing while paused');
  await host.drain();
});

test.run();
