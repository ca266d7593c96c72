import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedServer, startNatsServer } from '../../runtime/index.ts';

export interface TestServer extends EmbeddedServer {
  readonly dir: string;
  /** Stops the server and removes its directory. */
  cleanup(): Promise<void>;
}

/** A real nats-server with JetStream on a free loopback port, in its own temp directory. */
export async function startTestServer(
  opts: { domain?: string; dir?: string } = {},
): Promise<TestServer> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'omniva-test-'));
  const server = await startNatsServer({ dir, domain: opts.domain ?? 'test', jsMaxFile: '1G' });
  if (server.port === 4222) throw new Error('test server must never use 4222');
  return Object.assign(server, {
    dir,
    async cleanup() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export function tempDir(prefix = 'omniva-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Polls `fn` until it returns a truthy value or the time runs out. */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 10_000,
  stepMs = 25,
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as Exclude<T, undefined | null | false>;
    if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
