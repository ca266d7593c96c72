// Review suite: effect failures and the effect journal across redeliveries.
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subjects } from '../../protocols/index.ts';
import { BUCKETS, type EffectHandler } from '../../runtime/index.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { Cleanup, ledgerKind, readRecord, sleep, waitIdle } from '../support/review-kit.ts';
import { connectSite, readStream, SITE, STREAMS, sendCommand, startHost } from '../support/site.ts';

let server: TestServer;
let nc: NatsConnection;
const cleanup = new Cleanup();

const failure = (message: string, code: string, retryable: boolean) =>
  Object.assign(new Error(message), { code, retryable });

async function effects(kind: string, key = 'k') {
  return waitFor(async () => {
    const e = (await readRecord(nc, kind, key))?.machine.context.effects;
    return e && e.length > 0 ? e : undefined;
  });
}

async function journalHas(idempotencyKey: string): Promise<boolean> {
  const kv = await new Kvm(nc).open(BUCKETS.effects);
  return (await kv.get(idempotencyKey))?.operation === 'PUT';
}

/** Throws on the first effect.failed only: a crash after the effect ran, before the write. */
function crashOnce() {
  let crashed = false;
  return () => {
    if (crashed) return false;
    crashed = true;
    return true;
  };
}

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
});

test.after(async () => {
  await cleanup.run();
  await nc.close();
  await server.cleanup();
});

test('effects - a non-retryable failure is journaled: the redelivery replays it, the effect does not run again', async () => {
  const keys: string[] = [];
  const charge: EffectHandler = async (_input, ctx) => {
    keys.push(ctx.idempotencyKey);
    throw failure('card declined', 'PAYMENT_DECLINED', false);
  };
  const kind = ledgerKind('fx-final', { effects: { charge }, throwOnEffectFailed: crashOnce() });
  const host = cleanup.add(await startHost(nc, kind), (h) => h.stop());
  await sendCommand(nc, 'fx-final', 'EchoRequest', { text: 'k/effect:charge', n: 1 });
  const recorded = await effects('fx-final');
  await waitIdle(nc, 'fx-final');
  assert.equal(host.stats.crashes, 1, 'the first delivery crashed after the effect');
  assert.equal(keys.length, 1, 'the redelivery replayed the journaled failure');
  assert.equal(recorded, [
    { id: recorded[0]!.id, ok: false, code: 'PAYMENT_DECLINED', retryable: false },
  ]);
  assert.ok(await journalHas(keys[0]!), 'the failure is in the journal');
  await host.drain();
});

test('effects - a retryable failure is not journaled: the redelivery runs the effect again', async () => {
  const keys: string[] = [];
  const flaky: EffectHandler = async (_input, ctx) => {
    keys.push(ctx.idempotencyKey);
    if (keys.length === 1) throw failure('upstream 503', 'UPSTREAM_DOWN', true);
    return 'second time lucky';
  };
  const kind = ledgerKind('fx-retry', { effects: { flaky }, throwOnEffectFailed: crashOnce() });
  const host = cleanup.add(await startHost(nc, kind), (h) => h.stop());
  await sendCommand(nc, 'fx-retry', 'EchoRequest', { text: 'k/effect:flaky', n: 7 });
  const recorded = await effects('fx-retry');
  await waitIdle(nc, 'fx-retry');
  assert.equal(keys.length, 2, 'the effect ran again on the redelivery');
  assert.equal(keys[0], keys[1], 'with the same idempotency key');
  assert.equal(recorded, [{ id: recorded[0]!.id, ok: true }]);
  assert.equal((await readRecord(nc, 'fx-retry', 'k'))?.machine.context.applied, [7]);
  assert.ok(await journalHas(keys[0]!), 'the success is journaled');
  const evts = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'fx-retry', 'applied'));
  assert.equal(evts.length, 1);
  await host.drain();
});

test('effects - a retryable failure the machine handles reaches it with retryable true and leaves no journal entry', async () => {
  const keys: string[] = [];
  const down: EffectHandler = async (_input, ctx) => {
    keys.push(ctx.idempotencyKey);
    throw failure('timeout', 'UPSTREAM_TIMEOUT', true);
  };
  const host = cleanup.add(
    await startHost(nc, ledgerKind('fx-handled', { effects: { down } })),
    (h) => h.stop(),
  );
  await sendCommand(nc, 'fx-handled', 'EchoRequest', { text: 'k/effect:down', n: 1 });
  const recorded = await effects('fx-handled');
  await waitIdle(nc, 'fx-handled');
  assert.equal(recorded, [
    { id: recorded[0]!.id, ok: false, code: 'UPSTREAM_TIMEOUT', retryable: true },
  ]);
  assert.equal(keys.length, 1);
  assert.not.ok(await journalHas(keys[0]!), 'a retryable failure is never journaled');
  assert.equal(host.stats.crashes, 0);
  assert.equal(host.stats.processed, 1);
  await host.drain();
});

test('effects - an unknown effect name reaches the machine as a non-retryable effect.failed', async () => {
  const host = cleanup.add(await startHost(nc, ledgerKind('fx-unknown')), (h) => h.stop());
  await sendCommand(nc, 'fx-unknown', 'EchoRequest', { text: 'k/effect:no-such-effect', n: 1 });
  const recorded = await effects('fx-unknown');
  await waitIdle(nc, 'fx-unknown');
  assert.equal(recorded, [
    { id: recorded[0]!.id, ok: false, code: 'OMNIVA_ERR_EFFECT_FAILED', retryable: false },
  ]);
  assert.equal(host.stats.crashes, 0, 'not an actor crash');
  assert.equal(host.stats.processed, 1);
  await sleep(100);
  const dlq = await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'fx-unknown'));
  assert.equal(dlq.length, 0, 'the message itself was fine');
  await host.drain();
});

test('effects - a final failure caused by the host stopping is not journaled: the next host runs the effect again', async () => {
  const keys: string[] = [];
  let started: () => void = () => {};
  const running = new Promise<void>((r) => {
    started = r;
  });
  // Like a render killed by its abort signal: the handler reports a final failure.
  const render: EffectHandler = async (_input, ctx) => {
    keys.push(ctx.idempotencyKey);
    if (keys.length > 1) return 'rendered';
    started();
    await new Promise((r) => ctx.signal.addEventListener('abort', r));
    throw failure('render cancelled', 'CANCELLED', false);
  };
  const kind = ledgerKind('fx-stop', { effects: { render } });
  const first = await startHost(nc, kind);
  await sendCommand(nc, 'fx-stop', 'EchoRequest', { text: 'k/effect:render', n: 1 });
  await running;
  first.stop();
  await sleep(100);
  assert.not.ok(await journalHas(keys[0]!), 'the interrupted failure is not journaled');
  cleanup.add(await startHost(nc, kind), (h) => h.stop());
  const recorded = await effects('fx-stop');
  assert.equal(keys, [keys[0], keys[0]], 'the effect ran again, with the same key');
  assert.equal(recorded, [{ id: recorded[0]!.id, ok: true }]);
  assert.ok(await journalHas(keys[0]!), 'the success is journaled');
});

test.run();
