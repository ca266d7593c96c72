import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ClipRendered, EditOrder } from '../../../protocols/index.ts';
import { type FfmpegTools, type MediaStore, probe } from '../../../runtime/media/index.ts';
import type { Transcript } from '../analyzer/transcript.ts';
import type { Progress } from '../internal/job-worker.ts';
import { asWorkerError, WorkerError } from '../internal/worker-error.ts';
import { buildAss, type CaptionStyle } from './captions.ts';
import {
  audioArgs,
  type EncodeSettings,
  frameArgs,
  HEIGHT,
  LOUDNESS_TARGET,
  loudnessArgs,
  operationsOf,
  parseIntegrated,
  reframeOf,
  renderArgs,
  WIDTH,
} from './plan.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface RenderDeps {
  store: MediaStore;
  tools: FfmpegTools;
  dataDir: string;
  style: CaptionStyle;
  encode: EncodeSettings;
  /** This host has a GPU; jobs that require one fail here as `gpu_starvation` otherwise. */
  gpu: boolean;
}

/**
 * The editor's effect (spec §5.3). Idempotent by `editing_context_id`: a finished render is
 * remembered under `<dataDir>/editor/renders/`, and a retry whose blobs still verify reuses
 * it. Commands run in a scratch folder on relative names, so the recorded commands (and the
 * bytes, with pinned encoder settings) do not depend on where the data directory is.
 */
export async function render(
  order: EditOrder,
  deps: RenderDeps,
  signal: AbortSignal,
  progress: Progress,
): Promise<ClipRendered> {
  const done = join(deps.dataDir, 'editor', 'renders', `${order.editing_context_id}.json`);
  try {
    const reused = await reuse(done, deps.store);
    if (reused) return reused;
    if (order.job.gpu_required && !deps.gpu)
      throw new WorkerError('gpu_starvation', 'the job requires a GPU and this editor has none', {
        retryable: true,
      });
    const ops = operationsOf(order);
    const t0 = Date.now();
    const source = await deps.store.path(order.source_uri);
    const info = await probe(source, { tools: deps.tools });
    if (!info.width || !info.height || !info.has_audio)
      throw new WorkerError('bad_command', 'the source needs a video and an audio stream', {
        retryable: false,
      });
    if (order.end_time > info.duration_s + 0.5)
      throw new WorkerError(
        'bad_command',
        `the cut ends at ${order.end_time} s, after the source (${info.duration_s} s)`,
        {
          retryable: false,
        },
      );
    const work = await mkdtemp(join(await scratch(deps.dataDir), 'render-'));
    try {
      const reframe = reframeOf(order, info.width, info.height);
      let cues = 0;
      if (ops.has('captions') && order.transcript_uri) {
        const transcript = JSON.parse(
          await readFile(await deps.store.path(order.transcript_uri), 'utf8'),
        ) as Transcript;
        const built = buildAss(
          transcript.segments.flatMap((s) => s.words),
          order.start_time,
          order.end_time,
          deps.style,
        );
        await writeFile(join(work, 'captions.ass'), built.ass);
        cues = built.cues;
      }
      const commands: string[] = [];
      const run = (args: string[], duration_s?: number, onProgress?: (f: number) => void) => {
        commands.push(['ffmpeg', ...args].join(' ').replaceAll(source, order.source_uri));
        return runFfmpeg(deps.tools.ffmpeg, args, {
          cwd: work,
          signal,
          ...(duration_s ? { duration_s } : {}),
          ...(onProgress ? { onProgress } : {}),
        });
      };
      const duration = order.end_time - order.start_time;
      progress(0.02, 'levelling the audio');
      await run(audioArgs(source, order, ops, 'audio.wav'));
      let gain_db = 0;
      if (ops.has('loudnorm')) {
        // loudnorm alone stops short on peaky speech; the measured remainder is applied exactly.
        const reached = parseIntegrated((await run(loudnessArgs('audio.wav'))).stderr);
        if (reached === undefined || reached < -60)
          throw new WorkerError('bad_command', 'the cut has no audible sound to normalise', {
            retryable: false,
          });
        gain_db = LOUDNESS_TARGET - reached;
      }
      await run(
        renderArgs(
          source,
          order,
          ops,
          reframe,
          cues ? 'captions.ass' : undefined,
          { file: 'audio.wav', gain_db },
          deps.encode,
          'clip.mp4',
        ),
        duration,
        (f) => progress(0.05 + 0.85 * f, 'rendering'),
      );
      await run(frameArgs('clip.mp4', duration / 2, 'frame.png'));
      await sharp(join(work, 'frame.png'))
        .resize(540, 960)
        .jpeg({ quality: 82, mozjpeg: false })
        .toFile(join(work, 'thumb.jpg'));
      const clip = await deps.store.put(join(work, 'clip.mp4'));
      const thumb = await deps.store.put(join(work, 'thumb.jpg'));
      const out: ClipRendered = {
        editing_context_id: order.editing_context_id,
        clip_id: order.job.clip_id,
        clip_uri: clip.uri,
        thumbnail_uri: thumb.uri,
        edit_summary: {
          duration_s: Math.round(duration * 1000) / 1000,
          width: WIDTH,
          height: HEIGHT,
          reframe,
          caption_cues: cues,
          loudness_target: LOUDNESS_TARGET,
          sha256: clip.sha256,
        },
        render_ms: Date.now() - t0,
        reused: false,
        ffmpeg_version: deps.tools.version,
        commands,
      };
      await remember(done, out);
      return out;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  } catch (e) {
    throw asWorkerError(e);
  }
}

async function reuse(file: string, store: MediaStore): Promise<ClipRendered | undefined> {
  let prior: ClipRendered;
  try {
    prior = JSON.parse(await readFile(file, 'utf8')) as ClipRendered;
  } catch {
    return undefined;
  }
  // Only whole outputs are reused; a damaged one is rendered again.
  const ok = await Promise.all([
    store.verify(prior.clip_uri),
    store.verify(prior.thumbnail_uri),
  ]).then(
    () => true,
    () => false,
  );
  return ok ? { ...prior, reused: true } : undefined;
}

async function remember(file: string, out: ClipRendered): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(out));
  await rename(`${file}.tmp`, file);
}

async function scratch(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'editor', 'work');
  await mkdir(dir, { recursive: true });
  return dir;
}
