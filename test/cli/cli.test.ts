import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tempDir, waitFor } from '../support/nats.ts';

const CLI = 'cli/omniva.mjs';

function omniva(args: string[], env: Record<string, string> = {}, timeout = 60_000) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout,
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

test('cli - demo runs the whole pipeline unattended and its best clip holds the planted highlight', () => {
  const dir = tempDir();
  const r = omniva(['demo', '--data-dir', dir], {}, 170_000);
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  assert.match(r.out, /embedded nats-server 2\.\d+/);
  for (const stage of [
    'ingested',
    'analysed',
    'Pantheon',
    'Zenith promoted',
    'Chorus',
    'rendered',
    'scheduled',
    'published',
  ])
    assert.ok(r.out.includes(stage), `progress shows ${stage}`);
  const summary = JSON.parse(readFileSync(join(dir, 'run_summary.json'), 'utf8'));
  assert.equal(summary.ok, true);
  assert.equal(summary.errors, []);
  assert.ok(summary.counts.published >= 1 && summary.counts.dead_lettered === 0);
  for (const stage of [
    'ingest',
    'analyze',
    'vote',
    'promote',
    'edit',
    'metadata',
    'schedule',
    'publish',
  ])
    assert.type(summary.stage_ms[stage], 'number', `stage ${stage} timed`);
  // The fixture plants a louder stretch that opens on a hook; the best clip must hold it.
  const manifest = JSON.parse(readFileSync(join(dir, 'sample', 'manifest.json'), 'utf8'));
  const { start_ms, end_ms } = manifest.sets.talk.highlight;
  assert.ok(
    summary.best.start_time <= start_ms / 1000 + 0.01,
    `best starts ${summary.best.start_time}`,
  );
  assert.ok(summary.best.end_time >= end_ms / 1000 - 0.01, `best ends ${summary.best.end_time}`);
  const clip = summary.clips[0];
  assert.ok(statSync(clip.file).size > 100_000, 'the clip file is there');
  assert.match(readFileSync(summary.gallery, 'utf8'), new RegExp(clip.clip_id));
  // HaloLux explains it, every step cited.
  assert.ok(summary.explanation.completeness >= 0.8);
  for (const step of summary.explanation.chain) assert.ok(step.stardust_ids.length > 0);
  assert.match(r.out, /HaloLux on the best clip/);
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
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor(() => out.includes('running on'), 30_000);
  child.kill('SIGTERM');
  // Bounded, so a run that does not drain fails here with its output and log, not at the
  // file's time limit with nothing to read.
  const code = await Promise.race([exited, delay(30_000).then(() => 'still running' as const)]);
  const log = readFileSync(join(dir, 'logs', 'omniva.log'), 'utf8');
  if (code === 'still running') child.kill('SIGKILL');
  assert.equal(code, 0, `omniva run after SIGTERM: ${code}\n${out}\n${log.slice(-4000)}`);
  assert.match(log, /"msg":"drained"/);
});

test.run();
