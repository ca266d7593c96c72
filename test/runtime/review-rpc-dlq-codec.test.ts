// Review suite: DLQ dedupe across a crash, request/reply across hosts, mixed codecs.
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OmnivaError, subjects } from '../../protocols/index.ts';
import { SiteClient } from '../../runtime/index.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import {
  Cleanup,
  faultyConnection,
  ledgerKind,
  readRecord,
  storedCommands,
  waitIdle,
} from '../support/review-kit.ts';
import {
  connectSite,
  readStream,
  SITE,
  STREAMS,
  sendCommand,
  sendRaw,
  startHost,
} from '../support/site.ts';

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

test('dlq - a malformed message redelivered after a crash between dead-lettering and term is one DLQ entry', async () => {
  const dlqSubject = subjects.dlq(SITE, 'dlq-once');
  let crashed = false;
  // Host A publishes the DLQ record, then dies before it can terminate the message.
  const ncA = cleanup.add(await connectSite(server.url), (c) => c.close());
  const faulty = faultyConnection(ncA, (subject) => {
    if (subject !== dlqSubject) return 'pass';
    crashed = true;
    return 'pass-then-hang';
  });
  const a = cleanup.add(await startHost(faulty, ledgerKind('dlq-once'), { hostId: 'a' }), (h) =>
    h.stop(),
  );
  await sendRaw(
    nc,
    'dlq-once',
    new TextEncoder().encode('{"half": "a document'),
    'application/json',
  );
  await waitFor(() => crashed);
  a.stop();
  const b = cleanup.add(await startHost(nc, ledgerKind('dlq-once'), { hostId: 'b' }), (h) =>
    h.stop(),
  );
  await waitFor(() => b.stats.dead_lettered === 1, 8_000);
  await waitIdle(nc, 'dlq-once');
  const dlq = await readStream(nc, STREAMS.dlq, dlqSubject);
  assert.equal(dlq.length, 1, 'the second rejection was deduplicated by its Nats-Msg-Id');
  const p = dlq[0]!.envelope.payload as { reason_code: string; delivery_count: number };
  assert.equal(p.reason_code, 'OMNIVA_ERR_DECODE');
  assert.equal(p.delivery_count, 1, 'the stored record is the first one');
  assert.equal(await storedCommands(nc, 'dlq-once'), 0, 'terminated by the second host');
  await b.drain();
});

test('rpc - an unknown verb answers OMNIVA_ERR_UNKNOWN_TYPE and dead-letters nothing', async () => {
  const host = cleanup.add(await startHost(nc, ledgerKind('rpc-verbs')), (h) => h.stop());
  const client = new SiteClient(nc, SITE);
  const err = await client
    .request('rpc-verbs', 'explode', 'StatusQuery', { instance_key: 'k' }, 2_000)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(OmnivaError.is(err), `expected an OmnivaError, got ${String(err)}`);
  assert.equal(err.code, 'OMNIVA_ERR_UNKNOWN_TYPE');
  assert.match(err.message, /explode/);
  const ok = await client.request('rpc-verbs', 'status', 'StatusQuery', { instance_key: 'k' });
  assert.equal(ok.type, 'StatusReply', 'the known verb still answers');
  assert.equal((await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'rpc-verbs'))).length, 0);
  await host.drain();
});

test('rpc - every host answers from the latest state, including writes made by the other host', async () => {
  const kind = ledgerKind('rpc-shared');
  const ncB = cleanup.add(await connectSite(server.url), (c) => c.close());
  const a = cleanup.add(await startHost(nc, kind, { hostId: 'a' }), (h) => h.stop());
  const b = cleanup.add(await startHost(ncB, kind, { hostId: 'b' }), (h) => h.stop());
  const client = new SiteClient(nc, SITE, { codec: 'json' });
  const ask = async () => {
    const r = await client.request('rpc-shared', 'status', 'StatusQuery', { instance_key: 'k' });
    return ((r.payload as { context: { applied: number[] } }).context.applied ?? []).length;
  };
  const round = async (expected: number) => {
    // The queue group spreads requests over both hosts; 20 reach each with near certainty.
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await ask());
    assert.equal(answers, Array(20).fill(expected), `answers ${answers.join(',')}`);
  };
  for (let n = 1; n <= 3; n++)
    await sendCommand(nc, 'rpc-shared', 'EchoRequest', { text: 'k/x', n });
  await waitIdle(nc, 'rpc-shared');
  await round(3); // both hosts now hold the instance in memory
  for (let n = 4; n <= 6; n++)
    await sendCommand(nc, 'rpc-shared', 'EchoRequest', { text: 'k/x', n });
  await waitIdle(nc, 'rpc-shared');
  await round(6); // one of them did not write the last revision
  assert.equal(a.stats.processed + b.stats.processed, 6);
  await Promise.all([a.drain(), b.drain()]);
});

test('codec - a JSON host and a msgpack host on one site continue each other and read each other', async () => {
  const kind = ledgerKind('mixed');
  const json = cleanup.add(await startHost(nc, kind, { hostId: 'j', codec: 'json' }), (h) =>
    h.stop(),
  );
  for (let n = 1; n <= 3; n++) {
    const codec = n % 2 ? 'msgpack' : 'json';
    await sendCommand(nc, 'mixed', 'EchoRequest', { text: 'k/x', n }, { codec });
  }
  await waitIdle(nc, 'mixed');
  await json.drain();
  const pack = cleanup.add(await startHost(nc, kind, { hostId: 'm', codec: 'msgpack' }), (h) =>
    h.stop(),
  );
  for (let n = 4; n <= 6; n++) {
    const codec = n % 2 ? 'msgpack' : 'json';
    await sendCommand(nc, 'mixed', 'EchoRequest', { text: 'k/x', n }, { codec });
  }
  await waitIdle(nc, 'mixed');
  assert.equal((await readRecord(nc, 'mixed', 'k'))?.machine.context.applied, [1, 2, 3, 4, 5, 6]);
  const evts = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'mixed', 'applied'));
  assert.equal(
    evts.map((e) => [(e.envelope.payload as { n: number }).n, e.headers['Content-Type']]),
    [
      [1, 'application/json'],
      [2, 'application/json'],
      [3, 'application/json'],
      [4, 'application/msgpack'],
      [5, 'application/msgpack'],
      [6, 'application/msgpack'],
    ],
  );
  for (const codec of ['json', 'msgpack'] as const) {
    const r = await new SiteClient(nc, SITE, { codec }).request('mixed', 'status', 'StatusQuery', {
      instance_key: 'k',
    });
    const applied = (r.payload as { context: { applied: number[] } }).context.applied;
    assert.equal(applied.length, 6, `a ${codec} client reads the msgpack host's reply`);
  }
  await pack.drain();
});

test.run();
