import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAccount, createUser } from '@nats-io/nkeys';
import type { NatsConnection } from '@nats-io/transport-node';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalTarget, uploaderKind } from '../../actors/workers/uploader/index.ts';
import {
  type PublishReceipt,
  subjects,
  type UploadJob,
  type WorkerStatus,
} from '../../protocols/index.ts';
import {
  type ActorHost,
  MediaStore,
  parseMediaUri as parseUri,
  signGrant,
} from '../../runtime/index.ts';
import { generateFixtures } from '../../scripts/fixtures.ts';
import { startTestServer, type TestServer, tempDir, waitFor } from '../support/nats.ts';
import { connectSite, readStream, SITE, STREAMS, sendCommand, startHost } from '../support/site.ts';

const dirs: string[] = [];
setTimeout(() => {
  process.stderr.write('time bound: uploader-local tests exceeded 90 s\n');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  process.exit(1);
}, 90_000).unref();

const zenith = createAccount();
let server: TestServer;
let nc: NatsConnection;
let host: ActorHost;
let store: MediaStore;
let dataDir: string;
let clipUri: string;
let thumbUri: string;
let clipBytes: Buffer;
const published = () => join(dataDir, 'published');

test.before(async () => {
  const fixtures = await generateFixtures({ only: ['clip'] });
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
  dataDir = tempDir('omniva-uploader-');
  dirs.push(dataDir);
  store = new MediaStore({ dataDir, siteId: SITE });
  clipBytes = readFileSync(fixtures.files.clip);
  clipUri = (await store.put(fixtures.files.clip)).uri;
  const jpeg = await sharp({
    create: { width: 90, height: 160, channels: 3, background: '#335' },
  })
    .jpeg()
    .toBuffer();
  const thumbPath = join(dataDir, 'thumb.jpg');
  writeFileSync(thumbPath, jpeg);
  thumbUri = (await store.put(thumbPath)).uri;
  const kind = uploaderKind({
    instance: 'a',
    store,
    dataDir,
    trustedKeys: [zenith.getPublicKey()],
  });
  host = await startHost(nc, kind);
});

test.after(async () => {
  host?.stop();
  await nc?.close();
  await server?.cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function order(clipId: string, over: Record<string, unknown> = {}, job: object = {}) {
  return {
    job: {
      clip_id: clipId,
      title: 'Best <moment> & "quotes"',
      description: 'A clip about <script>alert(1)</script> things',
      keywords: ['talk', 'short'],
      scheduled_time: '2024-05-01T10:00:00Z',
      privacy_status: 'public',
      ...job,
    },
    clip_uri: clipUri,
    thumbnail_uri: thumbUri,
    target: 'local',
    authorization: signGrant(zenith, { aud: 'uploader', sub: clipId, site: SITE, ttl_s: 120 }),
    ...over,
  };
}

async function statuses(clipId: string): Promise<WorkerStatus[]> {
  const msgs = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'uploader', 'status'));
  return msgs.map((m) => m.envelope.payload as WorkerStatus).filter((s) => s.job_id === clipId);
}

async function outcomes(clipId: string, n = 1): Promise<WorkerStatus[]> {
  return waitFor(async () => {
    const done = (await statuses(clipId)).filter(
      (s) => s.status === 'DONE' || s.status === 'ERROR',
    );
    return done.length >= n ? done : undefined;
  }, 20_000);
}

async function receipts(clipId: string): Promise<PublishReceipt[]> {
  const msgs = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'uploader', 'published'));
  return msgs.map((m) => m.envelope.payload as PublishReceipt).filter((r) => r.clip_id === clipId);
}

const mtimes = (paths: string[]) => paths.map((p) => statSync(p).mtimeMs);

test('uploader local - a granted order publishes into the folder, the gallery and the feed', async () => {
  const id = randomUUID();
  await sendCommand(nc, 'uploader', 'PublishOrder', order(id));
  const [final] = await outcomes(id);
  assert.is(final?.status, 'DONE', JSON.stringify(final?.error));
  assert.ok(
    (await statuses(id)).some((s) => s.status === 'RUNNING' && typeof s.progress === 'number'),
    'progress was reported while publishing',
  );

  const [receipt] = await receipts(id);
  assert.equal(receipt, {
    clip_id: id,
    target: 'local',
    status: 'LIVE',
    platform_id: id,
    scheduled_time: '2024-05-01T10:00:00Z',
    url: new URL(`${id}/`, `${pathToFileURL(published()).href}/`).href,
  });

  const folder = join(published(), id);
  assert.ok(readFileSync(join(folder, 'clip.mp4')).equals(clipBytes), 'the clip is byte-identical');
  assert.ok(existsSync(join(folder, 'thumbnail.jpg')));
  const meta = JSON.parse(readFileSync(join(folder, 'metadata.json'), 'utf8'));
  assert.is(meta.clip.sha256, parseUri(clipUri).sha256);
  assert.is(meta.thumbnail.mime, 'image/jpeg');

  const html = readFileSync(join(published(), 'index.html'), 'utf8');
  assert.ok(html.includes(`<video controls preload="metadata" playsinline src="${id}/clip.mp4"`));
  assert.ok(html.includes(`poster="${id}/thumbnail.jpg"`));
  assert.ok(html.includes('Best &lt;moment&gt; &amp; &quot;quotes&quot;'), 'title escaped');
  assert.not.ok(html.includes('<script>'), 'description escaped');
  const feed = readFileSync(join(published(), 'feed.xml'), 'utf8');
  assert.ok(feed.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">'));
  const enclosure = `<enclosure url="${new URL('clip.mp4', receipt?.url).href}" length="${clipBytes.length}" type="video/mp4"/>`;
  assert.ok(feed.includes(enclosure), 'the feed item has the clip as its enclosure');
  assert.ok(feed.includes(`<guid isPermaLink="false">${id}</guid>`));
  assert.ok(feed.includes('<pubDate>Wed, 01 May 2024 10:00:00 GMT</pubDate>'));
});

test('uploader local - a retry of the same order does not publish twice or rewrite anything', async () => {
  const id = randomUUID();
  const cmd = order(id);
  await sendCommand(nc, 'uploader', 'PublishOrder', cmd);
  await outcomes(id);
  const folder = join(published(), id);
  const files = ['clip.mp4', 'thumbnail.jpg', 'metadata.json'].map((f) => join(folder, f));
  const shared = ['index.html', 'feed.xml'].map((f) => join(published(), f));
  const before = mtimes([...files, ...shared]);
  const listing = readdirSync(folder).sort();

  // Zenith's retry: a new command for the same clip (a new attempt, so the effect runs again).
  await sendCommand(nc, 'uploader', 'PublishOrder', cmd);
  const finals = await outcomes(id, 2);
  assert.equal(
    finals.map((s) => s.status),
    ['DONE', 'DONE'],
  );
  const rs = await receipts(id);
  assert.is(rs.length, 2);
  assert.equal(rs[1], rs[0], 'the retry returns the same receipt');
  assert.equal(mtimes([...files, ...shared]), before, 'nothing was rewritten');
  assert.equal(readdirSync(folder).sort(), listing, 'no second copy or temp file');
  const html = readFileSync(join(published(), 'index.html'), 'utf8');
  assert.is(html.split(`id="clip-${id}"`).length - 1, 1, 'listed once');
});

test('uploader local - orders without a grant or with a forged, misdirected or expired one are refused with auth_failed', async () => {
  const id = randomUUID();
  const forger = createUser();
  const now = Date.now();
  const bad: Record<string, string> = {
    empty: '',
    forged: signGrant(forger, { aud: 'uploader', sub: id, site: SITE, ttl_s: 120 }),
    'other clip': signGrant(zenith, { aud: 'uploader', sub: randomUUID(), site: SITE, ttl_s: 120 }),
    'other worker': signGrant(zenith, { aud: 'editor', sub: id, site: SITE, ttl_s: 120 }),
    'other site': signGrant(zenith, { aud: 'uploader', sub: id, site: 'site-b', ttl_s: 120 }),
    expired: signGrant(zenith, { aud: 'uploader', sub: id, site: SITE, ttl_s: 60 }, now - 600_000),
  };
  for (const authorization of Object.values(bad)) {
    await sendCommand(nc, 'uploader', 'PublishOrder', order(id, { authorization }));
  }
  const finals = await outcomes(id, Object.keys(bad).length);
  const tokens = Object.values(bad).filter(Boolean);
  for (const s of finals) {
    assert.is(s.status, 'ERROR');
    assert.is(s.error?.code, 'auth_failed');
    assert.is(s.error?.retryable, false);
    assert.ok(s.error?.message.startsWith('publish refused: grant'), s.error?.message);
    assert.not.ok(
      tokens.some((t) => s.error?.message.includes(t)),
      'the grant is not echoed',
    );
  }
  assert.equal(await receipts(id), []);
  assert.not.ok(existsSync(join(published(), id)), 'nothing was published');
});

test('uploader local - an order with no authorization field is dead-lettered, never run', async () => {
  const id = randomUUID();
  const { authorization: _, ...unsigned } = order(id);
  const sent = await sendCommand(nc, 'uploader', 'PublishOrder', unsigned);
  const dlq = await waitFor(async () => {
    const d = await readStream(nc, STREAMS.dlq, subjects.dlq(SITE, 'uploader'));
    const mine = d.filter(
      (m) => (m.envelope.payload as { original_msg_id?: string }).original_msg_id === sent.msg_id,
    );
    return mine.length > 0 ? mine : undefined;
  });
  const p = dlq[0]?.envelope.payload as { reason_code: string };
  assert.is(p.reason_code, 'OMNIVA_ERR_SCHEMA_INVALID');
  assert.not.ok(existsSync(join(published(), id)));
});

test('uploader local - a corrupted clip in the store is checksum_mismatch and is not published', async () => {
  const src = join(dataDir, 'victim.bin');
  writeFileSync(src, clipBytes.subarray(0, 4096));
  const { uri, sha256 } = await store.put(src);
  writeFileSync(join(dataDir, 'media', 'sha256', sha256.slice(0, 2), sha256), 'bit rot');
  const id = randomUUID();
  await sendCommand(nc, 'uploader', 'PublishOrder', order(id, { clip_uri: uri }));
  const [final] = await outcomes(id);
  assert.is(final?.status, 'ERROR');
  assert.is(final?.error?.code, 'checksum_mismatch');
  assert.is(final?.error?.retryable, false);
  assert.not.ok(existsSync(join(published(), id)));
});

test('uploader local - a future public clip is SCHEDULED and listed; private and unlisted clips are not listed', async () => {
  const future = randomUUID();
  const hidden = randomUUID();
  const unlisted = randomUUID();
  await sendCommand(
    nc,
    'uploader',
    'PublishOrder',
    order(future, {}, { scheduled_time: '2099-01-01T00:00:00Z', title: 'Later' }),
  );
  await sendCommand(
    nc,
    'uploader',
    'PublishOrder',
    order(hidden, {}, { privacy_status: 'private' }),
  );
  await sendCommand(
    nc,
    'uploader',
    'PublishOrder',
    order(unlisted, {}, { privacy_status: 'unlisted' }),
  );
  for (const id of [future, hidden, unlisted]) assert.is((await outcomes(id))[0]?.status, 'DONE');
  assert.is((await receipts(future))[0]?.status, 'SCHEDULED');
  const html = readFileSync(join(published(), 'index.html'), 'utf8');
  const feed = readFileSync(join(published(), 'feed.xml'), 'utf8');
  assert.ok(
    html.indexOf(`clip-${future}`) >= 0 &&
      html.indexOf(`clip-${future}`) <
        html.indexOf('<article id="clip-', html.indexOf(`clip-${future}`) + 1),
    'newest first',
  );
  for (const id of [hidden, unlisted]) {
    assert.ok(existsSync(join(published(), id, 'clip.mp4')), 'published in its folder');
    assert.not.ok(html.includes(id) || feed.includes(id), 'but not listed');
  }
});

test('local target - two processes publishing at once both end up in the gallery', async () => {
  const dir = tempDir('omniva-local-');
  dirs.push(dir);
  const clipPath = await store.path(clipUri);
  const sha = parseUri(clipUri).sha256;
  const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  await Promise.all(
    ids.map((id) =>
      // Separate instances: no shared in-process queue, like separate worker processes.
      new LocalTarget({ dir, baseUrl: 'https://clips.example.org/c' }).publish({
        job: order(id).job as UploadJob,
        clipPath,
        clipSha256: sha,
        key: id,
        signal: new AbortController().signal,
        progress: () => {},
      }),
    ),
  );
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const feed = readFileSync(join(dir, 'feed.xml'), 'utf8');
  for (const id of ids) {
    assert.ok(html.includes(`id="clip-${id}"`), `gallery lists ${id}`);
    assert.ok(feed.includes(`https://clips.example.org/c/${id}/clip.mp4`), `feed lists ${id}`);
  }
  assert.equal(
    readdirSync(dir).filter((n) => n.endsWith('.tmp')),
    [],
    'no temp files left behind',
  );
});

test.run();
