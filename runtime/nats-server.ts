import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { OmnivaError } from '../protocols/index.ts';

const execFileAsync = promisify(execFile);

/** The oldest server this runtime accepts: 2.10 brought `sync_interval` and JetStream fixes we rely on. */
export const MIN_NATS_SERVER = [2, 10] as const;

const INSTALL_HINT =
  'Install nats-server >= 2.10: run `bash scripts/setup` (Debian/Ubuntu), or download a release ' +
  'from https://github.com/nats-io/nats-server/releases and put it on PATH or set nats.server_bin.';

export interface EmbeddedServerOptions {
  /** Directory for the server's config, JetStream store and ports file. */
  dir: string;
  /** Explicit binary; otherwise `nats-server` is looked up on PATH. */
  bin?: string;
  /** `default`, `always`, or a Go duration such as `2s` (JetStream fsync cadence). */
  syncInterval?: string;
  jsMaxMem?: string;
  jsMaxFile?: string;
  /** JetStream domain; sites use their site_id. */
  domain?: string;
  /** Fixed client port; by default the server picks a free one (never 4222 by accident). */
  port?: number;
  /** Extra configuration appended verbatim (cluster, leafnodes, accounts). */
  extraConfig?: string;
  startTimeoutMs?: number;
}

export interface EmbeddedServer {
  readonly url: string;
  readonly port: number;
  readonly version: string;
  readonly pid: number;
  readonly configFile: string;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** Kills the server at once, as a crash would. */
  kill(): void;
}

/** Finds a nats-server binary: explicit path first, then PATH. */
export function findNatsServer(bin?: string, pathEnv = process.env.PATH ?? ''): string {
  if (bin) {
    if (!existsSync(bin)) {
      throw new OmnivaError(
        'OMNIVA_ERR_NATS_SERVER_MISSING',
        `nats-server not found at ${bin}. ${INSTALL_HINT}`,
      );
    }
    return bin;
  }
  for (const dir of pathEnv.split(delimiter)) {
    const candidate = join(dir, 'nats-server');
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new OmnivaError(
    'OMNIVA_ERR_NATS_SERVER_MISSING',
    `nats-server is not on PATH. ${INSTALL_HINT}`,
  );
}

/** Parses `nats-server: v2.10.27` and rejects servers older than MIN_NATS_SERVER. */
export function checkNatsServerVersion(versionOutput: string): string {
  const m = versionOutput.match(/v?(\d+)\.(\d+)\.(\d+)/);
  if (!m) {
    throw new OmnivaError(
      'OMNIVA_ERR_NATS_SERVER_MISSING',
      `could not read the nats-server version from "${versionOutput.trim()}". ${INSTALL_HINT}`,
    );
  }
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const version = `${m[1]}.${m[2]}.${m[3]}`;
  const [wantMajor, wantMinor] = MIN_NATS_SERVER;
  if (major < wantMajor || (major === wantMajor && minor < wantMinor)) {
    throw new OmnivaError(
      'OMNIVA_ERR_NATS_SERVER_TOO_OLD',
      `nats-server ${version} is too old; ${wantMajor}.${wantMinor} or newer is required. ${INSTALL_HINT}`,
    );
  }
  return version;
}

export async function natsServerVersion(bin: string): Promise<string> {
  const { stdout, stderr } = await execFileAsync(bin, ['--version']);
  return checkNatsServerVersion(`${stdout}${stderr}`);
}

function renderConfig(opts: EmbeddedServerOptions, storeDir: string, portsDir: string): string {
  const js = [
    `  store_dir: ${JSON.stringify(storeDir)}`,
    `  max_memory_store: ${opts.jsMaxMem ?? '256M'}`,
    `  max_file_store: ${opts.jsMaxFile ?? '8G'}`,
  ];
  if (opts.domain) js.push(`  domain: ${JSON.stringify(opts.domain)}`);
  if (opts.syncInterval && opts.syncInterval !== 'default') {
    js.push(`  sync_interval: ${opts.syncInterval}`);
  }
  return [
    'host: 127.0.0.1',
    `port: ${opts.port ?? -1}`,
    'http: "127.0.0.1:-1"',
    `ports_file_dir: ${JSON.stringify(portsDir)}`,
    'max_payload: 8MB',
    `jetstream {\n${js.join('\n')}\n}`,
    opts.extraConfig ?? '',
  ].join('\n');
}

/** Reads the client URL the server wrote to its ports file (how we learn a random port). */
function readPortsFile(portsDir: string, pid: number): string | undefined {
  const file = readdirSync(portsDir).find((f) => f.endsWith(`_${pid}.ports`));
  if (!file) return undefined;
  try {
    const ports = JSON.parse(readFileSync(join(portsDir, file), 'utf8')) as { nats?: string[] };
    return ports.nats?.[0];
  } catch {
    return undefined; // written but not complete yet
  }
}

/** Starts a loopback-only nats-server with JetStream and waits until it accepts clients. */
export async function startNatsServer(opts: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const bin = findNatsServer(opts.bin);
  const version = await natsServerVersion(bin);
  const storeDir = join(opts.dir, 'jetstream');
  const portsDir = join(opts.dir, 'ports');
  mkdirSync(storeDir, { recursive: true });
  rmSync(portsDir, { recursive: true, force: true });
  mkdirSync(portsDir, { recursive: true });
  const configFile = join(opts.dir, 'nats-server.conf');
  writeFileSync(configFile, renderConfig(opts, storeDir, portsDir));

  const child: ChildProcess = spawn(bin, ['-c', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const pid = child.pid;
  if (pid === undefined) {
    throw new OmnivaError('OMNIVA_ERR_NATS_SERVER_START', `could not spawn ${bin}`);
  }

  const deadline = Date.now() + (opts.startTimeoutMs ?? 15_000);
  let url: string | undefined;
  while (!url) {
    if (child.exitCode !== null) {
      throw new OmnivaError(
        'OMNIVA_ERR_NATS_SERVER_START',
        `nats-server exited with code ${child.exitCode}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new OmnivaError('OMNIVA_ERR_NATS_SERVER_START', 'nats-server did not start in time');
    }
    url = readPortsFile(portsDir, pid);
    if (!url) await new Promise((r) => setTimeout(r, 20));
  }
  const port = Number(new URL(url).port);

  return {
    url,
    port,
    version,
    pid,
    configFile,
    kill() {
      child.kill('SIGKILL');
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
