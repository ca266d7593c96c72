// Review suite: redelivery timing, group commit with a poison message, and the outbox.
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subjects } from '../../protocols/index.ts';
import type { EffectHandler } from '../../runtime/index.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { Cleanup, ledgerKind, readRecord, sleep, waitIdle } from '../support/review-kit.ts';
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

test('intake - a message still being processed is not redelivered before ack_wait_ms', async () => {
  // ack_wait_ms is 2 s; the effect takes 700 ms. backoff_ms (100, 200, 400) is meant for
  // retries after a failure, so nobody else may get the message while it is in progress.
  const calls: string[] = [];
  const slow: EffectHandler = async (_input, ctx) => {
    calls.push(ctx.idempotencyKey);
    await sleep(700);
    return 'ok';
  };
  const kind = ledgerKind('inflight', { effects: { slow } });
  const ncB = cleanup.add(await connectSite(server.url), (c) => c.close());
  const a = cleanup.add(await startHost(nc, kind, { hostId: 'a' }), (h) => h.stop());
  const b = cleanup.add(await startHost(ncB, kind, { hostId: 'b' }), (h) => h.stop());
  await sendCommand(nc, 'inflight', 'EchoRequest', { text: 'k/effect:slow', n: 1 });
  await waitIdle(nc, 'inflight', 10_000);
  await sleep(200);
  assert.equal(
    calls.length,
    1,
    `the effect ran ${calls.length} times: the message was redelivered while still in progress`,
  );
  assert.equal(a.stats.duplicates + b.stats.duplicates, 0, 'no redelivery to recognise');
  await Promise.all([a.drain(), b.drain()]);
  await ncB.close();
});

test('group commit - a poison message mid-batch: earlier ones persisted and acked once, later ones applied in order, poison dead-lettered', async () => {
  const acks: string[] = [];
  const sleepy: EffectHandler = async () => {
    await sleep(300);
    return 'rested';
  };
  // max_deliver equals the number of backoff steps, so redelivery timing is ack_wait_ms and nak delays only.
  const host = cleanup.add(
    await startHost(nc, ledgerKind('batchy', { effects: { sleepy } }), {
      options: { max_deliver: 3, restart_intensity: 100 },
      hooks: { beforeAck: ({ msg_id }) => void acks.push(msg_id) },
    }),
    (h) => h.stop(),
  );
  // The first message keeps the instance busy for 300 ms, so the next five queue up and
  // are delivered as one batch.
  const first = await sendCommand(nc, 'batchy', 'EchoRequest', { text: 'k/effect:sleepy', n: 0 });
  const sent = [first];
  for (const [n, cmd] of [
    [1, 'x'],
    [2, 'x'],
    [3, 'boom'],
    [4, 'x'],
    [5, 'x'],
  ] as const) {
    sent.push(await sendCommand(nc, 'batchy', 'EchoRequest', { text: `k/${cmd}`, n }));
  }
  const poison = sent[3]!;
  const dlq = await waitFor(async () => {
    const d = await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'batchy'));
    return d.length > 0 ? d : undefined;
  }, 15_000);
  await waitIdle(nc, 'batchy');
  const rec = await readRecord(nc, 'batchy', 'k');
  assert.equal(rec?.machine.context.applied, [0, 1, 2, 4, 5], 'applied in order, poison skipped');
  assert.equal(dlq.length, 1);
  const p = dlq[0]!.envelope.payload as {
    reason_code: string;
    delivery_count: number;
    original_msg_id: string;
  };
  assert.equal(p.reason_code, 'OMNIVA_ERR_MAX_DELIVER');
  assert.equal(p.delivery_count, 3);
  assert.equal(p.original_msg_id, poison.msg_id);
  const good = sent.filter((e) => e !== poison).map((e) => e.msg_id);
  assert.equal([...acks].sort(), [...good].sort(), 'each good message acked exactly once');
  assert.equal(host.stats.processed, 5);
  assert.equal(host.stats.crashes, 3);
  assert.ok(
    host.stats.writes < host.stats.processed,
    `group commit: ${host.stats.writes} writes for ${host.stats.processed} messages`,
  );
  const evts = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'batchy', 'applied'));
  assert.equal(
    evts.map((e) => (e.envelope.payload as { n: number }).n),
    [0, 1, 2, 4, 5],
    'one event per applied message, in order',
  );
  await host.drain();
});

test('outbox - entries already published do not stay in the record after a host restart', async () => {
  const kind = ledgerKind('leaky');
  const first = cleanup.add(await startHost(nc, kind, { hostId: 'first' }), (h) => h.stop());
  const m1 = await sendCommand(nc, 'leaky', 'EchoRequest', { text: 'k/x', n: 1 });
  await waitFor(
    async () => (await readRecord(nc, 'leaky', 'k'))?.machine.context.applied.length === 1,
  );
  await first.drain();
  // m1's event was published and confirmed before the first host acked m1.
  const published = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'leaky', 'applied'));
  assert.equal(published.length, 1);

  const second = cleanup.add(await startHost(nc, kind, { hostId: 'second' }), (h) => h.stop());
  for (let n = 2; n <= 4; n++) {
    await sendCommand(nc, 'leaky', 'EchoRequest', { text: 'k/x', n });
    await waitFor(
      async () => (await readRecord(nc, 'leaky', 'k'))?.machine.context.applied.length === n,
    );
  }
  const rec = await readRecord(nc, 'leaky', 'k');
  const stale = rec?.outbox.filter((e) => e.cause === m1.msg_id) ?? [];
  assert.equal(
    stale.length,
    0,
    `m1's entry was confirmed 3 writes ago and is still in the outbox (${rec?.outbox.length} entries)`,
  );
  await second.drain();
});

test.run();
