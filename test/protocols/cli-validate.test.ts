import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listContracts } from '../../protocols/index.ts';
import { example } from './examples.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'omniva-validate-'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function omniva(args: string[], stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['cli/omniva.mjs', 'validate', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const badAnalysis = example('AnalysisResult');
Object.assign(badAnalysis.clip_candidates[0] ?? {}, { start_time: 5, end_time: 3 });
Object.assign(badAnalysis.clip_candidates[1] ?? {}, { start_time: 9.5, end_time: 2 });

// Every process starts at once: each pays the TypeScript loader's start-up, so running them
// side by side keeps the file within its time budget.
const runs = {
  valid: omniva(['ScraperJob', file('job.json', JSON.stringify(example('ScraperJob')))]),
  invalid: omniva(['AnalysisResult', file('analysis.json', JSON.stringify(badAnalysis))]),
  stdin: omniva(['SampleTask'], '[]'),
  list: omniva(['--list']),
  help: omniva(['--help']),
  unknown: omniva(['RenderJob', file('x.json', '{}')]),
  unparseable: omniva(['EchoRequest', file('broken.json', '{"text": ')]),
  missing: omniva(['EchoRequest', join(dir, 'absent.json')]),
};

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('cli validate - a conforming file prints valid and exits 0', async () => {
  const r = await runs.valid;
  assert.equal([r.code, r.stdout, r.stderr], [0, 'valid\n', '']);
});

test('cli validate - violations print one pointer line each and exit 1', async () => {
  const r = await runs.invalid;
  assert.is(r.code, 1);
  assert.is(
    r.stdout,
    '/clip_candidates/0/end_time: end_time (3) must be greater than start_time (5)\n' +
      '/clip_candidates/1/end_time: end_time (2) must be greater than start_time (9.5)\n',
  );
});

test('cli validate - reads standard input when no file is given', async () => {
  const r = await runs.stdin;
  assert.equal([r.code, r.stdout], [1, '/: must be an object\n']);
});

test('cli validate - --list names every contract with its version', async () => {
  const r = await runs.list;
  assert.is(r.code, 0);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(
    lines.map((l) => l.split(/\s+/)[0]),
    listContracts(),
  );
  for (const line of lines) assert.match(line, /^\w+ +1\.0\.0$/);
});

test('cli validate - --help describes the command and exits 0', async () => {
  const r = await runs.help;
  assert.is(r.code, 0);
  assert.match(r.stdout, 'Usage: omniva validate [options] [contract] [file]');
  assert.match(r.stdout, 'or - for standard input (default: "-")');
  assert.match(r.stdout, '--list');
});

test('cli validate - unknown contract, unparseable and unreadable input exit 2 with one line', async () => {
  const cases = [
    [await runs.unknown, 'unknown contract "RenderJob"'],
    [await runs.unparseable, `${join(dir, 'broken.json')} is not valid JSON`],
    [await runs.missing, `cannot read ${join(dir, 'absent.json')}`],
  ] as const;
  for (const [r, text] of cases) {
    assert.is(r.code, 2, r.stderr);
    assert.is(r.stdout, '');
    assert.is(r.stderr.trimEnd().split('\n').length, 1);
    assert.match(r.stderr, `omniva validate: ${text}`);
  }
});

test.run();
