// Group commit with synchronous steps, the host-wide keep-alive, and records in the earlier layout.
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode, makeEnvelope, subjects } from '../../protocols/index.ts';
import { BUCKETS, type EffectHandler } from '../../runtime/index.ts';
import { emptyRecord, recordKey } from '../../runtime/internal/record.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import {
  Cleanup,
  consumerState,
  ledgerKind,
  readRecord,
  sleep,
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

const appliedNs = async (kind: string) =>
  (await readStream(nc, STREAMS.evt, subjects.evt(SITE, kind, 'applied'))).map(
    (e) => (e.envelope.payload as { n: number }).n,
  );

test('batching - plain and effect messages queued for one instance apply in arrival order, instance by instance', async () => {
  // Queued before the host starts, so they arrive together and share snapshot writes; every
  // third one runs an effect (an asynchronous step between synchronous ones).
  const slow: EffectHandler = async () => {
    await sleep(15);
    return { ok: true };
  };
  const sent: Record<string, number[]> = { a: [], b: [] };
  for (let n = 0; n < 60; n++) {
    const key = n % 2 === 0 ? 'a' : 'b';
    const text = n % 3 === 0 ? `${key}/effect:slow` : `${key}/apply`;
    await sendCommand(nc, 'b-order', 'EchoRequest', { text, n });
    sent[key]?.push(n);
  }
  const host = cleanup.add(await startHost(nc, ledgerKind('b-order', { effects: { slow } })), (h) =>
    h.stop(),
  );
  await waitFor(() => host.stats.processed === 60, 15_000);
  assert.ok(host.stats.writes < 60, `messages shared snapshot writes (${host.stats.writes})`);
  for (const key of ['a', 'b']) {
    const rec = await readRecord(nc, 'b-order', key);
    assert.equal(rec?.machine.context.applied, sent[key], `instance ${key} applied in order`);
  }
  const events = await appliedNs('b-order');
  for (const key of ['a', 'b']) {
    const mine = events.filter((n) => sent[key]?.includes(n));
    assert.equal(mine, sent[key], `instance ${key}'s events in order, each once`);
  }
  await host.drain();
});

test('keep-alive - a message whose effect outlasts ack_wait_ms is not redelivered while it runs', async () => {
  let runs = 0;
  const long: EffectHandler = async () => {
    runs++;
    await sleep(3_200); // ack_wait_ms is 2 s in tests
    return { ok: true };
  };
  const host = cleanup.add(await startHost(nc, ledgerKind('b-alive', { effects: { long } })), (h) =>
    h.stop(),
  );
  await sendCommand(nc, 'b-alive', 'EchoRequest', { text: 'k/effect:long', n: 1 });
  await waitFor(() => host.stats.processed === 1, 10_000);
  const state = await waitIdle(nc, 'b-alive');
  assert.is(state.redelivered, 0, 'JetStream was told the message is still being worked on');
  assert.is(runs, 1);
  assert.is(host.stats.duplicates, 0);
  assert.equal(await appliedNs('b-alive'), [1]);
  await host.drain();
});

test('records - an instance stored in the earlier layout: a remembered id stays a duplicate, its unsent outbox goes out', async () => {
  const remembered = crypto.randomUUID();
  const pending = makeEnvelope({
    type: 'EchoReply',
    site_id: SITE,
    payload: { text: 'applied', n: 41 },
    actor: 'b-legacy',
  });
  // The layout before the dedupe set and outbox messages were stored as binary.
  const legacy = {
    ...emptyRecord('b-legacy', 1, 'k'),
    seen: [[remembered, Date.now() - 1_000]],
    outbox: [
      {
        cause: remembered,
        subject: subjects.evt(SITE, 'b-legacy', 'applied'),
        envelope: pending,
      },
    ],
  };
  const kv = await new Kvm(nc).open(BUCKETS.snapshots);
  await kv.put(recordKey('b-legacy', 'k'), encode(legacy, 'msgpack'));
  const host = cleanup.add(await startHost(nc, ledgerKind('b-legacy')), (h) => h.stop());
  await sendCommand(
    nc,
    'b-legacy',
    'EchoRequest',
    { text: 'k/apply', n: 41 },
    { msg_id: remembered },
  );
  await sendCommand(nc, 'b-legacy', 'EchoRequest', { text: 'k/apply', n: 42 });
  await waitFor(() => host.stats.processed === 1 && host.stats.duplicates === 1, 10_000);
  await waitIdle(nc, 'b-legacy');
  assert.equal(
    (await appliedNs('b-legacy')).sort(),
    [41, 42],
    'the stored outbox and the new event',
  );
  const rec = await readRecord(nc, 'b-legacy', 'k');
  assert.equal(rec?.machine.context.applied, [42], 'the remembered message was not applied again');
  assert.ok(
    rec?.seen.some(([id]) => id === remembered),
    'the id is still remembered',
  );
  assert.not.ok(
    rec?.outbox.some((e) => e.cause === remembered),
    'the restored outbox left the record once confirmed',
  );
  assert.is((await consumerState(nc, 'b-legacy')).ackPending, 0);
  await host.drain();
});

test.run();
