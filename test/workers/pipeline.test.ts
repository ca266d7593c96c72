import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAccount } from '@nats-io/nkeys';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DEFAULT_ASR,
  DEFAULT_CANDIDATES,
  type Transcript,
} from '../../actors/workers/analyzer/index.ts';
import {
  captionLines,
  DEFAULT_CAPTION_STYLE,
  DEFAULT_ENCODE,
} from '../../actors/workers/editor/index.ts';
import {
  analyzerKind,
  editorKind,
  schedulerKind,
  scraperKind,
  uploaderKind,
} from '../../actors/workers/index.ts';
import type {
  AnalysisReport,
  ClipRendered,
  Envelope,
  PublishReceipt,
  ScheduleChange,
  ScraperJob,
  VideoAssetCreated,
} from '../../protocols/index.ts';
import { type ActorHost, signGrant } from '../../runtime/index.ts';
import { probe } from '../../runtime/media/index.ts';
import { cleanup, sharedFixtures, timeBound } from '../media/support.ts';
import { waitFor } from '../support/nats.ts';
import { SITE, startHost } from '../support/site.ts';
import { openWorkerSite, type WorkerSite } from '../support/worker-site.ts';

timeBound(300_000);

let site: WorkerSite;
const hosts: ActorHost[] = [];
const zenithKey = createAccount();

test.before(async () => {
  site = await openWorkerSite();
  const common = { store: site.store, tools: site.tools, dataDir: site.dataDir, instance: 'w1' };
  const kinds = [
    scraperKind({
      ...common,
      sources: {
        http: { timeoutMs: 5_000, maxRetryAfterMs: 5_000 },
        maxBytes: 1 << 30,
        ytdlp: undefined,
      },
    }),
    analyzerKind({ ...common, asrOptions: DEFAULT_ASR, candidates: DEFAULT_CANDIDATES }),
    editorKind({ ...common, style: DEFAULT_CAPTION_STYLE, encode: DEFAULT_ENCODE, gpu: false }),
    schedulerKind({
      instance: 'w1',
      rules: {
        min_spacing_minutes: 60,
        max_per_day: 3,
        windows: [{ start: '17:00', end: '21:00' }],
      },
    }),
    uploaderKind({ ...common, trustedKeys: [zenithKey.getPublicKey()] }),
  ];
  for (const kind of kinds) hosts.push(await startHost(site.nc, kind, { ledger: site.ledger }));
});

test.after(async () => {
  for (const h of hosts) await h.stop();
  await site.close();
  cleanup();
});

/** The first recorded event `<actor>.<name>` whose payload matches. */
async function awaitEvent<T>(actor: string, name: string, match: (p: T) => boolean) {
  return waitFor(
    async () => (await site.recorded(actor, name)).find((e) => match(e.envelope.payload as T)),
    120_000,
    50,
  ) as Promise<{ envelope: Envelope; stardust_id: string }>;
}

test('pipeline - a generated talk goes scraper → analyzer → editor → scheduler → uploader(local)', async () => {
  const fx = await sharedFixtures();
  const now = new Date().toISOString();
  const scrape: ScraperJob = {
    job_id: crypto.randomUUID(),
    creator_id: crypto.randomUUID(),
    platform: 'other',
    target_url: pathToFileURL(fx.files.talk).href,
    requested_range: { since: '2000-01-01T00:00:00Z', until: '2100-01-01T00:00:00Z' },
    status: 'PENDING',
    created_at: now,
    updated_at: now,
  };
  await site.command('scraper', 'ScraperJob', scrape);
  const asset = await awaitEvent<VideoAssetCreated>(
    'scraper',
    'video_asset_created',
    (p) => p.job_id === scrape.job_id,
  );
  const a = asset.envelope.payload as VideoAssetCreated;
  const raw = await awaitEvent<{ video_id: string }>(
    'scraper',
    'raw_captured',
    (p) => p.video_id === a.video_id,
  );

  const analyzeId = crypto.randomUUID();
  await site.command(
    'analyzer',
    'AnalyzeJob',
    {
      job_id: analyzeId,
      video_id: a.video_id,
      scraper_job_id: scrape.job_id,
      media_uri: a.media_uri,
      ...(a.captions_uri
        ? { captions_uri: a.captions_uri, captions_format: a.captions_format }
        : {}),
    },
    { _meta_parents: [raw.stardust_id, asset.stardust_id] },
  );
  const analysis = await awaitEvent<AnalysisReport>(
    'analyzer',
    'analysis_ready',
    (p) => p.job_id === analyzeId,
  );
  const report = analysis.envelope.payload as AnalysisReport;
  const best = report.result.clip_candidates[0];
  assert.ok(best, 'at least one candidate');

  const clip_id = crypto.randomUUID();
  const editing_context_id = crypto.randomUUID();
  await site.command(
    'editor',
    'EditOrder',
    {
      editing_context_id,
      job: {
        clip_id,
        operations: ['cut', 'reframe', 'captions', 'loudnorm', 'encode', 'thumbnail'],
        ffmpeg_commands: [],
        gpu_required: false,
        estimated_duration: Math.ceil(best.end_time - best.start_time),
      },
      source_uri: a.media_uri,
      transcript_uri: report.transcript_uri,
      start_time: best.start_time,
      end_time: best.end_time,
    },
    { _meta_parents: [analysis.stardust_id] },
  );
  const rendered = await awaitEvent<ClipRendered>(
    'editor',
    'clip_rendered',
    (p) => p.clip_id === clip_id,
  );
  const r = rendered.envelope.payload as ClipRendered;

  await site.command(
    'scheduler',
    'ScheduleOrder',
    {
      task: {
        clip_id,
        recommended_time: new Date(Date.now() + 3_600_000).toISOString(),
        priority: best.confidence,
        horizon_adjustment: 0,
        final_decision_source: 'zenith',
      },
      channel: 'main',
    },
    { _meta_parents: [rendered.stardust_id] },
  );
  const scheduled = await awaitEvent<ScheduleChange>(
    'scheduler',
    'scheduled',
    (p) => p.clip_id === clip_id,
  );
  const slot = (scheduled.envelope.payload as ScheduleChange).slot as string;
  const hour = new Date(slot).getUTCHours();
  assert.ok(hour >= 17 && hour < 21, `slot ${slot} is in the preferred window`);

  await site.command(
    'uploader',
    'PublishOrder',
    {
      job: {
        clip_id,
        title: 'The bakery lesson nobody tells you',
        description: report.result.transcript.slice(0, 300),
        keywords: report.result.keywords_detected.slice(0, 15),
        scheduled_time: slot,
        privacy_status: 'public',
      },
      clip_uri: r.clip_uri,
      thumbnail_uri: r.thumbnail_uri,
      target: 'local',
      authorization: signGrant(zenithKey, {
        aud: 'uploader',
        sub: clip_id,
        site: SITE,
        ttl_s: 300,
      }),
    },
    { _meta_parents: [rendered.stardust_id, scheduled.stardust_id] },
  );
  const published = await awaitEvent<PublishReceipt>(
    'uploader',
    'published',
    (p) => p.clip_id === clip_id,
  );
  const receipt = published.envelope.payload as PublishReceipt;
  assert.is(receipt.status, 'SCHEDULED');
  assert.is(receipt.scheduled_time, slot);

  // A playable 1080×1920 clip, published into the local folder with gallery and feed.
  const folder = join(site.dataDir, 'published');
  const clipFile = join(folder, clip_id, 'clip.mp4');
  assert.ok(existsSync(clipFile));
  const info = await probe(clipFile, { tools: site.tools });
  assert.equal(
    [info.width, info.height, info.video_codec, info.audio_codec],
    [1080, 1920, 'h264', 'aac'],
  );
  const decode = spawnSync(site.tools.ffmpeg, ['-v', 'error', '-i', clipFile, '-f', 'null', '-'], {
    encoding: 'utf8',
  });
  assert.is(decode.status, 0, 'decodes without errors');
  assert.is(decode.stderr.trim(), '');
  assert.ok(readFileSync(join(folder, 'index.html'), 'utf8').includes(clip_id));
  assert.ok(readFileSync(join(folder, 'feed.xml'), 'utf8').includes(clip_id));

  // Loudness −14 ± 1 LUFS, measured by ffmpeg's ebur128 on the published file.
  const ebu = spawnSync(
    site.tools.ffmpeg,
    ['-hide_banner', '-nostats', '-i', clipFile, '-af', 'ebur128', '-f', 'null', '-'],
    {
      encoding: 'utf8',
    },
  ).stderr;
  const lufs = Number(
    /I:\s*(-?[\d.]+)\s*LUFS/.exec(ebu.slice(ebu.lastIndexOf('Integrated loudness')))?.[1],
  );
  assert.ok(Math.abs(lufs + 14) <= 1, `integrated loudness ${lufs}`);

  // The burned captions are the transcript's words inside the cut.
  const transcript = JSON.parse(
    readFileSync(await site.store.path(report.transcript_uri), 'utf8'),
  ) as Transcript;
  const words = transcript.segments.flatMap((s) => s.words);
  const lines = captionLines(
    words,
    best.start_time,
    best.end_time,
    DEFAULT_CAPTION_STYLE.max_words,
  );
  assert.is(r.edit_summary.caption_cues, lines.length);
  const spoken = transcript.segments
    .filter((s) => s.start >= best.start_time && s.end <= best.end_time)
    .map((s) => s.text)
    .join(' ');
  assert.is(
    lines
      .flat()
      .map((w) => w.w)
      .join(' '),
    spoken,
  );

  // Lineage: the publication descends from the raw capture, through every stage.
  await site.ledger.settle();
  await site.ledger.lineage.sync();
  const ancestors = (await site.ledger.lineage.ancestors(published.stardust_id)).map(
    (h) => h.node.stardust_id,
  );
  for (const [stage, id] of Object.entries({
    scheduled: scheduled.stardust_id,
    rendered: rendered.stardust_id,
    analysis: analysis.stardust_id,
    asset: asset.stardust_id,
    'raw capture': raw.stardust_id,
  }))
    assert.ok(ancestors.includes(id), `the receipt descends from ${stage}`);
});

test.run();
