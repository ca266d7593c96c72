import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAccount } from '@nats-io/nkeys';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type PublishInput,
  UploaderError,
  uploaderKind,
  YoutubeTarget,
  type YoutubeTargetOptions,
} from '../../actors/workers/uploader/index.ts';
import {
  type PublishReceipt,
  subjects,
  type UploadJob,
  type WorkerStatus,
} from '../../protocols/index.ts';
import { MediaStore, parseMediaUri, signGrant } from '../../runtime/index.ts';
import { generateFixtures } from '../../scripts/fixtures.ts';
import { startTestServer, tempDir, waitFor } from '../support/nats.ts';
import { connectSite, readStream, SITE, STREAMS, sendCommand, startHost } from '../support/site.ts';

const dirs: string[] = [];
setTimeout(() => {
  process.stderr.write('time bound: uploader-youtube tests exceeded 90 s\n');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  process.exit(1);
}, 90_000).unref();

const REFRESH = `1//refresh-${randomUUID()}`;
const CLIENT_SECRET = `secret-${randomUUID()}`;
const QUANTUM = 256 * 1024;

interface Session {
  total: number;
  data: Buffer;
  meta: { snippet: Record<string, unknown>; status: Record<string, unknown> };
  videoId?: string;
}

/**
 * A loopback stand-in for YouTube's resumable upload endpoint and Google's token endpoint,
 * strict about the protocol: a PUT must continue exactly at the committed offset.
 */
class FakeYoutube {
  readonly server: Server;
  root = '';
  access = `ya29.${randomUUID()}`;
  sessions = new Map<string, Session>();
  videos: { id: string; bytes: Buffer; meta: Session['meta'] }[] = [];
  putStarts: number[] = [];
  thumbnails: { videoId: string; type: string; size: number }[] = [];
  tokenRequests = 0;
  violations: string[] = [];
  quota = false;
  /** Destroy the socket of the n-th data PUT after this many of its bytes. */
  drop?: { put: number; after: number };
  /** Commit the last bytes, create the video, then destroy the socket before answering. */
  loseFinalResponse = false;
  /** Answer the next upload request 401 and issue a new access token on refresh. */
  revokeOnce = false;
  #puts = 0;

  constructor() {
    this.server = createServer((req, res) => {
      this.#handle(req, res).catch((e) => {
        this.violations.push(String(e));
        res.destroy();
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.root = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.root);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/token') {
      this.tokenRequests++;
      const form = new URLSearchParams((await readBody(req)).toString());
      const ok =
        form.get('grant_type') === 'refresh_token' &&
        form.get('refresh_token') === REFRESH &&
        form.get('client_secret') === CLIENT_SECRET;
      if (!ok) return json(400, { error: 'invalid_grant', error_description: 'Bad Request' });
      return json(200, { access_token: this.access, expires_in: 3600, token_type: 'Bearer' });
    }
    if (this.revokeOnce && url.pathname.startsWith('/upload/')) {
      this.revokeOnce = false;
      this.access = `ya29.${randomUUID()}`;
    }
    if (req.headers.authorization !== `Bearer ${this.access}`) {
      await readBody(req).catch(() => {});
      return json(401, { error: { code: 401, message: 'Invalid Credentials', errors: [] } });
    }
    if (req.method === 'POST' && url.pathname === '/upload/youtube/v3/videos') {
      const meta = JSON.parse((await readBody(req)).toString());
      if (url.searchParams.get('uploadType') !== 'resumable') this.violations.push('not resumable');
      if (this.quota) {
        const errors = [{ reason: 'quotaExceeded', domain: 'youtube.quota' }];
        return json(403, { error: { code: 403, message: 'quota exceeded', errors } });
      }
      const total = Number(req.headers['x-upload-content-length']);
      const id = randomUUID();
      this.sessions.set(id, { total, data: Buffer.alloc(0), meta });
      const location = `${this.root}upload/youtube/v3/videos?uploadType=resumable&upload_id=${id}`;
      res.writeHead(200, { location });
      return void res.end();
    }
    if (req.method === 'PUT' && url.pathname === '/upload/youtube/v3/videos') {
      const s = this.sessions.get(url.searchParams.get('upload_id') ?? '');
      if (!s) return json(404, { error: { code: 404, message: 'no such session' } });
      return this.#put(s, req, res);
    }
    if (req.method === 'POST' && url.pathname === '/upload/youtube/v3/thumbnails/set') {
      const body = await readBody(req);
      const videoId = url.searchParams.get('videoId') ?? '';
      this.thumbnails.push({ videoId, type: req.headers['content-type'] ?? '', size: body.length });
      return json(200, { kind: 'youtube#thumbnailSetResponse', items: [] });
    }
    json(404, { error: { code: 404, message: `no route ${req.method} ${url.pathname}` } });
  }

  #state(s: Session, res: ServerResponse): void {
    if (s.videoId) {
      res.writeHead(201, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ id: s.videoId, ...s.meta }));
    }
    const range = s.data.length > 0 ? { range: `bytes=0-${s.data.length - 1}` } : {};
    res.writeHead(308, range);
    res.end();
  }

  async #put(s: Session, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cr = req.headers['content-range'] ?? '';
    if (/^bytes \*\/\d+$/.test(cr)) {
      await readBody(req);
      return this.#state(s, res);
    }
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(cr);
    if (!m || Number(m[1]) !== s.data.length || Number(m[3]) !== s.total) {
      this.violations.push(`PUT ${cr} with ${s.data.length} committed`);
      await readBody(req);
      return this.#state(s, res);
    }
    this.putStarts.push(Number(m[1]));
    const put = ++this.#puts;
    const chunks: Buffer[] = [];
    let got = 0;
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
      got += (chunk as Buffer).length;
      if (this.drop?.put === put && got > this.drop.after) {
        // Like Google: keep whole 256 KiB units of what arrived, forget the rest.
        const keep = Math.floor(got / QUANTUM) * QUANTUM;
        s.data = Buffer.concat([s.data, Buffer.concat(chunks).subarray(0, keep)]);
        req.socket.destroy();
        return;
      }
    }
    s.data = Buffer.concat([s.data, ...chunks]);
    if (s.data.length === s.total) {
      s.videoId = randomBytes(8).toString('base64url').slice(0, 11);
      this.videos.push({ id: s.videoId, bytes: s.data, meta: s.meta });
      if (this.loseFinalResponse) {
        this.loseFinalResponse = false;
        req.socket.destroy();
        return;
      }
    }
    this.#state(s, res);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let fake: FakeYoutube;
let clipPath: string;
let clipBytes: Buffer;
let clipSha: string;
let thumbPath: string;
let secretFile: string;

test.before(async () => {
  const fixtures = await generateFixtures({ only: ['clip'] });
  clipPath = fixtures.files.clip;
  clipBytes = readFileSync(clipPath);
  clipSha = fixtures.manifest.sets.clip?.files['clip-10s.mp4']?.sha256 as string;
  const dir = tempDir('omniva-yt-');
  dirs.push(dir);
  thumbPath = join(dir, 'thumb.jpg');
  writeFileSync(
    thumbPath,
    await sharp({ create: { width: 90, height: 160, channels: 3, background: '#533' } })
      .jpeg()
      .toBuffer(),
  );
  secretFile = join(dir, 'client-secret');
  writeFileSync(secretFile, `${CLIENT_SECRET}\n`, { mode: 0o600 });
});

test.before.each(async () => {
  fake = new FakeYoutube();
  await fake.start();
});

test.after.each(async () => {
  await fake.close();
});

test.after(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function target(over: Partial<YoutubeTargetOptions> = {}): YoutubeTarget {
  const dataDir = over.dataDir ?? tempDir('omniva-yt-data-');
  dirs.push(dataDir);
  return new YoutubeTarget({
    dataDir,
    clientId: 'client.apps.googleusercontent.com',
    clientSecret: `file:${secretFile}`,
    refreshToken: 'env:YT_REFRESH',
    env: { YT_REFRESH: REFRESH },
    rootUrl: fake.root,
    tokenUrl: `${fake.root}token`,
    requestTimeoutMs: 5_000,
    backoffMs: [10],
    ...over,
  });
}

function job(over: Partial<UploadJob> = {}): UploadJob {
  return {
    clip_id: randomUUID(),
    title: 'A moment worth sharing',
    description: 'From the long talk',
    keywords: ['talk', 'two words'],
    scheduled_time: '2099-06-01T18:30:00Z',
    privacy_status: 'private',
    ...over,
  };
}

function input(j: UploadJob, over: Partial<PublishInput> = {}): PublishInput {
  return {
    job: j,
    clipPath,
    clipSha256: clipSha,
    key: j.clip_id,
    signal: new AbortController().signal,
    progress: () => {},
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<UploaderError> {
  try {
    await p;
  } catch (e) {
    if (UploaderError.is(e)) return e;
    assert.unreachable(`expected an UploaderError, got ${String(e)}`);
  }
  return assert.unreachable('expected a rejection') as never;
}

function assertOneIntactVideo(): void {
  assert.equal(fake.violations, []);
  assert.is(fake.videos.length, 1, 'exactly one video');
  assert.ok(fake.videos[0]?.bytes.equals(clipBytes), 'byte-identical');
}

test('youtube target - a private future clip is uploaded resumably and scheduled with publishAt', async () => {
  const j = job();
  const progress: number[] = [];
  const r = await target().publish(
    input(j, { thumbnailPath: thumbPath, progress: (f) => progress.push(f) }),
  );
  assertOneIntactVideo();
  const video = fake.videos[0]!;
  assert.equal(r, {
    platform_id: video.id,
    yt_video_id: video.id,
    status: 'SCHEDULED',
    url: `https://youtu.be/${video.id}`,
  });
  assert.equal(video.meta.snippet, {
    title: j.title,
    description: j.description,
    tags: ['talk', 'two words'],
    categoryId: '22',
  });
  assert.equal(video.meta.status, {
    privacyStatus: 'private',
    publishAt: '2099-06-01T18:30:00.000Z',
    selfDeclaredMadeForKids: false,
  });
  assert.equal(fake.thumbnails, [
    { videoId: video.id, type: 'image/jpeg', size: readFileSync(thumbPath).length },
  ]);
  assert.is(fake.tokenRequests, 1, 'one access token for the whole publish');
  assert.ok(progress.length > 0 && progress.every((p, i) => i === 0 || p >= progress[i - 1]!));
});

test('youtube target - a public clip goes LIVE without publishAt; an over-long title is trimmed', async () => {
  const r = await target().publish(
    input(job({ privacy_status: 'public', title: `${'x'.repeat(110)} <b>` })),
  );
  assert.is(r.status, 'LIVE');
  const meta = fake.videos[0]!.meta;
  assert.equal(meta.status, { privacyStatus: 'public', selfDeclaredMadeForKids: false });
  assert.is(meta.snippet.title, 'x'.repeat(100));
});

test('youtube target - a connection dropped mid-file resumes from the committed offset; the file arrives once', async () => {
  for (const [chunkBytes, drop] of [
    [8 * 1024 * 1024, { put: 1, after: 1_000_000 }], // one PUT for the whole file
    [4 * QUANTUM, { put: 2, after: 600_000 }], // 1 MiB chunks, dropped inside the second
  ] as const) {
    await fake.close();
    fake = new FakeYoutube();
    await fake.start();
    fake.drop = drop;
    const r = await target({ chunkBytes }).publish(input(job()));
    assertOneIntactVideo();
    assert.is(r.yt_video_id, fake.videos[0]?.id);
    assert.is(fake.sessions.size, 1, 'one session: resumed, not restarted');
    const committedAtDrop =
      Math.floor(((drop.put - 1) * chunkBytes + drop.after) / QUANTUM) * QUANTUM;
    assert.ok(fake.putStarts.includes(committedAtDrop), `resumed at ${committedAtDrop}`);
    assert.not.ok(fake.putStarts.slice(1).includes(0), 'never restarted from byte 0');
  }
});

test('youtube target - an upload cut off and given back resumes after a restart from its recorded session', async () => {
  const dataDir = tempDir('omniva-yt-data-');
  dirs.push(dataDir);
  const j = job();
  fake.drop = { put: 1, after: 1_500_000 };
  const first = await rejection(target({ dataDir, maxAttempts: 1 }).publish(input(j)));
  assert.is(first.code, 'network_timeout');
  assert.is(first.retryable, true);
  assert.is(fake.videos.length, 0);
  const record = JSON.parse(
    readFileSync(join(dataDir, 'uploader', 'youtube', `${j.clip_id}.json`), 'utf8'),
  );
  assert.type(record.session_uri, 'string');

  // A new process: a fresh target over the same data directory.
  const r = await target({ dataDir }).publish(input(j));
  assertOneIntactVideo();
  assert.is(fake.sessions.size, 1);
  assert.equal(fake.putStarts, [0, Math.floor(1_500_000 / QUANTUM) * QUANTUM]);
  assert.is(r.yt_video_id, fake.videos[0]?.id);
});

test('youtube target - a lost final response is recovered from the session, not uploaded again', async () => {
  fake.loseFinalResponse = true;
  const r = await target().publish(input(job()));
  assertOneIntactVideo();
  assert.is(r.yt_video_id, fake.videos[0]?.id);
  assert.equal(fake.putStarts, [0]);
});

test('youtube target - a retry after success returns the same yt_video_id without a second upload', async () => {
  const dataDir = tempDir('omniva-yt-data-');
  dirs.push(dataDir);
  const j = job();
  const first = await target({ dataDir }).publish(input(j, { thumbnailPath: thumbPath }));
  const again = await target({ dataDir }).publish(input(j, { thumbnailPath: thumbPath }));
  assert.equal(again, first);
  assertOneIntactVideo();
  assert.is(fake.sessions.size, 1);
  assert.is(fake.thumbnails.length, 1, 'the thumbnail is not set twice either');
  const other = await rejection(
    target({ dataDir }).publish(input(j, { clipSha256: 'f'.repeat(64) })),
  );
  assert.is(other.code, 'bad_command', 'other bytes under a published clip id are refused');
  assert.is(fake.videos.length, 1);
});

test('youtube target - a stop mid-upload gives the job back as retryable; the next publish resumes', async () => {
  const dataDir = tempDir('omniva-yt-data-');
  dirs.push(dataDir);
  const j = job();
  const stop = new AbortController();
  const e = await rejection(
    target({ dataDir, chunkBytes: 4 * QUANTUM }).publish(
      input(j, { signal: stop.signal, progress: (f) => f > 0.3 && stop.abort() }),
    ),
  );
  assert.is(e.retryable, true, 'the journal must not record a stop as final');
  assert.is(fake.videos.length, 0);
  await target({ dataDir }).publish(input(j));
  assertOneIntactVideo();
  assert.is(fake.sessions.size, 1);
  assert.not.ok(fake.putStarts.slice(1).includes(0), 'resumed, not restarted');
});

test('youtube target - a job that already names its yt_video_id is never uploaded again', async () => {
  const r = await target().publish(input(job({ yt_video_id: 'abcdefghijk' })));
  assert.is(r.yt_video_id, 'abcdefghijk');
  assert.is(fake.sessions.size, 0);
});

test('youtube target - quotaExceeded is quota_exceeded and not retryable', async () => {
  fake.quota = true;
  const e = await rejection(target().publish(input(job())));
  assert.is(e.code, 'quota_exceeded');
  assert.is(e.retryable, false);
  assert.is(fake.sessions.size, 0);
});

test('youtube target - a revoked access token is refreshed once and the upload continues', async () => {
  fake.revokeOnce = true;
  await target().publish(input(job()));
  assertOneIntactVideo();
  assert.is(fake.tokenRequests, 2);
});

test('youtube target - a refused or missing refresh token is auth_failed and the secret never shows', async () => {
  const wrong = `1//wrong-${randomUUID()}`;
  const refused = await rejection(target({ env: { YT_REFRESH: wrong } }).publish(input(job())));
  assert.is(refused.code, 'auth_failed');
  assert.is(refused.retryable, false);
  assert.match(refused.message, /invalid_grant/);
  const missing = await rejection(target({ env: {} }).publish(input(job())));
  assert.is(missing.code, 'auth_failed');
  assert.match(missing.message, /env:YT_REFRESH/);
  const unreachable = await rejection(
    target({ tokenUrl: 'http://127.0.0.1:9/token', maxAttempts: 1 }).publish(input(job())),
  );
  assert.is(unreachable.code, 'network_timeout');
  assert.is(unreachable.retryable, true);
  for (const e of [refused, missing, unreachable]) {
    const text = `${e.message} ${JSON.stringify(e)}`;
    for (const secret of [wrong, REFRESH, CLIENT_SECRET]) assert.not.ok(text.includes(secret));
  }
  assert.is(fake.sessions.size, 0);
});

test('uploader youtube - through the worker: receipt with yt_video_id, then quota_exceeded as a WorkerStatus', async () => {
  const server = await startTestServer({ domain: SITE });
  const nc = await connectSite(server.url);
  const dataDir = tempDir('omniva-yt-worker-');
  dirs.push(dataDir);
  const zenith = createAccount();
  const store = new MediaStore({ dataDir, siteId: SITE });
  const clipUri = (await store.put(clipPath)).uri;
  assert.is(parseMediaUri(clipUri).sha256, clipSha);
  const kind = uploaderKind({
    instance: 'a',
    store,
    dataDir,
    trustedKeys: [zenith.getPublicKey()],
    targets: { youtube: target({ dataDir }) },
  });
  const host = await startHost(nc, kind);
  try {
    const send = (j: UploadJob) =>
      sendCommand(nc, 'uploader', 'PublishOrder', {
        job: j,
        clip_uri: clipUri,
        target: 'youtube',
        authorization: signGrant(zenith, {
          aud: 'uploader',
          sub: j.clip_id,
          site: SITE,
          ttl_s: 60,
        }),
      });
    const final = (id: string) =>
      waitFor(async () => {
        const msgs = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'uploader', 'status'));
        return msgs
          .map((m) => m.envelope.payload as WorkerStatus)
          .find((s) => s.job_id === id && (s.status === 'DONE' || s.status === 'ERROR'));
      }, 20_000);

    const ok = job();
    await send(ok);
    assert.is((await final(ok.clip_id)).status, 'DONE');
    const receipts = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'uploader', 'published'));
    const receipt = receipts[0]?.envelope.payload as PublishReceipt;
    assert.equal(receipt, {
      clip_id: ok.clip_id,
      target: 'youtube',
      status: 'SCHEDULED',
      platform_id: fake.videos[0]?.id,
      scheduled_time: ok.scheduled_time,
      url: `https://youtu.be/${fake.videos[0]?.id}`,
      yt_video_id: fake.videos[0]?.id,
    });

    fake.quota = true;
    const over = job();
    await send(over);
    const failed = await final(over.clip_id);
    assert.is(failed.status, 'ERROR');
    assert.is(failed.error?.code, 'quota_exceeded');
    assert.is(failed.error?.retryable, false);
    assert.not.ok(existsSync(join(dataDir, 'uploader', 'youtube', `${over.clip_id}.json`)));
  } finally {
    host.stop();
    await nc.close();
    await server.cleanup();
  }
});

test.run();
