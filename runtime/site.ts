import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from './logger.ts';
import { type EmbeddedServer, startNatsServer } from './nats-server.ts';
import { provisionSite } from './provision.ts';
import { type Ledger, openLedger } from './stardust/index.ts';

/** The nats section of the configuration, as the runtime needs it. */
export interface SiteNatsOptions {
  url?: string;
  server_bin?: string;
  sync_interval: string;
  js_max_mem: string;
  js_max_file: string;
  connect_timeout_ms: number;
  user?: string;
  pass?: string;
}

export interface SiteOptions {
  site: string;
  dataDir: string;
  nats: SiteNatsOptions;
  duplicateWindowMs: number;
  effectsTtlMs: number;
  replicas?: number;
  log: Logger;
}

export interface SiteConnection {
  readonly nc: NatsConnection;
  /** The site's Stardust ledger, shared by every actor host of this process. */
  readonly ledger: Ledger;
  /** Present when the runtime started its own server. */
  readonly server: EmbeddedServer | undefined;
  close(): Promise<void>;
}

/**
 * Connects a site: to `nats.url` when given, otherwise to an embedded nats-server
 * (loopback, JetStream, store under the data directory). Provisions the site's streams
 * and buckets, idempotently.
 */
export async function openSite(o: SiteOptions): Promise<SiteConnection> {
  let server: EmbeddedServer | undefined;
  let url = o.nats.url;
  if (!url) {
    server = await startNatsServer({
      dir: join(o.dataDir, 'nats'),
      ...(o.nats.server_bin ? { bin: o.nats.server_bin } : {}),
      syncInterval: o.nats.sync_interval,
      jsMaxMem: o.nats.js_max_mem,
      jsMaxFile: o.nats.js_max_file,
      domain: o.site,
    });
    url = server.url;
    o.log.info({ url, version: server.version, pid: server.pid }, 'embedded nats-server started');
  }
  const nc = await connect({
    servers: url,
    timeout: o.nats.connect_timeout_ms,
    name: `omniva-${o.site}`,
    // Async traces build an Error per request to keep the caller's stack; on the hot path
    // that cost more than everything else the client does.
    noAsyncTraces: true,
    ...(o.nats.user ? { user: o.nats.user, pass: o.nats.pass ?? '' } : {}),
  }).catch(async (e) => {
    await server?.stop();
    throw e;
  });
  await provisionSite(nc, await jetstreamManager(nc), {
    site: o.site,
    replicas: o.replicas ?? 1,
    duplicateWindowMs: o.duplicateWindowMs,
    effectsTtlMs: o.effectsTtlMs,
  });
  const ledger = await openLedger(nc, { site: o.site, replicas: o.replicas ?? 1, log: o.log });
  return {
    nc,
    server,
    ledger,
    async close() {
      await ledger.close().catch(() => undefined);
      await nc.drain().catch(() => undefined);
      await server?.stop();
    },
  };
}
