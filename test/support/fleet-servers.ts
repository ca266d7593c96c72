import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { findNatsServer } from '../../runtime/index.ts';

const handedOut = new Set<number>();

/**
 * A free loopback port (never 4222), and never one this process was given before: a port
 * just released can be handed out again at once, and two servers of one test would clash.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    if (port !== 4222 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export interface ConfServer {
  readonly name: string;
  readonly port: number;
  log(): string;
  stop(): Promise<void>;
  /** Starts it again on the same config, port and store (after stop). */
  restart(): Promise<ConfServer>;
}

async function accepting(port: number, deadline: number, child: ChildProcess, log: () => string) {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nats-server exited: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nats-server on ${port} did not start: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Runs nats-server on a config as rendered, with its secrets in the environment the way the
 * systemd unit's EnvironmentFile provides them. Only the JetStream store moves into `dir`:
 * every server of the test shares one machine.
 */
export async function startConfServer(o: {
  name: string;
  conf: string;
  port: number;
  env: Record<string, string>;
  dir: string;
}): Promise<ConfServer> {
  mkdirSync(o.dir, { recursive: true });
  const conf = o.conf.replace(/store_dir: ".*"/, `store_dir: ${JSON.stringify(join(o.dir, 'js'))}`);
  const file = join(o.dir, 'nats-server.conf');
  writeFileSync(file, conf);
  const child = spawn(findNatsServer(), ['-c', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...o.env },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await accepting(o.port, Date.now() + 15_000, child, () => stderr);
  return {
    name: o.name,
    port: o.port,
    log: () => stderr,
    restart: () => startConfServer(o),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}
