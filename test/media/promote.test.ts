// Cross-site promotion: two sites, each its own nats-server (JetStream domain = site id) and
// media stores; a blob of site-a is promoted to host b1 of site-b and audited in both ledgers.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  IMPORT_KIND,
  IMPORT_REFUSED_KIND,
  MEDIA_INBOX_BUCKET,
  type MediaInbox,
  MediaStore,
  PROMOTE_KIND,
  promoteMedia,
  startMediaInbox,
} from '../../runtime/media/index.ts';
import { type Ledger, openLedger } from '../../runtime/stardust/index.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { connectSite, silentLog } from '../support/site.ts';
import { cleanup, mediaTempDir, rejects, timeBound } from './support.ts';

timeBound(150_000);

const run = promisify(execFile);
const cli = new URL('../../cli/omniva.mjs', import.meta.url).pathname;

interface Side {
  server: TestServer;
  nc: NatsConnection;
  ledger: Ledger;
}
let a: Side;
let b: Side;
let dataA: string;
let storeA: MediaStore;
let storeB1: MediaStore;
let storeB2: MediaStore;
const inboxes: MediaInbox[] = [];

async function side(site: string): Promise<Side> {
  const server = await startTestServer({ domain: site });
  const nc = await connectSite(server.url, site);
  return { server, nc, ledger: await openLedger(nc, { site, log: silentLog }) };
}

const blob = (bytes: number) => Readable.from([randomBytes(bytes)]);

const count = async (ledger: Ledger, kind: string, ref: string) =>
  (await ledger.getByRef(kind, ref)) ? 1 : 0;

test.before(async () => {
  a = await side('site-a');
  b = await side('site-b');
  dataA = mediaTempDir();
  storeA = new MediaStore({ dataDir: dataA, siteId: 'site-a' });
  storeB1 = new MediaStore({ dataDir: mediaTempDir(), siteId: 'site-b' });
  storeB2 = new MediaStore({ dataDir: mediaTempDir(), siteId: 'site-b' });
  for (const [host, store] of [
    ['b1', storeB1],
    ['b2', storeB2],
  ] as const) {
    inboxes.push(
      await startMediaInbox({ nc: b.nc, host, store, ledger: b.ledger, log: silentLog }),
    );
  }
});

test.after(async () => {
  for (const i of inboxes) await i.stop();
  for (const s of [a, b]) {
    await s?.ledger.close();
    await s?.nc.close();
    await s?.server.cleanup();
  }
  cleanup();
});

const promote = (uri: string, over: Partial<Parameters<typeof promoteMedia>[0]> = {}) =>
  promoteMedia({
    store: storeA,
    ledger: a.ledger,
    uri,
    target: { url: b.server.url },
    to_site: 'site-b',
    to_host: 'b1',
    operator: 'alice',
    reason: 'a cross-site campaign',
    waitMs: 15_000,
    ...over,
  });

test('promote - the bytes reach the named host, with a packet in each ledger that names the other', async () => {
  // Larger than one object-store chunk (128 KiB), so the transfer is chunked.
  const put = await storeA.put(blob(1_500_000));
  const r = await promote(put.uri);
  assert.ok(r.import_packet, 'b1 recorded the import in time');
  assert.is(r.target_uri, `media://site-b/sha256/${put.sha256}`);
  assert.equal(await storeB1.verify(r.target_uri), { sha256: put.sha256, size: put.size });
  assert.not.ok(await storeB2.has(r.target_uri), 'b2 was not the target: it stored nothing');

  const sent = await a.ledger.get(r.stardust_id);
  assert.is(sent?.kind, PROMOTE_KIND);
  assert.equal(
    { ...(sent?.payload as Record<string, unknown>) },
    {
      uri: put.uri,
      sha256: put.sha256,
      size: put.size,
      to_site: 'site-b',
      to_host: 'b1',
      operator: 'alice',
      reason: 'a cross-site campaign',
    },
  );
  const got = await b.ledger.get(r.import_packet as string);
  assert.is(got?.kind, IMPORT_KIND);
  const p = got?.payload as Record<string, unknown>;
  assert.is(p.source_packet, r.stardust_id, "the import names site-a's packet");
  assert.is(p.source_uri, put.uri);
  assert.is(p.uri, r.target_uri);
  assert.is(p.operator, 'alice');
  assert.equal(got?.entities?.media, [r.target_uri]);
});

test('promote - a rerun sends, stores and records nothing twice, also after an inbox restart', async () => {
  const put = await storeA.put(blob(200_000));
  const first = await promote(put.uri);
  const again = await promote(put.uri);
  assert.is(again.stardust_id, first.stardust_id, 'the same media_promote packet');
  assert.ok(again.already_sent, 'the bytes were already in the inbox');
  assert.is(again.import_packet, first.import_packet, 'the same media_import packet');
  const fresh = await startMediaInbox({
    nc: b.nc,
    host: 'b1',
    store: storeB1,
    ledger: b.ledger,
    log: silentLog,
  });
  inboxes.push(fresh);
  assert.is(await fresh.sweep(), 0, 'a restarted host imports nothing again');
  const ref = `${put.sha256}-b1`;
  assert.is(await count(b.ledger, IMPORT_KIND, ref), 1);
});

test('promote - the same media to another host of the target is a promotion of its own', async () => {
  const put = await storeA.put(blob(50_000));
  const toB1 = await promote(put.uri);
  const toB2 = await promote(put.uri, { to_host: 'b2' });
  assert.is.not(toB2.stardust_id, toB1.stardust_id);
  assert.ok(toB2.import_packet);
  assert.ok(await storeB2.has(toB2.target_uri));
});

test('promote - refuses what it cannot promote, before anything is recorded or sent', async () => {
  const other = `media://site-c/sha256/${'a'.repeat(64)}`;
  assert.is((await rejects(promote(other))).code, 'OMNIVA_ERR_MEDIA_URI');
  const missing = `media://site-a/sha256/${'b'.repeat(64)}`;
  assert.is((await rejects(promote(missing))).code, 'OMNIVA_ERR_MEDIA_MISSING');
  const put = await storeA.put(blob(1_000));
  assert.is((await rejects(promote(put.uri, { to_site: 'site-a' }))).code, 'OMNIVA_ERR_MEDIA_URI');
  assert.is(await count(a.ledger, PROMOTE_KIND, `${put.sha256}-site-a-b1`), 0);
  const inbox = await new Objm(b.nc).open(MEDIA_INBOX_BUCKET);
  assert.not.ok(await inbox.info(`b1.${'b'.repeat(64)}`), 'nothing sent for the missing blob');
});

test('promote - bytes that differ from what the source recorded are refused, not imported', async () => {
  const inbox = await new Objm(b.nc).open(MEDIA_INBOX_BUCKET);
  const claimed = 'c'.repeat(64);
  const info = await inbox.putBlob(
    {
      name: `b1.${claimed}`,
      metadata: {
        sha256: claimed,
        source_site: 'site-a',
        source_uri: `media://site-a/sha256/${claimed}`,
        source_packet: 'none',
        operator: 'mallory',
        reason: 'tampered',
      },
    },
    randomBytes(10_000),
  );
  const refused = await waitFor(() => b.ledger.getByRef(IMPORT_REFUSED_KIND, info.nuid), 10_000);
  const p = refused.payload as Record<string, unknown>;
  assert.is(p.expected_sha256, claimed);
  assert.match(String(p.error), 'sha256 differs');
  assert.is(await count(b.ledger, IMPORT_KIND, `${claimed}-b1`), 0);
  assert.not.ok(await storeB1.has(`media://site-b/sha256/${claimed}`));
});

test('promote - `omniva media promote` from the command line', async () => {
  const put = await storeA.put(blob(30_000));
  const r = await run(
    process.execPath,
    [
      cli,
      'media',
      'promote',
      put.uri,
      ...['--to', 'site-b', '--to-host', 'b1', '--to-url', b.server.url],
      ...['--reason', 'from the CLI', '--operator', 'bob', '--wait', '15s'],
      ...['--site', 'site-a', '--data-dir', dataA, '--url', a.server.url],
    ],
    { timeout: 60_000 },
  );
  assert.match(r.stdout, `promoted ${put.uri} (30000 bytes) to site-b/b1`);
  assert.match(r.stdout, /site-a ledger: media_promote \S+/);
  assert.match(r.stdout, /site-b ledger: media_import \S+/);
  assert.match(r.stdout, `now media://site-b/sha256/${put.sha256}`);
  assert.ok(await storeB1.has(`media://site-b/sha256/${put.sha256}`));
  const bad = await run(
    process.execPath,
    [
      cli,
      'media',
      'promote',
      put.uri,
      ...['--to', 'site-b', '--to-host', 'nobody', '--to-url', b.server.url],
      ...['--reason', 'no such host', '--wait', '1s'],
      ...['--site', 'site-a', '--data-dir', dataA, '--url', a.server.url],
    ],
    { timeout: 60_000 },
  ).catch((e: { code: number; stderr: string }) => e);
  assert.is((bad as { code: number }).code, 1, 'no host confirmed: exit 1');
  assert.match((bad as { stderr: string }).stderr, 'nobody did not record the import within 1s');
});

test.run();
