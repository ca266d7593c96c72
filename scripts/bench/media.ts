// Media benchmarks (issue: operational layer). In one run, on one embedded server:
//   editor:   wall time of an EditOrder through the editor actor (command → clip_rendered)
//             vs the same ffmpeg commands run bare, for the same clip; rounds interleaved.
//   analyzer: media-minutes analysed per wall-clock minute for the fixture talk, vs the bare
//             ffmpeg measuring pass on the same file.
//   --long:   a generated 2-hour input through the analyzer, with the process's peak RSS.
//
//   npx tsx scripts/bench/media.ts [--rounds 3] [--long] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  DEFAULT_ASR,
  DEFAULT_CANDIDATES,
  fromCaptions,
} from '../../actors/workers/analyzer/index.ts';
import {
  buildAss,
  DEFAULT_CAPTION_STYLE,
  DEFAULT_ENCODE,
} from '../../actors/workers/editor/index.ts';
import { analyzerKind, editorKind } from '../../actors/workers/index.ts';
import {
  type AnalysisReport,
  type ClipRendered,
  type Envelope,
  subjects,
} from '../../protocols/index.ts';
import {
  ActorHost,
  type ActorKind,
  createLogger,
  provisionSite,
  SiteClient,
  startNatsServer,
} from '../../runtime/index.ts';
import { MediaStore, resolveFfmpeg } from '../../runtime/media/index.ts';
import { generateFixtures, toSrt } from '../fixtures.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    long: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(args.rounds);
const SITE = 'bench';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const fx = await generateFixtures();
const tools = await resolveFfmpeg();
const dir = mkdtempSync(join(tmpdir(), 'omniva-media-bench-'));
const server = await startNatsServer({ dir: join(dir, 'nats'), domain: SITE });
const nc = await connect({ servers: server.url, noAsyncTraces: true });
const hosts: ActorHost[] = [];
try {
  await provisionSite(nc, await jetstreamManager(nc), {
    site: SITE,
    duplicateWindowMs: 120_000,
    effectsTtlMs: 3_600_000,
  });
  const store = new MediaStore({ dataDir: dir, siteId: SITE });
  const deps = (kind: ActorKind) =>
    new ActorHost(
      {
        nc,
        site: SITE,
        hostId: 'bench',
        codec: 'msgpack',
        log: createLogger({ level: 'silent' }),
        options: {
          ack_wait_ms: 60_000,
          max_deliver: 3,
          backoff_ms: [1000],
          max_in_flight: 4,
          dedupe_window: 256,
          restart_intensity: 5,
          restart_period_ms: 60_000,
          escalation_pause_ms: 30_000,
          drain_timeout_ms: 10_000,
          heartbeat_ms: 0,
        },
      },
      kind,
    );
  const common = { store, tools, dataDir: dir, instance: 'bench' };
  for (const kind of [
    editorKind({ ...common, style: DEFAULT_CAPTION_STYLE, encode: DEFAULT_ENCODE, gpu: false }),
    analyzerKind({ ...common, asrOptions: DEFAULT_ASR, candidates: DEFAULT_CANDIDATES }),
  ]) {
    const h = deps(kind);
    await h.start();
    hosts.push(h);
  }
  const client = new SiteClient(nc, SITE, { actor: 'zenith' });
  const waitEvent = (actor: string, name: string, match: (e: Envelope) => boolean) =>
    new Promise<Envelope>((resolve) => {
      const sub = client.watch(subjects.evt(SITE, actor, name), (e) => {
        if (match(e)) {
          sub.unsubscribe();
          resolve(e);
        }
      });
    });

  // ---- editor ----------------------------------------------------------------------------
  const source = (await store.put(fx.files.talk)).uri;
  const segments = fromCaptions(readFileSync(fx.files.talkSrt, 'utf8'));
  writeFileSync(join(dir, 't.json'), JSON.stringify({ source: 'srt', segments }));
  const transcript = (await store.put(join(dir, 't.json'))).uri;
  const cut = { start: segments[2]?.start ?? 0, end: segments[5]?.end ?? 20 };
  const order = () => ({
    editing_context_id: crypto.randomUUID(),
    job: {
      clip_id: crypto.randomUUID(),
      operations: [],
      ffmpeg_commands: [],
      gpu_required: false,
      estimated_duration: 20,
    },
    source_uri: source,
    transcript_uri: transcript,
    start_time: cut.start,
    end_time: cut.end,
  });
  const actorMs: number[] = [];
  const bareMs: number[] = [];
  let commands: string[] = [];
  const sourcePath = await store.path(source);
  for (let round = 0; round < ROUNDS; round++) {
    const o = order();
    const t0 = performance.now();
    const done = waitEvent(
      'editor',
      'clip_rendered',
      (e) => (e.payload as ClipRendered).editing_context_id === o.editing_context_id,
    );
    await client.command('editor', 'EditOrder', o);
    commands = ((await done).payload as ClipRendered).commands;
    actorMs.push(performance.now() - t0);
    // The same commands, bare: same inputs, same scratch-folder layout, same captions file.
    const work = mkdtempSync(join(dir, 'bare-'));
    const words = segments.flatMap((x) => x.words);
    writeFileSync(
      join(work, 'captions.ass'),
      buildAss(words, cut.start, cut.end, DEFAULT_CAPTION_STYLE).ass,
    );
    const t1 = performance.now();
    for (const c of commands) {
      const argv = c
        .split(' ')
        .slice(1)
        .map((a) => (a === source ? sourcePath : a));
      const r = spawnSync(tools.ffmpeg, argv, { cwd: work, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`bare ffmpeg failed: ${r.stderr.slice(-300)}`);
    }
    bareMs.push(performance.now() - t1);
    rmSync(work, { recursive: true, force: true });
  }

  // ---- analyzer --------------------------------------------------------------------------
  const talkS = fx.manifest.sets.talk?.duration_s ?? 0;
  const captions = (await store.put(fx.files.talkSrt)).uri;
  const analyze = async (media_uri: string, captions_uri: string) => {
    const job_id = crypto.randomUUID();
    const t0 = performance.now();
    const done = waitEvent(
      'analyzer',
      'analysis_ready',
      (e) => (e.payload as AnalysisReport).job_id === job_id,
    );
    await client.command('analyzer', 'AnalyzeJob', {
      job_id,
      video_id: crypto.randomUUID(),
      scraper_job_id: crypto.randomUUID(),
      media_uri,
      captions_uri,
      captions_format: 'srt',
    });
    await done;
    return performance.now() - t0;
  };
  const analyzerMs: number[] = [];
  const measureMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    analyzerMs.push(await analyze(source, captions));
    const t = performance.now();
    spawnSync(tools.ffmpeg, [
      '-hide_banner',
      '-nostats',
      '-i',
      sourcePath,
      '-filter_complex',
      '[0:a]silencedetect=n=-35dB:d=0.3,ebur128=peak=none[a];[0:v]fps=5,scale=96:-2,scdet=t=10[v]',
      '-map',
      '[a]',
      '-map',
      '[v]',
      '-f',
      'null',
      '-',
    ]);
    measureMs.push(performance.now() - t);
  }

  let long:
    | { media_minutes: number; wall_s: number; media_min_per_min: number; peak_rss_mb: number }
    | undefined;
  if (args.long) {
    const file = join(dir, 'long.mp4');
    const seconds = 2 * 3600;
    // A small picture and a tone, cheap to make; the analyzer's cost is in decoding and measuring.
    execFileSync(tools.ffmpeg, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=s=160x90:r=10:d=${seconds}`,
      '-f',
      'lavfi',
      '-i',
      `sine=f=220:sample_rate=16000:d=${seconds}`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      '-b:a',
      '32k',
      '-y',
      file,
    ]);
    const cues = Array.from({ length: seconds / 6 }, (_, i) => ({
      index: i + 1,
      start_ms: i * 6000 + 200,
      end_ms: i * 6000 + 5600,
      text: `Sentence number ${i} talks about bread, ovens and the morning routine.`,
    }));
    writeFileSync(join(dir, 'long.srt'), toSrt(cues));
    const media = (await store.put(file)).uri;
    const srt = (await store.put(join(dir, 'long.srt'))).uri;
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 100);
    const ms = await analyze(media, srt);
    clearInterval(sampler);
    long = {
      media_minutes: seconds / 60,
      wall_s: ms / 1000,
      media_min_per_min: seconds / 60 / (ms / 60_000),
      peak_rss_mb: Math.round(peak / 1e6),
    };
  }

  const result = {
    ffmpeg: tools.version,
    editor: {
      clip_s: Math.round((cut.end - cut.start) * 10) / 10,
      actor_median_ms: Math.round(median(actorMs)),
      bare_median_ms: Math.round(median(bareMs)),
      overhead: median(actorMs) / median(bareMs) - 1,
    },
    analyzer: {
      media_s: talkS,
      actor_median_ms: Math.round(median(analyzerMs)),
      media_min_per_min: talkS / 60 / (median(analyzerMs) / 60_000),
      bare_measure_median_ms: Math.round(median(measureMs)),
    },
    ...(long ? { long } : {}),
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const e = result.editor;
    const a = result.analyzer;
    process.stdout.write(
      `${[
        `ffmpeg ${result.ffmpeg}, ${ROUNDS} rounds`,
        `editor: ${e.clip_s} s clip, actor ${e.actor_median_ms} ms vs bare ffmpeg ${e.bare_median_ms} ms → overhead ${(e.overhead * 100).toFixed(1)} %`,
        `analyzer: ${a.media_s.toFixed(1)} s talk in ${a.actor_median_ms} ms → ${a.media_min_per_min.toFixed(1)} media-min/min (bare measuring pass ${a.bare_measure_median_ms} ms)`,
        ...(long
          ? [
              `analyzer, 2 h input: ${long.wall_s.toFixed(1)} s → ${long.media_min_per_min.toFixed(0)} media-min/min, peak RSS ${long.peak_rss_mb} MB`,
            ]
          : []),
      ].join('\n')}\n`,
    );
  }
} finally {
  for (const h of hosts) await h.drain().catch(() => undefined);
  await nc.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
