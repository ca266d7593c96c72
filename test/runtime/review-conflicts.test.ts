// Review suite: several writers on one instance record (revision conflicts).
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subjects } from '../../protocols/index.ts';
import { BUCKETS } from '../../runtime/index.ts';
import { recordKey } from '../../runtime/internal/record.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import {
  Cleanup,
  faultyConnection,
  ledgerKind,
  readRecord,
  sleep,
  storedCommands,
  waitIdle,
} from '../support/review-kit.ts';
import { connectSite, readStream, SITE, STREAMS, sendCommand, startHost } from '../support/site.ts';

let server: TestServer;
let nc: NatsConnection;
const cleanup = new Cleanup();

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
});

test.after(async () => {
  await cleanup.run();
  await nc.close();
  await server.cleanup();
});

test('conflicts - two hosts hammering one instance apply every message exactly once', async () => {
  const kind = ledgerKind('hammer');
  // Separate connections, as two processes would have.
  const ncA = cleanup.add(await connectSite(server.url), (c) => c.close());
  const ncB = cleanup.add(await connectSite(server.url), (c) => c.close());
  const a = cleanup.add(await startHost(ncA, kind, { hostId: 'a' }), (h) => h.stop());
  const b = cleanup.add(await startHost(ncB, kind, { hostId: 'b' }), (h) => h.stop());
  const N = 100;
  await Promise.all(
    Array.from({ length: N }, (_, n) =>
      sendCommand(nc, 'hammer', 'EchoRequest', { text: 'one/x', n }),
    ),
  );
  await waitIdle(nc, 'hammer', 30_000);
  const rec = await readRecord(nc, 'hammer', 'one');
  const applied = rec?.machine.context.applied ?? [];
  assert.equal(applied.length, N, `applied ${applied.length} of ${N}`);
  assert.equal(new Set(applied).size, N, 'no message applied twice');
  const evts = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'hammer', 'applied'));
  assert.equal(evts.length, N, 'one event per message');
  assert.equal(
    new Set(evts.map((e) => (e.envelope.payload as { n: number }).n)).size,
    N,
    'no event published twice',
  );
  assert.equal(a.stats.processed + b.stats.processed, N);
  assert.ok(a.stats.processed > 0 && b.stats.processed > 0, 'both hosts took work');
  assert.ok(a.stats.conflicts + b.stats.conflicts > 0, 'the hosts did race on the record');
  const dlq = await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'hammer'));
  assert.equal(dlq.length, 0, 'nothing dead-lettered');
  assert.equal(await storedCommands(nc, 'hammer'), 0, 'no command left in the work queue');
  await Promise.all([a.drain(), b.drain()]);
  await Promise.all([ncA.close(), ncB.close()]);
});

test('conflicts - a message that keeps losing the revision race is dead-lettered, not silently abandoned', async () => {
  // Another writer updates the record just before every write of this host, so each of its
  // revision-checked writes fails. After max_deliver deliveries the message must be
  // accounted for: processed or dead-lettered, never left undeliverable in the stream.
  const kind = ledgerKind('contended');
  const host0 = cleanup.add(await startHost(nc, kind, { hostId: 'seed' }), (h) => h.stop());
  await sendCommand(nc, 'contended', 'EchoRequest', { text: 'k/seed', n: 0 });
  await waitFor(
    async () => (await readRecord(nc, 'contended', 'k'))?.machine.context.applied.length === 1,
  );
  await host0.drain();

  const kv = await new Kvm(nc).open(BUCKETS.snapshots);
  const rkey = recordKey('contended', 'k');
  let interfering = true;
  const rival = async () => {
    const e = await kv.get(rkey);
    if (e) await kv.put(rkey, e.value);
  };
  const faulty = faultyConnection(nc, (subject) =>
    interfering && subject === `$KV.${BUCKETS.snapshots}.${rkey}` ? { before: rival } : 'pass',
  );
  const host = cleanup.add(await startHost(faulty, kind, { hostId: 'loser' }), (h) => h.stop());
  await sendCommand(nc, 'contended', 'EchoRequest', { text: 'k/contested', n: 1 });
  // 4 deliveries x 5 write attempts, backoff 100/200/400 ms.
  await waitFor(async () => host.stats.conflicts >= 20, 10_000);
  await sleep(1_000);
  interfering = false;
  await sleep(2_500);
  const rec = await readRecord(nc, 'contended', 'k');
  const dlq = await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'contended'));
  const appliedIt = rec?.machine.context.applied.includes(1) ?? false;
  assert.ok(
    appliedIt || dlq.length === 1,
    `message neither applied nor dead-lettered (conflicts=${host.stats.conflicts}, still stored in the work queue: ${await storedCommands(nc, 'contended')})`,
  );
  host.stop();
});

test.run();
