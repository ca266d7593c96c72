import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assign, emit, setup } from 'xstate';
import { decode, type Envelope, subjects } from '../../protocols/index.ts';
import {
  type ActorHost,
  defineActorKind,
  EpochGuard,
  type MessageEvent,
  provisionEpochs,
  type RuntimeEmit,
  STREAMS,
} from '../../runtime/index.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { connectSite, readStream, SITE, sendCommand, startHost } from '../support/site.ts';

let server: TestServer;
let nc: NatsConnection;
const EVIDENCE = '0b8e6c1d-2f3a-8b5c-8d7e-9f0a1b2c3d4e';

/** A Zenith-like actor: every EchoRequest it receives becomes a command to `probe`. */
const issuer = setup({
  types: {} as { events: MessageEvent<'EchoRequest'>; emitted: RuntimeEmit },
}).createMachine({
  on: {
    EchoRequest: {
      actions: emit(({ event }) => ({
        type: 'omniva.command' as const,
        worker: 'probe',
        contract: 'EchoRequest' as const,
        payload: { text: event.payload.text },
        evidence: [EVIDENCE],
        rollback: { action: 'none', notes: 'probe only' },
      })),
    },
  },
});

const issuerKind = defineActorKind({
  name: 'issuer',
  version: 1,
  machine: issuer,
  accepts: ['EchoRequest'],
  work: { stream: STREAMS.cmd, filter: (site) => subjects.cmd(site, 'issuer') },
});

/** The receiving worker: counts the commands it accepted. */
const probe = setup({
  types: {} as {
    context: { accepted: string[] };
    events: MessageEvent<'EchoRequest'>;
    emitted: RuntimeEmit;
  },
}).createMachine({
  context: { accepted: [] },
  on: {
    EchoRequest: {
      actions: assign({
        accepted: ({ context, event }) => [...context.accepted, event.payload.text],
      }),
    },
  },
});

const probeKind = defineActorKind({
  name: 'probe',
  version: 1,
  machine: probe,
  accepts: ['EchoRequest'],
  work: { stream: STREAMS.cmd, filter: (site) => subjects.cmd(site, 'probe') },
});

async function issuerHost(epoch: () => number | undefined): Promise<ActorHost> {
  return startHost(nc, issuerKind, {
    hostId: 'zenith-test',
    authority: { issuer: 'zenith-test', epoch },
  });
}

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
  await provisionEpochs(nc);
});

test.after(async () => {
  await nc.close();
  await server.cleanup();
});

test('commands - a command carries the epoch, issuer, evidence and rollback; a fenced worker accepts it', async () => {
  const guard = new EpochGuard({ nc, site: SITE, receiver: 'probe' });
  await guard.start();
  const worker = await startHost(nc, probeKind, { fencing: guard });
  const zenith = await issuerHost(() => 7);
  // Work-queue retention removes a command once acked, so watch it on the wire.
  const seen: { env: Envelope; epochHeader?: string }[] = [];
  const sub = nc.subscribe(subjects.cmd(SITE, 'probe'), {
    callback: (_e, m) => {
      const epochHeader = m.headers?.get('Omniva-Epoch');
      seen.push({
        env: decode(m.data, m.headers?.get('Content-Type')) as Envelope,
        ...(epochHeader ? { epochHeader } : {}),
      });
    },
  });
  const sent = await sendCommand(nc, 'issuer', 'EchoRequest', { text: 'first' });
  await waitFor(
    async () => ((await worker.inspect()).context as { accepted: string[] }).accepted.length === 1,
  );
  sub.unsubscribe();
  assert.equal(seen.length, 1);
  const { env, epochHeader } = seen[0]!;
  assert.equal(env.command, {
    epoch: 7,
    issued_by: 'zenith-test',
    evidence: [EVIDENCE],
    rollback: { action: 'none', notes: 'probe only' },
  });
  assert.equal(epochHeader, '7');
  assert.equal(env._meta_parents, [EVIDENCE], 'the evidence is the lineage');
  assert.equal(env.trace_id, sent.trace_id);
  await zenith.drain();
  await worker.drain();
});

test('commands - a command from an older epoch is refused with the reason recorded in the DLQ', async () => {
  const guard = new EpochGuard({ nc, site: SITE, receiver: 'probe' });
  await guard.start();
  const worker = await startHost(nc, probeKind, { fencing: guard });
  const deposed = await issuerHost(() => 3);
  await sendCommand(nc, 'issuer', 'EchoRequest', { text: 'from the past' });
  const dlq = await waitFor(async () => {
    const d = await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'probe'));
    return d.length > 0 ? d : undefined;
  });
  const p = dlq[0]!.envelope.payload as { reason_code: string; reason: string };
  assert.equal(p.reason_code, 'OMNIVA_ERR_STALE_EPOCH');
  assert.match(p.reason, /stale epoch 3/);
  const accepted = ((await worker.inspect()).context as { accepted: string[] }).accepted;
  assert.equal(accepted, ['first'], 'the stale command was not applied');
  await deposed.drain();
  await worker.drain();
});

test('commands - a command without a stamp is refused by a fenced worker', async () => {
  const guard = new EpochGuard({ nc, site: SITE, receiver: 'probe' });
  await guard.start();
  const worker = await startHost(nc, probeKind, { fencing: guard });
  await sendCommand(nc, 'probe', 'EchoRequest', { text: 'unstamped' });
  const dlq = await waitFor(async () => {
    const d = await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'probe'));
    return d.length > 1 ? d : undefined;
  });
  const p = dlq[1]!.envelope.payload as { reason_code: string; reason: string };
  assert.equal(p.reason_code, 'OMNIVA_ERR_STALE_EPOCH');
  assert.match(p.reason, /without Zenith's authority stamp/);
  await worker.drain();
});

test('commands - an actor without the lease cannot issue a command', async () => {
  const notLeader = await issuerHost(() => undefined);
  await sendCommand(nc, 'issuer', 'EchoRequest', { text: 'usurper' });
  await waitFor(() => notLeader.stats.crashes > 0);
  const cmds = await readStream(nc, STREAMS.cmd, subjects.cmd(SITE, 'probe'));
  assert.equal(cmds.length, 0, 'nothing was published');
  notLeader.stop();
});

test.run();
