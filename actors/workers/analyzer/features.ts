import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { FfmpegTools } from '../../../runtime/media/index.ts';
import { WorkerError } from '../internal/worker-error.ts';

/** What ffmpeg measures over a whole video, kept per second so memory stays bounded. */
export interface MediaFeatures {
  duration_s: number;
  /** Mean momentary loudness (LUFS) for each second; -70 for silence. */
  loudness: number[];
  /** Detected silences, [start, end] in seconds. */
  silences: [number, number][];
  /** Scene-change times in seconds. */
  scenes: number[];
}

const FLOOR = -70;
const MAX_SCENES = 100_000;
const LOUDNESS = /\bt:\s*([\d.]+)\s+TARGET:\S+\s+LUFS\s+M:\s*(-?[\d.]+)/;
const SILENCE_START = /silence_start:\s*(-?[\d.]+)/;
const SILENCE_END = /silence_end:\s*([\d.]+)/;
const SCENE = /lavfi\.scd\.time=([\d.]+)/;

/**
 * One decode pass: `ebur128` gives the loudness curve, `silencedetect` the pauses, `scdet` on
 * a thumbnail-size copy the scene cuts. ffmpeg's log is read line by line as it runs and
 * folded into per-second values, so a two-hour input costs the same memory as a short one.
 */
export async function measure(
  tools: FfmpegTools,
  file: string,
  hasVideo: boolean,
  signal: AbortSignal,
  onTime?: (t: number) => void,
): Promise<MediaFeatures> {
  const graph = hasVideo
    ? '[0:a]silencedetect=n=-35dB:d=0.3,ebur128=peak=none[a];[0:v]fps=5,scale=96:-2,scdet=t=10,metadata=mode=print:key=lavfi.scd.time[v]'
    : '[0:a]silencedetect=n=-35dB:d=0.3,ebur128=peak=none[a]';
  const args = [
    '-hide_banner',
    '-nostats',
    '-i',
    `file:${file}`,
    '-filter_complex',
    graph,
    '-map',
    '[a]',
    ...(hasVideo ? ['-map', '[v]'] : []),
    '-f',
    'null',
    '-',
  ];
  const child = spawn(tools.ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'], signal });
  const sums: number[] = [];
  const counts: number[] = [];
  const silences: [number, number][] = [];
  const scenes: number[] = [];
  let openSilence: number | undefined;
  let last = 0;
  const tail: string[] = [];
  const lines = createInterface({ input: child.stderr });
  lines.on('line', (line) => {
    const loud = LOUDNESS.exec(line);
    if (loud) {
      const t = Number(loud[1]);
      const sec = Math.floor(t - 1e-6);
      sums[sec] = (sums[sec] ?? 0) + Math.max(FLOOR, Number(loud[2]));
      counts[sec] = (counts[sec] ?? 0) + 1;
      if (t - last >= 10) {
        last = t;
        onTime?.(t);
      }
      return;
    }
    const start = SILENCE_START.exec(line);
    const end = start ? null : SILENCE_END.exec(line);
    const scene = start || end ? null : SCENE.exec(line);
    if (start) openSilence = Math.max(0, Number(start[1]));
    else if (end && openSilence !== undefined) {
      silences.push([openSilence, Number(end[1])]);
      openSilence = undefined;
    } else if (scene && scenes.length < MAX_SCENES) scenes.push(Number(scene[1]));
    else if (!end) {
      tail.push(line);
      if (tail.length > 20) tail.shift();
    }
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).catch((e) => {
    if (signal.aborted) throw e;
    throw new WorkerError('internal', `ffmpeg could not run: ${(e as Error).message}`, {
      retryable: true,
    });
  });
  if (code !== 0)
    throw new WorkerError(
      'media_corrupt',
      `ffmpeg could not measure the media: ${tail.slice(-3).join(' | ')}`,
      {
        retryable: false,
      },
    );
  const loudness = Array.from({ length: sums.length }, (_, i) =>
    counts[i] ? Math.round(((sums[i] as number) / (counts[i] as number)) * 10) / 10 : FLOOR,
  );
  const duration = loudness.length;
  if (openSilence !== undefined) silences.push([openSilence, duration]);
  return { duration_s: duration, loudness, silences, scenes };
}
