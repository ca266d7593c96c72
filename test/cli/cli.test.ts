import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tempDir, waitFor } from '../support/nats.ts';

const CLI = 'cli/omniva.mjs';

function omniva(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('cli - every subcommand has --help', () => {
  const top = omniva(['--help']);
  assert.equal(top.code, 0);
  const commands = [...top.out.matchAll(/^ {2}([a-z-]+)\b/gm)]
    .map((m) => m[1] as string)
    .filter((c) => c !== 'help');
  for (const c of ['demo', 'run', 'validate', 'config'])
    assert.ok(commands.includes(c), `lists ${c}`);
  for (const c of [...commands, 'config keys', 'config show']) {
    const r = omniva([...c.split(' '), '--help']);
    assert.equal(r.code, 0, `${c} --help exits 0`);
    assert.match(r.out, /^Usage: omniva /m, `${c} --help prints usage`);
  }
});

test('cli - demo runs the main job end to end on an embedded site and writes run_summary.json', () => {
  const dir = tempDir();
  const r = omniva(['demo', '--data-dir', dir]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /embedded nats-server 2\.\d+/);
  const summary = JSON.parse(readFileSync(join(dir, 'run_summary.json'), 'utf8'));
  assert.equal(summary.ok, true);
  assert.equal(summary.counts, { sent: 3, done: 3, dead_lettered: 0 });
  assert.equal(summary.status.context.total, 3);
  assert.equal(summary.ledger, { packets: 3, chain: 'intact' }, 'every event is in the ledger');
  assert.equal(readFileSync(summary.receipts, 'utf8').trim().split('\n').length, 3);
  const logLines = readFileSync(join(dir, 'logs', 'omniva.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(
    logLines.some((l) => l.msg === 'embedded nats-server started' && l.site_id === 'local'),
  );
});

test('cli - a bad configuration value stops the start with a readable error naming its source', () => {
  const r = omniva(['demo', '--data-dir', tempDir()], { OMNIVA_RUNTIME__MAX_DELIVER: '0' });
  assert.equal(r.code, 1);
  assert.match(r.err, /runtime\.max_deliver.*OMNIVA_RUNTIME__MAX_DELIVER=0/);
});

test('cli - config keys lists every key with its environment variable', () => {
  const r = omniva(['config', 'keys']);
  assert.equal(r.code, 0);
  for (const k of ['site_id', 'nats.url', 'runtime.ack_wait_ms', 'OMNIVA_RUNTIME__ACK_WAIT_MS'])
    assert.match(r.out, new RegExp(k.replace('.', '\\.')));
});

test('cli - run serves until SIGTERM, then drains and exits 0', async () => {
  const dir = tempDir();
  const child = spawn(process.execPath, [CLI, 'run', '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor(() => out.includes('running on'), 30_000);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  const log = readFileSync(join(dir, 'logs', 'omniva.log'), 'utf8');
  assert.match(log, /"msg":"drained"/);
});

test.run();
