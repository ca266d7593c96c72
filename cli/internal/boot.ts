import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import {
  type ConfigOverrides,
  loadConfig,
  logSlice,
  natsSlice,
  type OmnivaConfig,
  runtimeSlice,
} from '../../config/index.ts';
import {
  ActorHost,
  type ActorKind,
  createLogger,
  type Logger,
  openSite,
  type SiteConnection,
} from '../../runtime/index.ts';

export interface Booted {
  config: Readonly<OmnivaConfig>;
  log: Logger;
  site: SiteConnection;
  hosts: ActorHost[];
  /** Drains every host, then closes the connection and any embedded server. */
  shutdown(): Promise<void>;
}

/** Loads the config once and opens the site; logs go to `<data_dir>/logs/omniva.log`. */
export async function bootSite(opts: {
  configFile?: string;
  overrides?: ConfigOverrides;
}): Promise<Omit<Booted, 'hosts' | 'shutdown'>> {
  const config = loadConfig({
    ...(opts.configFile ? { file: opts.configFile } : {}),
    ...(opts.overrides ? { overrides: opts.overrides } : {}),
  });
  const logDir = join(config.data_dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const log = createLogger({
    ...logSlice(config),
    destination: pino.destination({ dest: join(logDir, 'omniva.log'), sync: false, mkdir: true }),
  });
  const rt = runtimeSlice(config);
  const site = await openSite({
    site: config.site_id,
    dataDir: config.data_dir,
    nats: natsSlice(config),
    duplicateWindowMs: rt.duplicate_window_ms,
    effectsTtlMs: rt.effects_ttl_ms,
    log,
  });
  return { config, log, site };
}

/** Starts one host per actor kind on the booted site. */
export async function startHosts(
  b: Omit<Booted, 'hosts' | 'shutdown'>,
  kinds: ActorKind[],
): Promise<Booted> {
  const hosts: ActorHost[] = [];
  for (const kind of kinds) {
    const host = new ActorHost(
      {
        nc: b.site.nc,
        site: b.config.site_id,
        hostId: b.config.host_id,
        codec: b.config.codec,
        log: b.log,
        options: runtimeSlice(b.config),
        ledger: b.site.ledger,
      },
      kind,
    );
    await host.start();
    hosts.push(host);
  }
  return {
    ...b,
    hosts,
    async shutdown() {
      await Promise.all(hosts.map((h) => h.drain()));
      await b.site.close();
      b.log.flush?.();
    },
  };
}
