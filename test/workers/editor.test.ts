import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromCaptions } from '../../actors/workers/analyzer/index.ts';
import {
  captionLines,
  DEFAULT_CAPTION_STYLE,
  DEFAULT_ENCODE,
  editorKind,
} from '../../actors/workers/editor/index.ts';
import type { ClipRendered, EditOrder } from '../../protocols/index.ts';
import { type ActorHost, SiteClient } from '../../runtime/index.ts';
import { probe } from '../../runtime/media/index.ts';
import { cleanup, sharedFixtures, timeBound } from '../media/support.ts';
import { waitFor } from '../support/nats.ts';
import { SITE, startHost } from '../support/site.ts';
import { openWorkerSite, type WorkerSite } from '../support/worker-site.ts';

timeBound(420_000);

let site: WorkerSite;
let host: ActorHost;
let fx: Awaited<ReturnType<typeof sharedFixtures>>;
let source: string;
let transcript: string;
let words: ReturnType<typeof fromCaptions>[number]['words'];
let cut: { start: number; end: number };

test.before(async () => {
  fx = await sharedFixtures();
  site = await openWorkerSite();
  source = (await site.store.put(fx.files.talk)).uri;
  const segments = fromCaptions(readFileSync(fx.files.talkSrt, 'utf8'));
  words = segments.flatMap((s) => s.words);
  const file = join(site.dataDir, 'transcript.json');
  writeFileSync(file, JSON.stringify({ source: 'srt', segments }));
  transcript = (await site.store.put(file)).uri;
  // Two whole captions, about 12 s.
  cut = { start: segments[1]!.start, end: segments[2]!.end };
  host = await startHost(
    site.nc,
    editorKind({
      instance: 'render-1',
      store: site.store,
      tools: site.tools,
      dataDir: site.dataDir,
      style: DEFAULT_CAPTION_STYLE,
      encode: DEFAULT_ENCODE,
      gpu: false,
    }),
    { ledger: site.ledger, hostId: 'render-1' },
  );
});

test.after(async () => {
  await host.stop();
  await site.close();
  cleanup();
});

function order(extra: Partial<EditOrder> = {}, ops?: string[]): EditOrder {
  return {
    editing_context_id: crypto.randomUUID(),
    job: {
      clip_id: crypto.randomUUID(),
      operations: ops ?? ['cut', 'reframe', 'captions', 'loudnorm', 'encode', 'thumbnail'],
      ffmpeg_commands: [],
      gpu_required: false,
      estimated_duration: 20,
    },
    source_uri: source,
    transcript_uri: transcript,
    start_time: cut.start,
    end_time: cut.end,
    reframe: 'auto',
    ...extra,
  };
}

async function edit(o: EditOrder) {
  await site.command('editor', 'EditOrder', o);
  const status = await site.outcome('editor', o.editing_context_id, 180_000);
  const rendered = (await site.events('editor', 'clip_rendered'))
    .map((e) => e.payload as ClipRendered)
    .filter((r) => r.editing_context_id === o.editing_context_id);
  return { status, rendered: rendered.at(-1) };
}

/** Integrated loudness (LUFS) as ffmpeg's ebur128 summary reports it. */
function loudness(file: string): number {
  const res = spawnSync(
    site.tools.ffmpeg,
    ['-hide_banner', '-nostats', '-i', file, '-af', 'ebur128', '-f', 'null', '-'],
    {
      encoding: 'utf8',
    },
  );
  const summary = res.stderr.slice(res.stderr.lastIndexOf('Integrated loudness'));
  return Number(/I:\s*(-?[\d.]+)/.exec(summary)?.[1]);
}

let first: ClipRendered | undefined;

test('editor - renders a playable 1080x1920 H.264/AAC clip at -14 LUFS with faststart and a thumbnail', async () => {
  const o = order();
  const { status, rendered } = await edit(o);
  assert.is(status.status, 'DONE', JSON.stringify(status.error));
  assert.ok(rendered);
  first = rendered;
  const file = await site.store.path(rendered.clip_uri);
  const info = await probe(file, { tools: site.tools });
  assert.is(info.width, 1080);
  assert.is(info.height, 1920);
  assert.is(info.video_codec, 'h264');
  assert.is(info.audio_codec, 'aac');
  assert.ok(Math.abs(info.duration_s - (cut.end - cut.start)) < 0.2, `duration ${info.duration_s}`);
  const bytes = readFileSync(file);
  assert.ok(bytes.indexOf('moov') < bytes.indexOf('mdat'), 'moov before mdat (faststart)');
  const lufs = loudness(file);
  assert.ok(Math.abs(lufs - -14) <= 1, `integrated loudness ${lufs} LUFS`);
  const thumb = readFileSync(await site.store.path(rendered.thumbnail_uri));
  assert.equal([...thumb.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');
  assert.is(rendered.edit_summary.reframe, 'center');
  assert.is(rendered.ffmpeg_version, site.tools.version);
  assert.ok(rendered.commands.some((c) => c.includes('ass=captions.ass') && c.includes(source)));
  assert.not.ok(
    rendered.commands.some((c) => c.includes(site.dataDir)),
    'no host paths recorded',
  );
});

test('editor - the burned captions are the transcript words of the cut, timed from the cut', () => {
  const lines = captionLines(words, cut.start, cut.end, DEFAULT_CAPTION_STYLE.max_words);
  assert.is(first?.edit_summary.caption_cues, lines.length);
  const inCut = words
    .filter((w) => w.start >= cut.start - 0.05 && w.end <= cut.end + 0.05)
    .map((w) => w.w);
  assert.equal(
    lines.flat().map((w) => w.w),
    inCut,
  );
  assert.ok(lines[0]![0]!.start >= 0 && lines.at(-1)!.at(-1)!.end <= cut.end - cut.start + 0.06);
});

test('editor - the captions are visible: frames differ from a render without them', async () => {
  const plain = await edit(order({}, ['cut', 'reframe', 'loudnorm', 'encode', 'thumbnail']));
  assert.ok(plain.rendered && first);
  const frame = async (uri: string) => {
    const file = await site.store.path(uri);
    // The lower part of the picture, where captions sit, two seconds in.
    return execFileSync(
      site.tools.ffmpeg,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-ss',
        '2',
        '-i',
        file,
        '-frames:v',
        '1',
        '-vf',
        'crop=1080:500:0:1200,scale=108:50,format=gray',
        '-f',
        'rawvideo',
        '-',
      ],
      { maxBuffer: 1 << 20 },
    );
  };
  const a = await frame(first.clip_uri);
  const b = await frame(plain.rendered.clip_uri);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff += Math.abs((a[i] as number) - (b[i] as number));
  assert.ok(diff / a.length > 2, `mean pixel difference ${diff / a.length}`);
});

test('editor - re-rendering the same EditJob yields the same sha256', async () => {
  assert.ok(first);
  const again = order();
  again.job.clip_id = first.clip_id;
  const { rendered } = await edit(again);
  assert.is(rendered?.edit_summary.sha256, first.edit_summary.sha256);
  assert.is(rendered?.clip_uri, first.clip_uri);
  assert.is(rendered?.thumbnail_uri, first.thumbnail_uri);
});

test('editor - a retry of a finished editing context reuses its output', async () => {
  const o = order();
  const a = await edit(o);
  const t0 = Date.now();
  await site.command('editor', 'EditOrder', o);
  const b = await waitFor(async () => {
    const all = (await site.events('editor', 'clip_rendered')).map(
      (e) => e.payload as ClipRendered,
    );
    return all.filter((r) => r.editing_context_id === o.editing_context_id).length === 2
      ? all.at(-1)
      : undefined;
  }, 30_000);
  assert.is(b.reused, true);
  assert.is(b.clip_uri, a.rendered?.clip_uri);
  assert.ok(Date.now() - t0 < 5_000, 'no second render');
});

test('editor - an unknown operation is a deterministic bad_command', async () => {
  const { status } = await edit(order({}, ['cut', 'sparkles']));
  assert.is(status.error?.code, 'bad_command');
  assert.is(status.error?.retryable, false);
});

test('editor - a job that needs a GPU on a host without one is a transient gpu_starvation', async () => {
  const o = order();
  o.job.gpu_required = true;
  const { status } = await edit(o);
  assert.is(status.error?.code, 'gpu_starvation');
  assert.is(status.error?.retryable, true);
});

test('editor - ffmpeg running out of memory is a transient resource_exhausted', async () => {
  // The real ffmpeg under a 600 MB address-space limit: enough to level the audio, not to
  // encode 1080×1920 video.
  const wrapper = join(site.dataDir, 'ffmpeg-limited');
  writeFileSync(wrapper, `#!/bin/sh\nulimit -v 600000\nexec "${site.tools.ffmpeg}" "$@"\n`, {
    mode: 0o755,
  });
  const limited = await startHost(
    site.nc,
    editorKind({
      instance: 'small',
      placed: true,
      store: site.store,
      tools: { ...site.tools, ffmpeg: wrapper },
      dataDir: site.dataDir,
      style: DEFAULT_CAPTION_STYLE,
      encode: DEFAULT_ENCODE,
      gpu: false,
    }),
    { ledger: site.ledger, hostId: 'small' },
  );
  try {
    const o = order();
    await site.command('editor', 'EditOrder', o, { instance: 'small' });
    const status = await site.outcome('editor-small', o.editing_context_id, 60_000);
    assert.is(status.error?.code, 'resource_exhausted', status.error?.message);
    assert.is(status.error?.retryable, true);
  } finally {
    await limited.stop();
  }
});

test('editor - a render can be cancelled mid-way and nothing is stored for it', async () => {
  const long = order({ start_time: 0, end_time: 90 });
  await site.command('editor', 'EditOrder', long);
  // Wait until the render reports progress, then cancel it.
  await waitFor(
    async () =>
      (await site.events('editor', 'progress')).some(
        (e) =>
          (e.payload as { job_id: string }).job_id === long.editing_context_id &&
          ((e.payload as { progress?: number }).progress ?? 0) > 0.06,
      ),
    60_000,
  );
  const client = new SiteClient(site.nc, SITE, { actor: 'zenith' });
  const reply = await client.request('editor', 'cancel', 'CancelRequest', {
    instance_key: long.editing_context_id,
    reason: 'operator cancelled',
  });
  assert.is((reply.payload as { cancelled: boolean }).cancelled, true);
  const status = await site.outcome('editor', long.editing_context_id, 30_000);
  assert.is(status.status, 'CANCELLED');
  const rendered = (await site.events('editor', 'clip_rendered')).filter(
    (e) => (e.payload as ClipRendered).editing_context_id === long.editing_context_id,
  );
  assert.is(rendered.length, 0);
});

test.run();
