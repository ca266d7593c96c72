import { join } from 'node:path';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { OmnivaError } from '../protocols/index.ts';
import type { Logger } from './logger.ts';
import { type EmbeddedServer, startNatsServer } from './nats-server.ts';
import { provisionSite, STREAMS } from './provision.ts';
import { type Ledger, openLedger, STARDUST_STREAM } from './stardust/index.ts';

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
  let ledger: Ledger;
  try {
    ledger = await provisionAndOpenLedger(nc, o);
  } catch (e) {
    // Nothing opened so far may outlive the failure: a process that cannot open its site exits.
    await nc.close().catch(() => undefined);
    await server?.stop();
    throw e;
  }
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

const isPermissionViolation = (e: unknown) =>
  /permissions violation/i.test(String((e as Error)?.message ?? e));

/** The streams every process of a site uses; their absence is a clear, retryable error. */
async function requireProvisioned(jsm: JetStreamManager, site: string): Promise<void> {
  for (const name of [STREAMS.cmd, STREAMS.evt, STREAMS.dlq, STARDUST_STREAM]) {
    const info = await jsm.streams.info(name).catch(() => undefined);
    if (!info) {
      throw new OmnivaError(
        'OMNIVA_ERR_SITE_NOT_PROVISIONED',
        `site ${site} has no ${name} stream, and this user may not create it: start the site's zenith process first (it provisions the site)`,
        { site, stream: name },
      );
    }
  }
}

/** Provisions the site's streams (or, without the rights, checks they exist) and opens the ledger. */
async function provisionAndOpenLedger(nc: NatsConnection, o: SiteOptions): Promise<Ledger> {
  const jsm = await jetstreamManager(nc);
  const provisioned = await provisionSite(nc, jsm, {
    site: o.site,
    replicas: o.replicas ?? 1,
    duplicateWindowMs: o.duplicateWindowMs,
    effectsTtlMs: o.effectsTtlMs,
  }).then(
    () => true,
    async (e: unknown) => {
      // Only the zenith user may create streams (sites/permissions.ts): every other process
      // of a deployed site uses what its zenith provisioned, once that exists.
      if (!isPermissionViolation(e)) throw e;
      await requireProvisioned(jsm, o.site);
      o.log.info({ site: o.site }, "no rights to provision; using the site's streams as they are");
      return false;
    },
  );
  return openLedger(nc, {
    site: o.site,
    replicas: o.replicas ?? 1,
    log: o.log,
    provision: provisioned,
  });
}
