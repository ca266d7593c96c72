import { createHash } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { OmnivaError } from '../../protocols/index.ts';
import { type FixtureResult, generateFixtures } from '../../scripts/fixtures.ts';
import { tempDir } from '../support/nats.ts';

const dirs: string[] = [];

/** A temp directory removed by {@link cleanup} (and by the time bound, if it fires). */
export function mediaTempDir(prefix = 'omniva-media-'): string {
  const dir = tempDir(prefix);
  dirs.push(dir);
  return dir;
}

export function cleanup(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Ends the test file if it runs longer than `ms` (uvu has no per-file timeout): a hung ffmpeg
 * must fail the run, not stall it. Temp directories are removed on the way out.
 */
export function timeBound(ms: number): void {
  setTimeout(() => {
    process.stderr.write(`time bound: test file exceeded ${ms} ms\n`);
    cleanup();
    process.exit(1);
  }, ms).unref();
}

let shared: Promise<FixtureResult> | undefined;

/** The fixtures in `test/.fixtures/`: generated once, then reused (the generator skips). */
export function sharedFixtures(): Promise<FixtureResult> {
  shared ??= generateFixtures();
  return shared;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The OmnivaError a promise rejects with; fails the test when it resolves or throws anything else. */
export async function rejects(p: Promise<unknown>): Promise<OmnivaError> {
  let caught: unknown;
  try {
    await p;
  } catch (error) {
    caught = error;
  }
  if (!OmnivaError.is(caught)) assert.unreachable(`expected an OmnivaError, got ${String(caught)}`);
  return caught as OmnivaError;
}
