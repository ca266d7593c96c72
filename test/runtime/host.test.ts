import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { taskTrackerKind } from '../../actors/sample/index.ts';
import { decode, encode, makeEnvelope, subjects } from '../../protocols/index.ts';
import { encodeEnvelope } from '../../runtime/internal/outbound.ts';
import { startTestServer, type TestServer, tempDir, waitFor } from '../support/nats.ts';
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
let dir: string;
const CREATOR = '5b0e3c1e-7a1f-4c47-9a0b-2d8f1f1e2a01';

function task(text: string, creator = CREATOR) {
  return {
    task_id: crypto.randomUUID(),
    creator_id: creator,
    text,
    requested_at: '2026-11-22T10:00:00Z',
  };
}

function receipts(): string[] {
  try {
    return readFileSync(join(dir, 'receipts', 'receipts.log'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
}

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
  dir = tempDir();
});

test.after(async () => {
  await nc.close();
  await server.cleanup();
});

test('host - a processed message changes the actor state and publishes its event', async () => {
  const host = await startHost(nc, taskTrackerKind({ receiptsDir: join(dir, 'receipts') }));
  const sent = await sendCommand(nc, 'task-tracker', 'SampleTask', task('hello actor world'));
  const events = await waitFor(async () => {
    const e = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'task-tracker', 'task_done'));
    return e.length === 1 ? e : undefined;
  });
  const view = await host.inspect(CREATOR);
  assert.equal((view.context as { total: number }).total, 1);
  assert.equal((view.context as { words: number }).words, 3);
  const evt = events[0]!;
  assert.equal(evt.envelope.type, 'SampleTaskDone');
  assert.equal(evt.envelope.trace_id, sent.trace_id, 'the event continues the command trace');
  assert.equal(evt.envelope.causation_id, sent.msg_id);
  assert.equal(evt.headers['Omniva-Type'], 'SampleTaskDone');
  assert.equal(evt.headers['Omniva-Trace'], sent.trace_id);
  assert.equal(evt.headers['Nats-Msg-Id'], evt.envelope.msg_id);
  assert.equal(receipts().length, 1);
  await host.drain();
});

test('host - a new host process restores the stored state', async () => {
  const host = await startHost(nc, taskTrackerKind({ receiptsDir: join(dir, 'receipts') }));
  const before = await host.inspect(CREATOR);
  assert.equal((before.context as { total: number }).total, 1, 'state restored from KV');
  await sendCommand(nc, 'task-tracker', 'SampleTask', task('two more'));
  await waitFor(
    async () => ((await host.inspect(CREATOR)).context as { total: number }).total === 2,
  );
  await host.drain();
});

test('host - malformed messages go to the DLQ with a reason while the next good one is processed', async () => {
  const host = await startHost(nc, taskTrackerKind({ receiptsDir: join(dir, 'receipts') }));
  await sendRaw(nc, 'task-tracker', new Uint8Array([0xc1, 0xff, 0x00]), 'application/msgpack');
  await sendRaw(
    nc,
    'task-tracker',
    new TextEncoder().encode('{"not": "an envelope"'),
    'application/json',
  );
  const invalid = makeEnvelope({
    type: 'SampleTask',
    site_id: SITE,
    payload: { ...task('x'), text: '' },
  });
  await sendRaw(nc, 'task-tracker', encode(invalid, 'json'), 'application/json');
  const future = {
    ...makeEnvelope({ type: 'SampleTask', site_id: SITE, payload: task('y') }),
    schema_version: '2.0.0',
  };
  await sendRaw(nc, 'task-tracker', encode(future, 'msgpack'), 'application/msgpack');
  const wrongType = makeEnvelope({ type: 'EchoRequest', site_id: SITE, payload: { text: 'hi' } });
  await sendRaw(nc, 'task-tracker', encode(wrongType, 'msgpack'), 'application/msgpack');
  await sendCommand(nc, 'task-tracker', 'SampleTask', task('still serving'));

  const dlq = await waitFor(async () => {
    const d = await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'task-tracker'));
    return d.length >= 5 ? d : undefined;
  });
  const codes = dlq.map((d) => (d.envelope.payload as { reason_code: string }).reason_code);
  assert.equal(codes, [
    'OMNIVA_ERR_DECODE',
    'OMNIVA_ERR_DECODE',
    'OMNIVA_ERR_SCHEMA_INVALID',
    'OMNIVA_ERR_VERSION_UNSUPPORTED',
    'OMNIVA_ERR_UNKNOWN_TYPE',
  ]);
  const schemaDlq = dlq[2]!.envelope.payload as {
    reason: string;
    violations: { pointer: string }[];
  };
  assert.ok(
    schemaDlq.violations.some((v) => v.pointer === '/payload/text'),
    'violation names the field',
  );
  const versionDlq = dlq[3]!.envelope.payload as { reason: string; original_data_b64: string };
  assert.match(versionDlq.reason, /1\./, 'says which versions are accepted');
  assert.equal(
    Buffer.from(versionDlq.original_data_b64, 'base64').equals(
      Buffer.from(encode(future, 'msgpack')),
    ),
    true,
    'the original bytes are kept',
  );
  assert.equal(dlq[0]!.headers['Omniva-Error-Code'], 'OMNIVA_ERR_DECODE');
  await waitFor(
    async () => ((await host.inspect(CREATOR)).context as { total: number }).total === 3,
  );
  // Rejected messages are terminated: the work queue is empty, nothing is redelivered forever.
  const ci = await waitFor(async () => {
    const info = await (await import('@nats-io/jetstream'))
      .jetstreamManager(nc)
      .then((m) => m.consumers.info(STREAMS.cmd, 'task-tracker'));
    return info.num_pending === 0 && info.num_ack_pending === 0 ? info : undefined;
  });
  assert.ok(ci);
  await host.drain();
});

test('host - a JSON-encoded command is decoded by its Content-Type (mixed fleets)', async () => {
  const host = await startHost(nc, taskTrackerKind({ receiptsDir: join(dir, 'receipts') }));
  await sendCommand(nc, 'task-tracker', 'SampleTask', task('json please'), { codec: 'json' });
  await waitFor(
    async () => ((await host.inspect(CREATOR)).context as { total: number }).total === 4,
  );
  await host.drain();
});

test('host - status answers over request/reply from the stored state', async () => {
  const host = await startHost(nc, taskTrackerKind({ receiptsDir: join(dir, 'receipts') }));
  const req = makeEnvelope({
    type: 'StatusQuery',
    site_id: SITE,
    payload: { instance_key: CREATOR },
  });
  const { data, headers } = encodeEnvelope(req, 'msgpack');
  const reply = await nc.request(subjects.rpc(SITE, 'task-tracker', 'status'), data, {
    headers,
    timeout: 2000,
  });
  const env = decode(reply.data, reply.headers?.get('Content-Type')) as {
    type: string;
    payload: { context: { total: number } };
  };
  assert.equal(env.type, 'StatusReply');
  assert.equal(env.payload.context.total, 4);
  const bad = await nc.request(
    subjects.rpc(SITE, 'task-tracker', 'status'),
    new TextEncoder().encode('{}'),
    {
      timeout: 2000,
    },
  );
  assert.equal(bad.headers?.get('Omniva-Error-Code'), 'OMNIVA_ERR_SCHEMA_INVALID');
  await host.drain();
});

test('host - two hosts of one kind share the work without processing a message twice', async () => {
  const kind = taskTrackerKind({ receiptsDir: join(dir, 'receipts-shared') });
  const a = await startHost(nc, kind, { hostId: 'a' });
  const b = await startHost(nc, kind, { hostId: 'b' });
  const creators = Array.from({ length: 8 }, () => crypto.randomUUID());
  const sent: string[] = [];
  const js = jetstream(nc);
  for (let i = 0; i < 80; i++) {
    const t = task(`task ${i}`, creators[i % creators.length]);
    sent.push(t.task_id);
    const env = makeEnvelope({ type: 'SampleTask', site_id: SITE, payload: t });
    const { data, headers } = encodeEnvelope(env, 'msgpack');
    await js.publish(subjects.cmd(SITE, 'task-tracker'), data, { headers, msgID: env.msg_id });
  }
  const lines = await waitFor(() => {
    try {
      const l = readFileSync(join(dir, 'receipts-shared', 'receipts.log'), 'utf8')
        .trim()
        .split('\n');
      return l.length >= 80 ? l : undefined;
    } catch {
      return undefined;
    }
  }, 20_000);
  await new Promise((r) => setTimeout(r, 300));
  const ids = lines.map((l) => l.split('\t')[0]);
  assert.equal(ids.length, 80, 'each task written exactly once');
  assert.equal(new Set(ids).size, 80);
  assert.equal(new Set(ids), new Set(sent));
  assert.ok(a.stats.processed > 0 && b.stats.processed > 0, 'both hosts took work');
  assert.equal(a.stats.processed + b.stats.processed, 80, 'no message processed twice');
  let total = 0;
  for (const c of creators) total += ((await a.inspect(c)).context as { total: number }).total;
  assert.equal(total, 80, 'every creator instance counted its tasks once');
  await Promise.all([a.drain(), b.drain()]);
});

test.run();
