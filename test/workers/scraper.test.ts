import { copyFileSync, mkdirSync, readFileSync, utimesSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findYtDlp, scraperKind } from '../../actors/workers/index.ts';
import { ytDlp } from '../../actors/workers/scraper/ytdlp.ts';
import { processEnv } from '../../config/index.ts';
import type { MediaCaptured, ScraperJob, VideoAssetCreated } from '../../protocols/index.ts';
import type { ActorHost } from '../../runtime/index.ts';
import { cleanup, sharedFixtures, timeBound } from '../media/support.ts';
import { tempDir } from '../support/nats.ts';
import { readStream, SITE, STREAMS, startHost } from '../support/site.ts';
import { openWorkerSite, type WorkerSite } from '../support/worker-site.ts';

timeBound(150_000);

let site: WorkerSite;
let host: ActorHost;
let http: Server;
let base: string;
let fx: Awaited<ReturnType<typeof sharedFixtures>>;
const TOKEN = 's3cret-token-value';
const hits: Record<string, number> = {};

function job(target_url: string, extra: Partial<ScraperJob> = {}): ScraperJob {
  return {
    job_id: crypto.randomUUID(),
    creator_id: '0b8e6c1d-2f3a-4b5c-8d7e-9f0a1b2c3d4e',
    platform: 'other',
    target_url,
    requested_range: { since: '2000-01-01T00:00:00Z', until: '2100-01-01T00:00:00Z' },
    status: 'PENDING',
    created_at: '2026-11-22T08:00:00Z',
    updated_at: '2026-11-22T08:00:00Z',
    ...extra,
  };
}

const feed = (
  entries: { id: string; published: string; media: string }[],
) => `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <title>Bakery talks</title>
 ${entries
   .map(
     (e) => `<entry>
  <id>yt:video:${e.id}</id>
  <yt:videoId>${e.id}</yt:videoId>
  <title>Talk ${e.id}</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=${e.id}"/>
  <published>${e.published}</published>
  <media:group><media:title>Talk ${e.id}</media:title><media:content url="${e.media}" type="video/mp4" width="640" height="360"/></media:group>
 </entry>`,
   )
   .join('\n')}
</feed>`;

test.before(async () => {
  fx = await sharedFixtures();
  site = await openWorkerSite();
  http = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    hits[path] = (hits[path] ?? 0) + 1;
    if (path.startsWith('/private/') && req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end();
      return;
    }
    if (path.startsWith('/locked/')) {
      res.writeHead(401).end();
      return;
    }
    if (path === '/slow.mp4') return; // never answers
    if (path === '/busy.mp4') {
      res.writeHead(429, { 'retry-after': '120' }).end();
      return;
    }
    if (path === '/once-busy.mp4' && hits[path] === 1) {
      res.writeHead(429, { 'retry-after': '1' }).end();
      return;
    }
    if (path === '/feed.xml') {
      res.writeHead(200, { 'content-type': 'application/atom+xml; charset=UTF-8' });
      res.end(
        feed([
          {
            id: 'AAAAAAAAAAA',
            published: '2026-11-01T10:00:00+00:00',
            media: `${base}/media/clip.mp4`,
          },
          {
            id: 'BBBBBBBBBBB',
            published: '2020-01-01T10:00:00+00:00',
            media: `${base}/media/old.mp4`,
          },
        ]),
      );
      return;
    }
    const files: Record<string, string> = {
      '/media/talk.mp4': fx.files.talk,
      '/media/talk.srt': fx.files.talkSrt,
      '/media/clip.mp4': fx.files.clip,
      '/private/clip.mp4': fx.files.clip,
      '/once-busy.mp4': fx.files.clip,
      '/media/broken.mp4': fx.files.corrupt,
    };
    const file = files[path];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': path.endsWith('.srt') ? 'application/x-subrip' : 'video/mp4',
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  host = await startHost(
    site.nc,
    scraperKind({
      instance: 'scraper-1',
      store: site.store,
      dataDir: site.dataDir,
      tools: site.tools,
      sources: {
        http: {
          timeoutMs: 1_000,
          maxRetryAfterMs: 5_000,
          headers: (url: URL): Record<string, string> =>
            url.pathname.startsWith('/private/') ? { authorization: `Bearer ${TOKEN}` } : {},
        },
        maxBytes: 512 * 1024 * 1024,
        ytdlp: undefined,
      },
    }),
    { ledger: site.ledger },
  );
});

test.after(async () => {
  await host.stop();
  http.closeAllConnections();
  http.close();
  await site.close();
  cleanup();
});

async function run(j: ScraperJob) {
  await site.command('scraper', 'ScraperJob', j);
  return site.outcome('scraper', j.job_id);
}

async function assetsOf(jobId: string) {
  const created = (await site.events('scraper', 'video_asset_created')).filter(
    (e) => (e.payload as VideoAssetCreated).job_id === jobId,
  );
  const raw = (await site.events('scraper', 'raw_captured')).filter(
    (e) => (e.payload as MediaCaptured).job_id === jobId,
  );
  return { created, raw };
}

test('scraper - a local file with a sidecar SRT becomes a stored asset with two ledger packets', async () => {
  const j = job(pathToFileURL(fx.files.talk).href);
  const status = await run(j);
  assert.is(status.status, 'DONE');
  const { created, raw } = await assetsOf(j.job_id);
  assert.is(created.length, 1);
  assert.is(raw.length, 1);
  const asset = created[0]?.payload as VideoAssetCreated;
  assert.ok(asset.captions_uri, 'the SRT next to the file came along');
  assert.is(asset.captions_format, 'srt');
  assert.ok(Math.abs(asset.metadata.duration_s - fx.manifest.sets.talk!.duration_s) < 0.2);
  assert.is(asset.metadata.has_audio, true);
  assert.is(asset.analysis_stub.video_id, asset.video_id);
  // The stored bytes are the file's, verified on read.
  assert.equal(readFileSync(await site.store.path(asset.media_uri)), readFileSync(fx.files.talk));
  assert.equal(
    readFileSync(await site.store.path(asset.captions_uri!)),
    readFileSync(fx.files.talkSrt),
  );
  // Two packets for the asset (raw capture, normalization), both derived from the command.
  await site.ledger.settle();
  await site.ledger.lineage.sync();
  const nodes = await site.ledger.lineage.byEntity('video', asset.video_id);
  const packets = await Promise.all(nodes.map((n) => site.ledger.get(n.stardust_id)));
  const names = packets.map((p) => (p?.payload as { name?: string } | undefined)?.name).sort();
  assert.equal(names, ['raw_captured', 'video_asset_created']);
  for (const n of nodes) assert.ok(n.parents.length >= 1, 'each packet names its cause');
});

test('scraper - a watched folder ingests each file once; a new file is picked up by the next job', async () => {
  const dir = tempDir('omniva-watch-');
  copyFileSync(fx.files.clip, join(dir, 'a.mp4'));
  copyFileSync(fx.files.clipSrt, join(dir, 'a.srt'));
  const first = job(pathToFileURL(dir).href);
  assert.is((await run(first)).status, 'DONE');
  assert.is((await assetsOf(first.job_id)).created.length, 1);

  const second = job(pathToFileURL(dir).href);
  assert.is((await run(second)).status, 'DONE');
  assert.is((await assetsOf(second.job_id)).created.length, 0, 'already ingested: not again');

  copyFileSync(fx.files.talk, join(dir, 'b.mp4'));
  const third = job(pathToFileURL(dir).href);
  assert.is((await run(third)).status, 'DONE');
  const { created } = await assetsOf(third.job_id);
  assert.is(created.length, 1);
  assert.ok((created[0]!.payload as VideoAssetCreated).source_item.endsWith('b.mp4'));
});

test('scraper - a folder job skips files outside the requested range', async () => {
  const dir = tempDir('omniva-range-');
  copyFileSync(fx.files.clip, join(dir, 'old.mp4'));
  utimesSync(
    join(dir, 'old.mp4'),
    new Date('2019-01-01T00:00:00Z'),
    new Date('2019-01-01T00:00:00Z'),
  );
  const j = job(pathToFileURL(dir).href, {
    requested_range: { since: '2025-01-01T00:00:00Z', until: '2100-01-01T00:00:00Z' },
  });
  assert.is((await run(j)).status, 'DONE');
  assert.is((await assetsOf(j.job_id)).created.length, 0);
});

test('scraper - an HTTP media URL downloads the file and its sidecar captions', async () => {
  const j = job(`${base}/media/talk.mp4?sig=abc`);
  assert.is((await run(j)).status, 'DONE');
  const asset = (await assetsOf(j.job_id)).created[0]?.payload as VideoAssetCreated;
  assert.ok(asset.captions_uri);
  assert.not.ok(asset.source_item.includes('sig='), 'query strings are not recorded');
});

test('scraper - a YouTube channel feed ingests the entries in range, once', async () => {
  const j = job(`${base}/feed.xml`, {
    platform: 'youtube',
    requested_range: { since: '2026-01-01T00:00:00Z', until: '2026-12-31T00:00:00Z' },
  });
  assert.is((await run(j)).status, 'DONE');
  const { created } = await assetsOf(j.job_id);
  assert.is(created.length, 1);
  const asset = created[0]?.payload as VideoAssetCreated;
  assert.is(asset.source_item, 'yt:video:AAAAAAAAAAA');
  assert.is(asset.title, 'Talk AAAAAAAAAAA');
  assert.is(hits['/media/old.mp4'], undefined, 'the out-of-range entry was not downloaded');
  const again = job(`${base}/feed.xml`, j);
  again.job_id = crypto.randomUUID();
  assert.is((await run(again)).status, 'DONE');
  assert.is((await assetsOf(again.job_id)).created.length, 0);
});

test('scraper - credentials come from the secret and never appear in messages', async () => {
  const j = job(`${base}/private/clip.mp4`);
  assert.is((await run(j)).status, 'DONE');
  const all = await readStream(site.nc, STREAMS.evt, `omniva.${SITE}.evt.scraper.>`);
  assert.not.ok(JSON.stringify(all.map((m) => m.envelope)).includes(TOKEN));
});

test('scraper - a short Retry-After is honoured and the download then succeeds', async () => {
  const j = job(`${base}/once-busy.mp4`);
  const t0 = Date.now();
  assert.is((await run(j)).status, 'DONE');
  assert.ok(Date.now() - t0 >= 900, 'waited for the Retry-After');
  assert.is(hits['/once-busy.mp4'], 2);
});

const failures: [string, string, string, boolean][] = [
  ['network_timeout', 'a server that never answers', '/slow.mp4', true],
  ['rate_limited', 'a 429 with a long Retry-After', '/busy.mp4', true],
  ['auth_failed', 'a 401', '/locked/clip.mp4', false],
  ['media_corrupt', 'bytes ffprobe rejects', '/media/broken.mp4', false],
];
for (const [code, what, path, retryable] of failures) {
  test(`scraper - ${what} is reported as ${code} and the job is not lost`, async () => {
    const j = job(`${base}${path}`);
    const status = await run(j);
    assert.is(status.status, 'ERROR');
    assert.is(status.error?.code, code);
    assert.is(status.error?.retryable, retryable);
    assert.is((await assetsOf(j.job_id)).created.length, 0);
    // Acknowledged with its outcome, not dead-lettered or stuck in the queue.
    assert.is((await readStream(site.nc, STREAMS.dlq, `omniva.${SITE}.dlq.>`)).length, 0);
    if (code === 'rate_limited') assert.match(status.error?.message ?? '', /429/);
  });
}

test('scraper - a platform URL without yt-dlp says how to install it', async () => {
  const j = job('https://www.youtube.com/watch?v=dQw4w9WgXcQ', { platform: 'youtube' });
  const status = await run(j);
  assert.is(status.error?.code, 'bad_command');
  assert.match(status.error?.message ?? '', /yt-dlp is not installed/);
});

test('scraper - yt-dlp, when installed, downloads a page into the work folder', async () => {
  // yt-dlp's generic extractor takes any media URL; platform pages need the internet.
  const bin = findYtDlp(undefined, processEnv().PATH ?? '');
  assert.ok(bin, 'yt-dlp is installed (scripts/setup)');
  const dir = tempDir('omniva-ytdlp-');
  const got = await ytDlp(bin, `${base}/media/clip.mp4`, dir, new AbortController().signal);
  assert.equal(readFileSync(got.media), readFileSync(fx.files.clip));
});

test('scraper - a corrupted local file is media_corrupt and no asset is remembered', async () => {
  const dir = tempDir('omniva-corrupt-');
  mkdirSync(dir, { recursive: true });
  copyFileSync(fx.files.corrupt, join(dir, 'x.mp4'));
  const j = job(pathToFileURL(join(dir, 'x.mp4')).href);
  assert.is((await run(j)).error?.code, 'media_corrupt');
  const retry = job(pathToFileURL(join(dir, 'x.mp4')).href);
  assert.is(
    (await run(retry)).error?.code,
    'media_corrupt',
    'tried again, not skipped as ingested',
  );
});

test.run();
