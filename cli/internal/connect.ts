import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type ConfigOverrides, loadConfig, type OmnivaConfig } from '../../config/index.ts';
import { createLogger, type Ledger, openLedger, STARDUST_STREAM } from '../../runtime/index.ts';
import { bootSite } from './boot.ts';

/** A CLI failure that is not a finding: bad usage, or the site cannot be read (exit 2). */
export class CliError extends Error {}

/** What the read-only commands (stardust, explain, media) take to find a site. */
export interface SiteCliOptions {
  site?: string;
  dataDir?: string;
  config?: string;
  url?: string;
}

/** The merged configuration for a CLI command, with its flags as overrides. */
export function cliConfig(opts: SiteCliOptions): {
  config: Readonly<OmnivaConfig>;
  overrides: ConfigOverrides;
} {
  const overrides: ConfigOverrides = {
    ...(opts.site ? { site_id: opts.site } : {}),
    ...(opts.dataDir ? { data_dir: opts.dataDir } : {}),
    ...(opts.url ? { nats: { url: opts.url } } : {}),
  };
  return {
    config: loadConfig({ ...(opts.config ? { file: opts.config } : {}), overrides }),
    overrides,
  };
}

/**
 * The URL of the embedded server `omniva run` started on this data directory, if it is still
 * running: two servers on one JetStream store would corrupt it, so the CLI joins it instead.
 */
export function runningEmbeddedUrl(dataDir: string): string | undefined {
  const dir = join(dataDir, 'nats', 'ports');
  if (!existsSync(dir)) return undefined;
  for (const file of readdirSync(dir)) {
    const pid = Number(/_(\d+)\.ports$/.exec(file)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
      const ports = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nats?: string[] };
      if (ports.nats?.[0]) return ports.nats[0];
    } catch {
      // a stale ports file of a server that is gone
    }
  }
  return undefined;
}

/** A connection to `url` with the configuration's NATS user, password and timeout. */
export function connectWithConfig(
  config: Readonly<OmnivaConfig>,
  url: string,
  name: string,
): Promise<NatsConnection> {
  return connect({
    servers: url,
    timeout: config.nats.connect_timeout_ms,
    name,
    noAsyncTraces: true,
    ...(config.nats.user ? { user: config.nats.user, pass: config.nats.pass ?? '' } : {}),
  });
}

/**
 * Connects to `nats.url`, else to the running embedded server of the data directory, else
 * starts one. Nothing is provisioned on a server found by URL: a wrong server or site then
 * shows up as a missing stream, not as an empty one.
 */
export async function connectForCli(
  opts: SiteCliOptions,
  name: string,
): Promise<{ nc: NatsConnection; config: Readonly<OmnivaConfig>; close(): Promise<void> }> {
  const { config, overrides } = cliConfig(opts);
  const url = config.nats.url ?? runningEmbeddedUrl(config.data_dir);
  if (url) {
    const nc = await connectWithConfig(config, url, name);
    return { nc, config, close: () => nc.close() };
  }
  const booted = await bootSite({ ...(opts.config ? { configFile: opts.config } : {}), overrides });
  return { nc: booted.site.nc, config, close: () => booted.site.close() };
}

/** The site's ledger for a CLI command; a site without one is a CliError. */
export async function openLedgerForCli(
  opts: SiteCliOptions,
  name: string,
): Promise<{ ledger: Ledger; site: string; close(): Promise<void> }> {
  const conn = await connectForCli(opts, name);
  const site = conn.config.site_id;
  // stdout carries the answer; anything the ledger logs goes to stderr.
  const log = createLogger({ level: conn.config.log.level, site_id: site, destination: 2 });
  const ledger = await openLedger(conn.nc, { site, log, provision: false }).catch(async (e) => {
    await conn.close();
    throw e;
  });
  const close = async () => {
    await ledger.close();
    await conn.close();
  };
  try {
    await ledger.store.state();
  } catch (e) {
    await close();
    if ((e as { name?: string }).name === 'StreamNotFoundError')
      throw new CliError(`site "${site}" has no ledger (no ${STARDUST_STREAM} stream)`);
    throw e;
  }
  return { ledger, site, close };
}
