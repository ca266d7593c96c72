import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emit, setup } from 'xstate';
import { subjects } from '../../protocols/index.ts';
import {
  createLogger,
  defineActorKind,
  type Ledger,
  type MessageEvent,
  openLedger,
  type RuntimeEmit,
  STREAMS,
} from '../../runtime/index.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { connectSite, readStream, SITE, sendCommand, sendRaw, startHost } from '../support/site.ts';

let server: TestServer;
let nc: NatsConnection;
let ledger: Ledger;

/** Relays what it receives as an `EchoReply` event named `<name>_done`. */
function relay(name: string, from: 'cmd' | { actor: string; event: string }) {
  const machine = setup({
    types: {} as {
      events: MessageEvent<'EchoRequest'> | MessageEvent<'EchoReply'>;
      emitted: RuntimeEmit;
    },
  }).createMachine({
    on: {
      '*': {
        actions: emit(({ event }) => ({
          type: 'omniva.publish' as const,
          channel: 'evt' as const,
          name: `${name}_done`,
          contract: 'EchoReply' as const,
          payload: { text: (event as MessageEvent<'EchoRequest'>).payload.text },
        })),
      },
    },
  });
  return defineActorKind({
    name,
    version: 1,
    machine,
    accepts: from === 'cmd' ? ['EchoRequest'] : ['EchoReply'],
    work:
      from === 'cmd'
        ? { stream: STREAMS.cmd, filter: (site) => subjects.cmd(site, name) }
        : { stream: STREAMS.evt, filter: (site) => subjects.evt(site, from.actor, from.event) },
  });
}

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
  ledger = await openLedger(nc, { site: SITE, log: createLogger({ level: 'silent' }) });
});

test.after(async () => {
  await ledger.close();
  await nc.close();
  await server.cleanup();
});

test('ledger - every published message is recorded first, and its packet names the one that caused it', async () => {
  const a = await startHost(nc, relay('first', 'cmd'), { ledger });
  const b = await startHost(nc, relay('second', { actor: 'first', event: 'first_done' }), {
    ledger,
  });
  const sent = await sendCommand(nc, 'first', 'EchoRequest', { text: 'lineage' });
  const [second] = await waitFor(async () => {
    const e = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'second', 'second_done'));
    return e.length > 0 ? e : undefined;
  });
  const [first] = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'first', 'first_done'));
  const firstId = first!.headers['Omniva-Stardust-Id'];
  const secondId = second!.headers['Omniva-Stardust-Id'];
  assert.ok(firstId && secondId, 'published messages carry their stardust_id');
  const p1 = await ledger.getByRef('event', first!.envelope.msg_id);
  const p2 = await ledger.getByRef('event', second!.envelope.msg_id);
  assert.equal(p1?.stardust_id, firstId);
  assert.equal(p2?.stardust_id, secondId);
  assert.equal(p2?._meta_parents, [firstId], 'the second event derives from the first');
  assert.equal(p1?.trace_id, sent.trace_id);
  assert.equal(p2?.trace_id, sent.trace_id, 'one trace across both actors');
  assert.equal(p1?.actor, 'first');
  assert.equal((p1!.payload as { body: { text: string } }).body.text, 'lineage');
  const ancestors = await ledger.lineage.ancestors(secondId!);
  assert.equal(
    ancestors.map((h) => [h.node.stardust_id, h.depth]),
    [[firstId, 1]],
    'lineage finds the first event as the direct parent',
  );
  await a.drain();
  await b.drain();
});

test('ledger - dead letters are recorded too, and the chain verifies', async () => {
  const a = await startHost(nc, relay('first', 'cmd'), { ledger });
  await sendRaw(nc, 'first', new TextEncoder().encode('not json'), 'application/json');
  const [dead] = await waitFor(async () => {
    const d = await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'first'));
    return d.length > 0 ? d : undefined;
  });
  const packet = await ledger.getByRef('dead_letter', dead!.envelope.msg_id);
  assert.equal(packet?.stardust_id, dead!.headers['Omniva-Stardust-Id']);
  assert.equal(
    (packet!.payload as { body: { reason_code: string } }).body.reason_code,
    'OMNIVA_ERR_DECODE',
  );
  await a.drain();
  await ledger.settle();
  const v = await ledger.verify();
  assert.equal(v.ok, true, JSON.stringify(v));
});

test.run();
