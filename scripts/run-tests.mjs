#!/usr/bin/env node
// Runs every test file (test/**/*.test.ts) in its own Node process with a time bound,
// sums uvu's per-file totals and ends with the line "N passed, N failed".
// A skipped test counts as a failure: nothing lands skipped.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// Prints errors of uvu's before/after hooks, which uvu itself drops.
const HOOKS = './test/support/uvu-hooks.ts';
const FILE_TIMEOUT_MS = Number(process.env.OMNIVA_TEST_FILE_TIMEOUT_MS ?? 300_000);
const filter = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', HOOKS, file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => {
      out += `\n[run-tests] ${file} exceeded ${FILE_TIMEOUT_MS} ms, killed\n`;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const num = (label) => Number(out.match(new RegExp(`${label}:\\s+(\\d+)`))?.[1] ?? 0);
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped');
      resolve({ file, code, out, total, passed, skipped, ms: Date.now() - started });
    });
  });
}

const files = walk(join(root, 'test'))
  .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
  .sort();
let passed = 0;
let failed = 0;
for (const file of files) {
  const r = await runFile(file);
  const rel = relative(root, file);
  const fileFailed = r.total - r.passed - r.skipped + r.skipped;
  const broken = r.code !== 0 || r.total === 0 || fileFailed > 0;
  passed += r.passed;
  failed += broken ? Math.max(fileFailed, 1) : 0;
  const status = broken ? 'FAIL' : 'ok  ';
  process.stdout.write(`${status} ${rel} (${r.passed}/${r.total}, ${r.ms} ms)\n`);
  if (broken) process.stdout.write(`${r.out}\n`);
  // uvu's reporter reads `err.details` as a string; an error from a library whose `details` is an
  // object makes it stop silently: no failure printed and the rest of the file skipped.
  // (A failed before/after hook is printed by the hooks module above.)
  const hookFailed = /\[(before|after) hook\]/.test(r.out);
  if (broken && r.total > r.passed && !r.out.includes('FAIL ') && !hookFailed) {
    process.stdout.write(
      `[run-tests] ${rel}: a test threw an error uvu cannot print (its \`details\` is not a string); the tests after it did not run\n`,
    );
  }
}
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
