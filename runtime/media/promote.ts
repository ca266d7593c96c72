import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { type ObjectInfo, type ObjectStore, Objm } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { OmnivaError } from '../../protocols/index.ts';
import type { Logger } from '../logger.ts';
import { type Ledger, LedgerStore } from '../stardust/index.ts';
import { formatMediaUri, parseMediaUri } from './media-uri.ts';
import type { MediaStore } from './store.ts';

/**
 * Cross-site media promotion (design §7: media stays pinned to its site unless an operator
 * promotes it). The only path media takes between sites, and every step is in a ledger:
 *
 *   source host: `media_promote` packet in the source site's ledger, then the bytes into the
 *                target site's OMNIVA_MEDIA_INBOX object store, addressed to one target host;
 *   target host: the inbox watcher (startMediaInbox) stores the bytes in its media store
 *                (sha256 re-checked) and records `media_import` naming the source packet.
 *
 * The ledger says what was imported: an object whose import is recorded is skipped, so a
 * crash anywhere repeats only the remaining steps (the store is content-addressed and a
 * packet's kind + ref is recorded at most once). Objects expire from the inbox after
 * INBOX_TTL_MS, imported or not (one addressed to a host that never came is still audited).
 */
export const MEDIA_INBOX_BUCKET = 'OMNIVA_MEDIA_INBOX';
export const PROMOTE_KIND = 'media_promote';
export const IMPORT_KIND = 'media_import';
export const IMPORT_REFUSED_KIND = 'media_import_refused';
export const INBOX_TTL_MS = 7 * 86_400_000;

/** The object's name: the target host and the digest, so each host picks up its own. */
const objectName = (host: string, sha256: string) => `${host}.${sha256}`;
/** Ledger refs (subject tokens): one promotion of a blob to a site's host, one import on it. */
const promoteRef = (sha256: string, site: string, host: string) => `${sha256}-${site}-${host}`;
const importRef = (sha256: string, host: string) => `${sha256}-${host}`;

/** The inbox bucket of a site; created by provisioning (whoever may administer streams). */
export async function provisionMediaInbox(nc: NatsConnection, replicas = 1): Promise<void> {
  await new Objm(nc).create(MEDIA_INBOX_BUCKET, {
    storage: StorageType.File,
    replicas,
    ttl: INBOX_TTL_MS * 1e6,
    description: 'media promoted from other sites, waiting for its target host',
  });
}

export interface PromoteOptions {
  /** The source site's store and ledger, on the host that holds the media. */
  store: MediaStore;
  ledger: Ledger;
  uri: string;
  /** The target site's server and credentials (a user that may use its media inbox). */
  target: { url: string; user?: string; pass?: string; timeoutMs?: number };
  to_site: string;
  to_host: string;
  operator: string;
  reason: string;
  /** Wait this long for the target host's import record (0: do not wait). */
  waitMs?: number;
}

export interface PromoteResult {
  /** The media's URI once it is imported on the target site. */
  target_uri: string;
  sha256: string;
  size: number;
  /** The `media_promote` packet in the source site's ledger. */
  stardust_id: string;
  /** Whether the bytes were already waiting in the target's inbox (a rerun). */
  already_sent: boolean;
  /** The target's `media_import` packet, when `waitMs` was given and it came in time. */
  import_packet?: string;
}

/** Sends one blob to another site's host, recorded first in the source ledger. */
export async function promoteMedia(o: PromoteOptions): Promise<PromoteResult> {
  const ref = parseMediaUri(o.uri);
  if (ref.site !== o.store.siteId) {
    throw new OmnivaError(
      'OMNIVA_ERR_MEDIA_URI',
      `${o.uri} belongs to site ${ref.site}; promote it from a host of that site`,
    );
  }
  if (o.to_site === ref.site) {
    throw new OmnivaError('OMNIVA_ERR_MEDIA_URI', `${o.uri} is already on site ${o.to_site}`);
  }
  // Reading hashes the blob: a corrupt one is quarantined and never leaves the site.
  const { size } = await o.store.verify(o.uri);
  const packet = await o.ledger.append({
    kind: PROMOTE_KIND,
    ref: promoteRef(ref.sha256, o.to_site, o.to_host),
    actor: 'media-promote',
    trace_id: randomUUID(),
    entities: { media: [o.uri] },
    payload: {
      uri: o.uri,
      sha256: ref.sha256,
      size,
      to_site: o.to_site,
      to_host: o.to_host,
      operator: o.operator,
      reason: o.reason,
    },
  });
  const nc = await connect({
    servers: o.target.url,
    timeout: o.target.timeoutMs ?? 5_000,
    name: 'omniva-media-promote',
    ...(o.target.user ? { user: o.target.user, pass: o.target.pass ?? '' } : {}),
  });
  try {
    return await send(o, nc, ref.sha256, size, packet.stardust_id);
  } finally {
    await nc.close();
  }
}

async function send(
  o: PromoteOptions,
  nc: NatsConnection,
  sha256: string,
  size: number,
  stardust_id: string,
): Promise<PromoteResult> {
  const inbox = await new Objm(nc).open(MEDIA_INBOX_BUCKET);
  const name = objectName(o.to_host, sha256);
  // Same bytes already waiting (a rerun): not sent twice.
  const already = await inbox.info(name);
  if (!already || already.deleted || already.metadata?.source_packet !== stardust_id) {
    const body = Readable.toWeb(await o.store.open(o.uri)) as WebReadableStream<Uint8Array>;
    await inbox.put(
      {
        name,
        metadata: {
          sha256,
          source_site: o.store.siteId,
          source_uri: o.uri,
          source_packet: stardust_id,
          operator: o.operator,
          reason: o.reason,
        },
      },
      body as unknown as ReadableStream<Uint8Array>,
    );
  }
  const import_packet = o.waitMs
    ? await importedPacket(nc, o.to_site, o.to_host, sha256, o.waitMs)
    : undefined;
  return {
    target_uri: formatMediaUri({ site: o.to_site, sha256 }),
    sha256,
    size,
    stardust_id,
    already_sent: Boolean(
      already && !already.deleted && already.metadata?.source_packet === stardust_id,
    ),
    ...(import_packet ? { import_packet } : {}),
  };
}

/** The stardust_id of the target's `media_import` packet, polled until it is there. */
async function importedPacket(
  nc: NatsConnection,
  site: string,
  host: string,
  sha256: string,
  waitMs: number,
): Promise<string | undefined> {
  const store = new LedgerStore(site, await jetstreamManager(nc), jetstream(nc));
  const deadline = Date.now() + waitMs;
  for (;;) {
    const e = await store.byRef(IMPORT_KIND, importRef(sha256, host)).catch(() => undefined);
    if (e?.parsed.ok) return e.parsed.packet.stardust_id;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface MediaInboxOptions {
  nc: NatsConnection;
  host: string;
  store: MediaStore;
  ledger: Ledger;
  log: Logger;
}

export interface MediaInbox {
  /** Imports everything addressed to this host that is waiting now (also run on start). */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

async function importOne(o: MediaInboxOptions, inbox: ObjectStore, info: ObjectInfo) {
  const meta = info.metadata ?? {};
  const expected = meta.sha256 ?? '';
  const recorded =
    (await o.ledger.getByRef(IMPORT_KIND, importRef(expected, o.host))) ??
    (await o.ledger.getByRef(IMPORT_REFUSED_KIND, info.nuid));
  if (recorded) return false;
  const got = await inbox.get(info.name);
  if (!got) return false; // expired
  const put = await o.store.put(Readable.fromWeb(got.data as WebReadableStream<Uint8Array>));
  const transferError = await got.error;
  const common = {
    actor: 'media-inbox',
    trace_id: randomUUID(),
    payload: {
      sha256: put.sha256,
      expected_sha256: expected,
      size: put.size,
      source_site: meta.source_site ?? '',
      source_uri: meta.source_uri ?? '',
      source_packet: meta.source_packet ?? '',
      operator: meta.operator ?? '',
      reason: meta.reason ?? '',
      host: o.host,
    },
  };
  if (transferError || put.sha256 !== expected) {
    // The bytes are not what the source recorded: refused, and left for media gc.
    await o.ledger.append({
      ...common,
      kind: IMPORT_REFUSED_KIND,
      ref: info.nuid,
      payload: {
        ...common.payload,
        error: transferError?.message ?? 'sha256 differs from the promoted media',
      },
    });
    o.log.error({ object: info.name, expected, got: put.sha256 }, 'promoted media refused');
  } else {
    await o.ledger.append({
      ...common,
      kind: IMPORT_KIND,
      ref: importRef(put.sha256, o.host),
      entities: { media: [put.uri] },
      payload: { ...common.payload, uri: put.uri },
    });
    o.log.info({ uri: put.uri, from: meta.source_uri }, 'promoted media imported');
  }
  return true;
}

/**
 * Watches the site's media inbox and imports what is addressed to this host. Imports run one
 * at a time; a failed one is retried on the next sweep (every `sweepMs`, default 30 s).
 */
export async function startMediaInbox(
  o: MediaInboxOptions & { sweepMs?: number },
): Promise<MediaInbox> {
  const inbox = await new Objm(o.nc).open(MEDIA_INBOX_BUCKET);
  const prefix = `${o.host}.`;
  let chain = Promise.resolve(0);
  const run = (infos: ObjectInfo[]) => {
    chain = chain.then(async () => {
      let n = 0;
      for (const info of infos) {
        if (info.deleted || !info.name.startsWith(prefix)) continue;
        try {
          if (await importOne(o, inbox, info)) n += 1;
        } catch (e) {
          o.log.error({ err: e, object: info.name }, 'media import failed; retried on next sweep');
        }
      }
      return n;
    });
    return chain;
  };
  const sweep = async () => run(await inbox.list());
  const watcher = await inbox.watch({ ignoreDeletes: true, includeHistory: false });
  const watching = (async () => {
    for await (const info of watcher) {
      if (info) void run([info]);
    }
  })();
  const timer = setInterval(() => void sweep().catch(() => undefined), o.sweepMs ?? 30_000);
  timer.unref();
  await sweep();
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      watcher.stop();
      await watching.catch(() => undefined);
      await chain.catch(() => undefined);
    },
  };
}
