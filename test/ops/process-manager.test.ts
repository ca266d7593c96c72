// The process manager behind restart_worker / drain_worker: one fixed argv, no shell, no
// inherited environment, and every way systemctl can fail becomes a clear failure.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  noProcessManager,
  systemctlArgv,
  systemdManager,
  workerUnit,
} from '../../ops-agent/index.ts';
import { tempDir, waitFor } from '../support/nats.ts';

const dir = tempDir('omniva-pm-');
const UNIT = 'omniva-worker@{worker}.service';

function script(name: string, body: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, ['#!/bin/sh', ...body, ''].join('\n'));
  chmodSync(file, 0o755);
  return file;
}

const live = () => new AbortController().signal;

/** How many calls a script has recorded (one line each). */
const count = (file: string) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};

async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string };
  }
  assert.unreachable('expected the action to fail');
  throw new Error('unreachable');
}

test('process manager - unit names come from the pattern and a checked worker token', () => {
  assert.is(workerUnit(UNIT, 'editor'), 'omniva-worker@editor.service');
  assert.is(workerUnit('worker-{worker}.service', 'a_b-1'), 'worker-a_b-1.service');
  for (const bad of ['', 'a b', '../x', 'x;reboot', 'editor.service', '$(id)']) {
    assert.throws(() => workerUnit(UNIT, bad), /is not a worker name/, bad);
  }
  assert.throws(() => workerUnit('{worker}.service', '-H'), /is not a unit name/);
  assert.equal(systemctlArgv('stop', 'omniva-worker@editor.service'), [
    '--no-ask-password',
    'stop',
    'omniva-worker@editor.service',
  ]);
});

test('process manager - systemctl runs with a fixed environment, not the agent’s', async () => {
  const seen = join(dir, 'env.txt');
  const bin = script('env-systemctl', [
    `printf '%s|%s' "\${OMNIVA_TEST_LEAK:-absent}" "$PATH" > '${seen}'`,
  ]);
  process.env.OMNIVA_TEST_LEAK = 'leaked';
  try {
    const pm = systemdManager({ systemctl: bin, unit: UNIT, host_id: 'h1' });
    assert.equal(await pm.restart({ worker: 'editor' }, live()), {
      unit: 'omniva-worker@editor.service',
      verb: 'restart',
      exit_code: 0,
    });
  } finally {
    delete process.env.OMNIVA_TEST_LEAK;
  }
  assert.is(readFileSync(seen, 'utf8'), 'absent|/usr/sbin:/usr/bin:/sbin:/bin');
});

test('process manager - a missing binary, a timeout and a shutdown each fail with the reason', async () => {
  const missing = systemdManager({ systemctl: join(dir, 'nope'), unit: UNIT, host_id: 'h1' });
  const gone = await failure(missing.restart({ worker: 'editor' }, live()));
  assert.is(gone.code, 'OMNIVA_ERR_EFFECT_FAILED');
  assert.is(gone.message, `cannot run ${join(dir, 'nope')} (ENOENT)`);

  const started = join(dir, 'started');
  const slow = script('slow-systemctl', [`echo x >> '${started}'`, 'sleep 5']);
  const pm = systemdManager({ systemctl: slow, unit: UNIT, host_id: 'h1' });
  const abort = new AbortController();
  const timedOut = failure(pm.drain({ worker: 'editor' }, abort.signal));
  await waitFor(() => count(started) === 1, 5_000);
  abort.abort('timeout');
  assert.is(
    (await timedOut).message,
    'systemctl stop omniva-worker@editor.service stopped: timeout',
  );

  const t0 = Date.now();
  const running = failure(pm.restart({ worker: 'editor' }, live()));
  await waitFor(() => count(started) === 2, 5_000);
  pm.abortAll('the ops agent is stopping');
  assert.is(
    (await running).message,
    'systemctl restart omniva-worker@editor.service stopped: the ops agent is stopping',
  );
  assert.ok(Date.now() - t0 < 4_000, 'the child was stopped, not waited for');
  const after = await failure(pm.restart({ worker: 'editor' }, live()));
  assert.match(after.message, /not started: the ops agent is stopping/);
});

test('process manager - without one, restart and drain fail and say how to configure it', async () => {
  const pm = noProcessManager();
  const e = await failure(pm.drain({ worker: 'editor' }, live()));
  assert.is(e.code, 'OMNIVA_ERR_EFFECT_FAILED');
  assert.is(
    e.message,
    'this host has no process manager to drain workers with (ops.process.manager: none)',
  );
});

test.run();
