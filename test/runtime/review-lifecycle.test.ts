// Review suite: drain and stop with work in flight, and failures outside the machine.
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subjects } from '../../protocols/index.ts';
import type { ActorKind, EffectHandler } from '../../runtime/index.ts';
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
// max_deliver equal to the number of backoff steps: the consumer redelivers after ack_wait_ms only.
const OPTIONS = { max_deliver: 3 };

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
});

test.after(async () => {
  await cleanup.run();
  await nc.close();
  await server.cleanup();
});

const applied = async (kind: string, key = 'k') =>
  (await readRecord(nc, kind, key))?.machine.context.applied ?? [];

test('drain - queued work for several instances finishes and is acked; the next host does the rest exactly once', async () => {
  const step: EffectHandler = async () => {
    await sleep(40);
    return 'ok';
  };
  const acked = new Set<string>();
  const kind = ledgerKind('drainer', { effects: { step } });
  const first = cleanup.add(
    await startHost(nc, kind, {
      hostId: 'first',
      options: OPTIONS,
      hooks: { beforeAck: ({ msg_id }) => void acked.add(msg_id) },
    }),
    (h) => h.stop(),
  );
  const keys = ['k1', 'k2', 'k3', 'k4'];
  for (let n = 0; n < 6; n++) {
    for (const k of keys)
      await sendCommand(nc, 'drainer', 'EchoRequest', { text: `${k}/effect:step`, n });
  }
  await waitFor(() => first.stats.processed >= 4);
  const started = Date.now();
  await first.drain();
  assert.ok(Date.now() - started < 5_000, 'drained within drain_timeout_ms');
  assert.equal(first.state, 'stopped');
  let appliedByFirst = 0;
  for (const k of keys) appliedByFirst += (await applied('drainer', k)).length;
  assert.equal(first.stats.processed, appliedByFirst, 'everything applied was counted');
  assert.equal(acked.size, appliedByFirst, 'everything applied was acked before drain returned');
  const after = first.stats.processed;
  await sleep(300);
  assert.equal(first.stats.processed, after, 'nothing processed after drain');

  const second = cleanup.add(
    await startHost(nc, kind, { hostId: 'second', options: OPTIONS }),
    (h) => h.stop(),
  );
  await waitIdle(nc, 'drainer', 15_000);
  for (const k of keys)
    assert.equal(await applied('drainer', k), [0, 1, 2, 3, 4, 5], `${k}: each once, in order`);
  assert.equal(first.stats.processed + second.stats.processed, 24);
  assert.equal((await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'drainer'))).length, 0);
  await second.drain();
});

test('stop - a message in flight when the host stops is neither lost nor half-applied', async () => {
  let started = false;
  const slow: EffectHandler = async () => {
    started = true;
    await sleep(400);
    return 'slow result';
  };
  const kind = ledgerKind('stopper', { effects: { slow } });
  const first = cleanup.add(await startHost(nc, kind, { hostId: 'first', options: OPTIONS }), (h) =>
    h.stop(),
  );
  await sendCommand(nc, 'stopper', 'EchoRequest', { text: 'k/effect:slow', n: 1 });
  await waitFor(() => started);
  first.stop(); // stop, not drain: unacked work must come back to another host
  await sleep(600); // the effect finishes in the stopped host
  const second = cleanup.add(
    await startHost(nc, kind, { hostId: 'second', options: OPTIONS }),
    (h) => h.stop(),
  );
  const done = await waitFor(async () => (await applied('stopper')).length === 1, 5_000).catch(
    () => false,
  );
  const rec = await readRecord(nc, 'stopper', 'k');
  assert.ok(
    done,
    `message lost: stored state ${JSON.stringify(rec?.machine.value)} (status ${rec?.machine.status}), ` +
      `applied ${JSON.stringify(rec?.machine.context.applied)}, seen ${rec?.seen.length}, ` +
      `still queued ${await storedCommands(nc, 'stopper')}`,
  );
  await second.drain();
});

test('resilience - a publish that fails once does not wedge the instance', async () => {
  const evt = subjects.evt(SITE, 'wedge', 'applied');
  let failures = 0;
  const faulty = faultyConnection(nc, (subject) => {
    if (subject !== evt || failures > 0) return 'pass';
    failures++;
    return 'fail'; // e.g. a JetStream publish timeout during a leader election
  });
  const host = cleanup.add(
    await startHost(faulty, ledgerKind('wedge'), { options: OPTIONS }),
    (h) => h.stop(),
  );
  await sendCommand(nc, 'wedge', 'EchoRequest', { text: 'k/x', n: 1 });
  await waitFor(() => failures === 1);
  await sendCommand(nc, 'wedge', 'EchoRequest', { text: 'k/x', n: 2 });
  // m1 comes back after ack_wait_ms (2 s) and is recognised as processed; m2 is new.
  const ok = await waitFor(async () => (await applied('wedge')).length === 2, 6_000).catch(
    () => false,
  );
  assert.ok(
    ok,
    `instance stuck: applied ${JSON.stringify(await applied('wedge'))}, processed=${host.stats.processed}, duplicates=${host.stats.duplicates}`,
  );
  await waitIdle(nc, 'wedge');
  const evts = await readStream(nc, STREAMS.evt, evt);
  assert.equal(evts.map((e) => (e.envelope.payload as { n: number }).n).sort(), [1, 2]);
  await host.drain();
});

test('intake - a message whose instance key cannot be computed is dead-lettered, not left to time out', async () => {
  const base = ledgerKind('keyless');
  const kind: ActorKind = {
    ...base,
    key: (env) => {
      const text = (env.payload as { text: string }).text;
      if (!text.includes('/')) throw new Error('no instance key in the message');
      return text.slice(0, text.indexOf('/'));
    },
  };
  const host = cleanup.add(await startHost(nc, kind, { options: OPTIONS }), (h) => h.stop());
  await sendCommand(nc, 'keyless', 'EchoRequest', { text: 'no-key', n: 1 });
  await sendCommand(nc, 'keyless', 'EchoRequest', { text: 'k/x', n: 2 });
  await waitFor(async () => (await applied('keyless')).length === 1);
  const dlq = await waitFor(async () => {
    const d = await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'keyless'));
    return d.length > 0 ? d : undefined;
  }, 4_000).catch(() => []);
  assert.equal(
    dlq.length,
    1,
    `not dead-lettered (dead_lettered=${host.stats.dead_lettered}, still queued ${await storedCommands(nc, 'keyless')})`,
  );
  await host.drain();
});

test.run();
