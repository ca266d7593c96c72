import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { type NatsConnection, headers as natsHeaders } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CONTENT_TYPES,
  encode,
  makeEnvelope,
  OmnivaError,
  subjects,
} from '../../protocols/index.ts';
import { encodeEnvelope } from '../../runtime/internal/outbound.ts';
import { collectReferences, MediaStore, type PutResult } from '../../runtime/media/index.ts';
import { BUCKETS, STREAMS } from '../../runtime/provision.ts';
import { type Ledger, openLedger } from '../../runtime/stardust/index.ts';
import { startTestServer, type TestServer } from '../support/nats.ts';
import { connectSite, SITE, sendCommand, silentLog } from '../support/site.ts';
import { cleanup, mediaTempDir, rejects, timeBound } from './support.ts';

timeBound(120_000);

let server: TestServer;
let nc: NatsConnection;
let ledger: Ledger;

test.before(async () => {
  server = await startTestServer();
  nc = await connectSite(server.url);
  ledger = await openLedger(nc, { site: SITE, log: silentLog });
});

test.after(async () => {
  await ledger?.close();
  await nc?.close();
  await server?.cleanup();
  cleanup();
});

const HOUR_MS = 3_600_000;

function site(): { dataDir: string; store: MediaStore } {
  const dataDir = mediaTempDir('omniva-gc-');
  return { dataDir, store: new MediaStore({ dataDir, siteId: SITE }) };
}

/** A blob of fresh random bytes, so no other test's references can keep it. */
function putRandom(store: MediaStore): Promise<PutResult> {
  return store.put(Readable.from([randomBytes(1024)]));
}

function age(dataDir: string, blob: PutResult, ms: number): void {
  const t = new Date(Date.now() - ms);
  utimesSync(join(dataDir, 'media', 'sha256', blob.sha256.slice(0, 2), blob.sha256), t, t);
}

async function publishEvent(payload: Record<string, unknown>): Promise<void> {
  const envelope = makeEnvelope({
    type: 'ClipRendered',
    site_id: SITE,
    actor: 'editor',
    payload: payload as never,
  });
  const { data, headers } = encodeEnvelope(envelope, 'msgpack');
  await jetstream(nc).publish(subjects.evt(SITE, 'editor', 'clip_rendered'), data, { headers });
}

function writeRenderRecord(dataDir: string, name: string, record: unknown): void {
  const file = join(dataDir, 'editor', 'renders', `${name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(record));
}

async function collect(dataDir: string): Promise<Set<string>> {
  return collectReferences({ nc, site: SITE, dataDir });
}

test('media gc - keeps blobs named by an event or an editor render record, removes the third', async () => {
  const { dataDir, store } = site();
  const inEvent = await putRandom(store);
  const inRecord = await putRandom(store);
  const unused = await putRandom(store);
  await publishEvent({ clip_uri: inEvent.uri });
  writeRenderRecord(dataDir, 'ctx-1', { clip: { uri: inRecord.uri, bytes: inRecord.size } });

  const report = await store.gc(await collect(dataDir), { olderThanMs: 0 });

  assert.equal(
    report.removed.map((r) => r.uri),
    [unused.uri],
  );
  assert.equal(report.removedBytes, unused.size);
  assert.equal(report.keptReferenced, 2);
  assert.ok(await store.has(inEvent.uri), 'the blob named by the event stays');
  assert.ok(await store.has(inRecord.uri), 'the blob named by the render record stays');
  assert.not.ok(await store.has(unused.uri), 'the unreferenced blob is gone');
});

test('media gc - a dry run reports the unreferenced blob and removes nothing', async () => {
  const { dataDir, store } = site();
  const kept = await putRandom(store);
  const unused = await putRandom(store);
  writeRenderRecord(dataDir, 'ctx-2', { uri: kept.uri });

  const report = await store.gc(await collect(dataDir), { olderThanMs: 0, dryRun: true });

  assert.ok(report.dryRun);
  assert.equal(
    report.removed.map((r) => r.uri),
    [unused.uri],
  );
  assert.ok(await store.has(unused.uri), 'a dry run leaves the blob in place');
  assert.ok(await store.has(kept.uri));
});

test('media gc - a blob named only in a Stardust packet body is kept', async () => {
  const { dataDir, store } = site();
  const inLedger = await putRandom(store);
  const unused = await putRandom(store);
  await ledger.append({
    kind: 'clip_rendered',
    ref: `gc-${inLedger.sha256.slice(0, 16)}`,
    actor: 'editor',
    trace_id: randomUUID(),
    payload: { body: { type: 'ClipRendered', payload: { clip_uri: inLedger.uri } } },
  });

  const refs = await collect(dataDir);
  const report = await store.gc(refs, { olderThanMs: 0 });

  assert.ok(refs.has(inLedger.uri), 'the ledger packet is read');
  assert.equal(report.keptReferenced, 1);
  assert.ok(await store.has(inLedger.uri));
  assert.not.ok(await store.has(unused.uri));
});

test('media gc - a young unreferenced blob is kept under the default age, an old one is removed', async () => {
  const { dataDir, store } = site();
  const young = await putRandom(store);
  const old = await putRandom(store);
  age(dataDir, old, 2 * HOUR_MS);

  const report = await store.gc(await collect(dataDir));

  assert.equal(report.keptYoung, 1);
  assert.ok(await store.has(young.uri), 'a blob stored a moment ago is kept');
  assert.not.ok(await store.has(old.uri), 'a blob unreferenced for two hours is removed');
});

test('media references - finds URIs in queued commands past acked gaps, KV values and dead letters, of this site only', async () => {
  const { dataDir, store } = site();
  const [cmdA, cmdB, gone, snap, effect, dead, nested, half] = await Promise.all(
    Array.from({ length: 8 }, () => putRandom(store)),
  );
  await sendCommand(nc, 'editor', 'EditJob', { source_uri: cmdA!.uri });
  await sendCommand(nc, 'editor', 'EditJob', { source_uri: gone!.uri });
  await sendCommand(nc, 'editor', 'EditJob', { source_uri: cmdB!.uri });
  // A worker's ack removes its command and leaves a gap; the command after it must be read.
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(STREAMS.cmd);
  await jsm.streams.deleteMessage(STREAMS.cmd, state.last_seq - 1);

  const kvm = new Kvm(nc);
  const snapshots = await kvm.open(BUCKETS.snapshots);
  await snapshots.put(
    'editor.gc-test',
    encode({ snapshot: { context: { outputs: [{ uri: snap!.uri }] } } }, 'msgpack'),
  );
  const effects = await kvm.open(BUCKETS.effects);
  await effects.put(
    'editor.gc-test.render',
    encode({ ok: true, output: { note: `rendered to ${effect!.uri} at 720p` } }, 'json'),
  );
  // A dead letter keeps the rejected message's bytes as base64.
  const original = encode({ payload: { source_uri: dead!.uri } }, 'msgpack');
  const h = natsHeaders();
  h.set('Content-Type', CONTENT_TYPES.json);
  await jetstream(nc).publish(
    subjects.dlq(SITE, 'editor'),
    encode({ reason: 'test', original_data_b64: Buffer.from(original).toString('base64') }, 'json'),
    { headers: h },
  );
  const otherSite = `media://site-b/sha256/${nested!.sha256}`;
  writeRenderRecord(dataDir, 'deep/ctx-3', { a: [{ b: { c: [nested!.uri, otherSite] } }] });
  mkdirSync(join(dataDir, 'uploader', 'youtube'), { recursive: true });
  // A record cut short by a crash is not JSON, yet still names its blob.
  writeFileSync(join(dataDir, 'uploader', 'youtube', 'half.json'), `{"file":"${half!.uri}`);

  const refs = await collect(dataDir);

  for (const [name, blob] of Object.entries({ cmdA, cmdB, snap, effect, dead, nested, half })) {
    assert.ok(refs.has(blob!.uri), `${name} is referenced`);
  }
  assert.not.ok(refs.has(gone!.uri), 'a command removed from the queue no longer references');
  assert.not.ok(refs.has(otherSite), "another site's URI is not this site's reference");
});

test('media references - a server without the site streams fails instead of looking empty', async () => {
  const bare = await startTestServer();
  const { connect } = await import('@nats-io/transport-node');
  const bareNc = await connect({ servers: bare.url });
  try {
    const err = await rejects(
      collectReferences({ nc: bareNc, site: SITE, dataDir: site().dataDir }),
    );
    assert.ok(OmnivaError.is(err, 'OMNIVA_ERR_CONFIG_INVALID'), String(err));
    assert.match((err as Error).message, /OMNIVA_CMD/);
  } finally {
    await bareNc.close();
    await bare.cleanup();
  }
});

test('media references - streams of another site are refused, so a wrong --site removes nothing', async () => {
  const err = await rejects(collectReferences({ nc, site: 'other', dataDir: site().dataDir }));
  assert.ok(OmnivaError.is(err, 'OMNIVA_ERR_CONFIG_INVALID'), String(err));
  assert.match((err as Error).message, /does not carry site "other"/);
});

test('media gc - the CLI dry run prints the blob it would remove and exits 0', async () => {
  const { dataDir, store } = site();
  const kept = await putRandom(store);
  const unused = await putRandom(store);
  await publishEvent({ clip_uri: kept.uri });
  const args = ['media', 'gc', '--dry-run', '--older-than', '0s', '--verbose'];
  const r = spawnSync(
    process.execPath,
    ['cli/omniva.mjs', ...args, ...['--url', server.url, '--data-dir', dataDir, '--site', SITE]],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /dry run/);
  assert.match(r.stdout, /would remove: 1 blob\(s\), 1024 bytes/);
  assert.ok(r.stdout.includes(unused.uri), 'verbose lists the URI');
  assert.not.ok(r.stdout.includes(kept.uri), 'the referenced blob is not listed');
  assert.match(r.stdout, /kept referenced: 1/);
  assert.ok(existsSync(dataDir) && (await store.has(unused.uri)), 'a dry run removes nothing');
});

test.run();
