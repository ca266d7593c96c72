import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subjects } from '../../protocols/index.ts';
import { startTestServer, type TestServer, tempDir, waitFor } from '../support/nats.ts';
import { connectSite, readStream, SITE, STREAMS, sendCommand } from '../support/site.ts';

let server: TestServer;
let nc: NatsConnection;
const CREATOR = '9d7c1f0e-5a44-4b1e-8f7e-0c1d2e3f4a5b';

function spawnHost(receiptsDir: string, env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/host-process.ts', server.url, receiptsDir],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    output: () => out,
    ready: () => waitFor(() => out.includes('ready'), 20_000),
  };
}

function lines(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'receipts.log'), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
});

test.after(async () => {
  await nc.close();
  await server.cleanup();
});

test('crash - a host killed between the side effect and the ack does not repeat it after redelivery', async () => {
  const dir = tempDir();
  const first = spawnHost(dir, { CRASH_BEFORE_ACK: '1' });
  await first.ready();
  const t = {
    task_id: crypto.randomUUID(),
    creator_id: CREATOR,
    text: 'exactly once',
    requested_at: '2026-11-22T10:00:00Z',
  };
  await sendCommand(nc, 'task-tracker', 'SampleTask', t);
  const exit = await first.exited;
  assert.equal(exit.signal, 'SIGKILL', 'the first host died before acking');
  assert.equal(lines(dir).length, 1, 'the side effect happened once before the crash');

  const second = spawnHost(dir);
  await second.ready();
  // The unacked message is redelivered after ack_wait (2 s in tests).
  const events = await waitFor(async () => {
    const e = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'task-tracker', 'task_done'));
    return e.length > 0 ? e : undefined;
  }, 15_000);
  await waitFor(async () => {
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const info = await (await jetstreamManager(nc)).consumers.info(STREAMS.cmd, 'task-tracker');
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }, 15_000);
  assert.equal(lines(dir).length, 1, 'no second receipt after redelivery');
  assert.equal(events.length, 1, 'the event was published once (deduplicated by Nats-Msg-Id)');
  assert.equal((events[0]!.envelope.payload as { task_id: string }).task_id, t.task_id);
  second.child.kill('SIGTERM');
  const done = await second.exited;
  assert.equal(done.code, 0);
  assert.match(
    second.output(),
    /drained processed=0/,
    'the redelivery was recognised as a duplicate',
  );
});

test('crash - a host killed mid-batch (snapshot written, events published, nothing acked) repeats nothing', async () => {
  const dir = tempDir();
  // Queued before the host starts: they arrive together and go through one snapshot write; the
  // host dies at the batch's first ack.
  const creator = crypto.randomUUID();
  const tasks = Array.from({ length: 6 }, (_, i) => ({
    task_id: crypto.randomUUID(),
    creator_id: creator,
    text: `batched ${i}`,
    requested_at: '2026-11-22T10:00:00Z',
  }));
  for (const t of tasks) await sendCommand(nc, 'task-tracker', 'SampleTask', t);
  const first = spawnHost(dir, { CRASH_BEFORE_ACK: '1' });
  const exit = await first.exited;
  assert.equal(exit.signal, 'SIGKILL', 'the first host died before acking');
  const before = lines(dir).length;
  assert.ok(before >= 1, 'side effects happened before the crash');

  const second = spawnHost(dir);
  await second.ready();
  const ids: string[] = tasks.map((t) => t.task_id);
  const events = await waitFor(async () => {
    const e = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'task-tracker', 'task_done'));
    const mine = e.filter((x) => ids.includes((x.envelope.payload as { task_id: string }).task_id));
    return mine.length >= tasks.length ? mine : undefined;
  }, 20_000);
  await waitFor(async () => {
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const info = await (await jetstreamManager(nc)).consumers.info(STREAMS.cmd, 'task-tracker');
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }, 15_000);
  const receipts = lines(dir);
  assert.equal(receipts.length, tasks.length, 'one receipt per task, none repeated');
  assert.equal(
    events.map((e) => (e.envelope.payload as { task_id: string }).task_id).sort(),
    [...ids].sort(),
    'one event per task (a republished one is dropped by Nats-Msg-Id)',
  );
  second.child.kill('SIGTERM');
  await second.exited;
  const processed = Number(/drained processed=(\d+)/.exec(second.output())?.[1]);
  assert.equal(
    processed,
    tasks.length - before,
    'the second host processed only what the first had not (the rest were duplicates)',
  );
});

test('crash - SIGTERM drains: the message in flight finishes and is acked before exit', async () => {
  const dir = tempDir();
  const host = spawnHost(dir, { SLOW_EFFECT_MS: '800' });
  await host.ready();
  const t = {
    task_id: crypto.randomUUID(),
    creator_id: CREATOR,
    text: 'drain me',
    requested_at: '2026-11-22T10:00:00Z',
  };
  await sendCommand(nc, 'task-tracker', 'SampleTask', t);
  await waitFor(() => host.output().includes('effect-started'), 10_000);
  (host.child as ChildProcess).kill('SIGTERM');
  const exit = await host.exited;
  assert.equal(exit.code, 0);
  assert.match(host.output(), /drained processed=1/);
  assert.equal(lines(dir).length, 1);
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const info = await (await jetstreamManager(nc)).consumers.info(STREAMS.cmd, 'task-tracker');
  assert.equal(info.num_ack_pending, 0, 'nothing left unacked');
  assert.equal(info.num_pending, 0);
});

test.run();
