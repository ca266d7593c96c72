import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { taskTrackerKind } from '../../actors/sample/index.ts';
import { encode, makeEnvelope } from '../../protocols/index.ts';
import { ActorHost, createLogger } from '../../runtime/index.ts';
import { startTestServer, type TestServer, tempDir, waitFor } from '../support/nats.ts';
import { connectSite, FAST_OPTIONS, SITE, sendCommand, sendRaw } from '../support/site.ts';

let server: TestServer;
let nc: NatsConnection;

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
});

test.after(async () => {
  await nc.close();
  await server.cleanup();
});

test('logging - message-related lines carry site_id, actor and trace_id', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  const log = createLogger({ level: 'debug', destination: sink });
  const host = new ActorHost(
    { nc, site: SITE, hostId: 'log-host', codec: 'msgpack', log, options: FAST_OPTIONS },
    taskTrackerKind({ receiptsDir: join(tempDir(), 'r') }),
  );
  await host.start();
  const sent = await sendCommand(nc, 'task-tracker', 'SampleTask', {
    task_id: crypto.randomUUID(),
    creator_id: crypto.randomUUID(),
    text: 'log me',
    requested_at: '2026-11-22T10:00:00Z',
  });
  const bad = makeEnvelope({ type: 'SampleTask', site_id: SITE, payload: { nope: true } as never });
  await sendRaw(nc, 'task-tracker', encode(bad, 'json'), 'application/json');
  const processed = await waitFor(() => lines.find((l) => l.msg === 'message processed'));
  const dead = await waitFor(() => lines.find((l) => l.msg === 'message dead-lettered'));
  await host.drain();
  for (const line of [processed, dead]) {
    assert.equal(line.site_id, SITE);
    assert.equal(line.actor, 'task-tracker');
  }
  assert.equal(processed.trace_id, sent.trace_id);
  assert.equal(dead.trace_id, bad.trace_id);
  assert.equal(dead.code, 'OMNIVA_ERR_SCHEMA_INVALID');
  const keys = Object.keys(processed);
  assert.equal(keys.filter((k) => k === 'site_id').length, 1);
});

test.run();
