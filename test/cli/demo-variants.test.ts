import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tempDir } from '../support/nats.ts';

/** Runs `omniva demo` with extra configuration; returns its output and run summary. */
function demo(config: object, env: Record<string, string> = {}) {
  const dir = tempDir();
  const file = join(dir, 'omniva.json');
  writeFileSync(file, JSON.stringify(config));
  const r = spawnSync(
    process.execPath,
    ['cli/omniva.mjs', 'demo', '--data-dir', join(dir, 'run'), '-c', file],
    {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 80_000,
    },
  );
  const summary = JSON.parse(readFileSync(join(dir, 'run', 'run_summary.json'), 'utf8'));
  return { code: r.status, out: `${r.stdout}\n${r.stderr}`, summary };
}

const hhmm = (d: Date) =>
  `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;

test('demo - a banned term in the clip holds it: nothing is published and the reason is recorded', () => {
  // "bakery" is spoken in the sample talk; with no replacement Chorus cannot clean it.
  const { code, out, summary } = demo({
    cognitive: { chorus: { banned_terms: ['bakery', 'paperwork'] } },
  });
  assert.is(code, 0, out);
  assert.is(summary.counts.published, 0);
  assert.is(summary.counts.held, 1);
  assert.match(summary.held[0], /Chorus flagged an unresolved compliance conflict/);
  assert.match(out, /Chorus held the clip/);
  assert.equal(summary.clips, []);
});

test('demo - an unreachable external voter is reported and the run completes; Horizon moves the slot into its window (Use Case 3)', () => {
  // The first slot Zenith asks for is an hour ahead; Horizon prefers a window three hours later.
  const from = new Date(Date.now() + 3 * 3_600_000);
  const to = new Date(from.getTime() + 3_600_000);
  const { code, out, summary } = demo({
    cognitive: {
      pantheon: { external_url: 'http://127.0.0.1:1', external_timeout_ms: 2_000 },
      horizon: { preferred_windows: [{ start: hhmm(from), end: hhmm(to) }] },
    },
  });
  assert.is(code, 0, out);
  assert.ok(summary.counts.published >= 1, out);
  assert.match(out, /Pantheon \(4 voters\)/, 'the four personas voted without the external one');
  assert.match(out, /Zenith reschedule: Horizon prefers/);
  const slot = new Date(summary.clips[0].scheduled_time);
  const minutes = slot.getUTCHours() * 60 + slot.getUTCMinutes();
  const start = from.getUTCHours() * 60 + from.getUTCMinutes();
  const inWindow = (minutes - start + 1440) % 1440 < 60;
  assert.ok(inWindow, `slot ${summary.clips[0].scheduled_time} in ${hhmm(from)}-${hhmm(to)}`);
  const external = summary.voters.find((v: { agent: string }) => v.agent === 'external_llm');
  assert.is(external?.status, 'failed', JSON.stringify(summary.voters));
});

test.run();
