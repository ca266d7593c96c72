import type { EditOrder } from '../../../protocols/index.ts';
import { WorkerError } from '../internal/worker-error.ts';

/** The logical steps an EditJob may list (spec §3.4 `operations`), in the order they apply. */
export const OPERATIONS = [
  'cut',
  'reframe',
  'captions',
  'loudnorm',
  'encode',
  'thumbnail',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export const WIDTH = 1080;
export const HEIGHT = 1920;
export const LOUDNESS_TARGET = -14;

/** x264 and AAC settings, pinned (threads too) so identical inputs give identical bytes. */
export interface EncodeSettings {
  preset: string;
  crf: number;
  audio_bitrate: string;
}

export const DEFAULT_ENCODE: EncodeSettings = {
  preset: 'veryfast',
  crf: 23,
  audio_bitrate: '128k',
};

const BITEXACT = [
  '-fflags',
  '+bitexact',
  '-flags:v',
  '+bitexact',
  '-flags:a',
  '+bitexact',
  '-map_metadata',
  '-1',
];

/** Checks the job's operations; anything unknown is a deterministic `bad_command`. */
export function operationsOf(order: EditOrder): Set<Operation> {
  const ops = order.job.operations.length ? order.job.operations : [...OPERATIONS];
  const unknown = ops.filter((o) => !(OPERATIONS as readonly string[]).includes(o));
  if (unknown.length)
    throw new WorkerError(
      'bad_command',
      `unknown edit operation(s) ${unknown.join(', ')}; known: ${OPERATIONS.join(', ')}`,
      {
        retryable: false,
      },
    );
  if (order.end_time - order.start_time > 180)
    throw new WorkerError('bad_command', 'a short is at most 180 s long', { retryable: false });
  return new Set(ops as Operation[]);
}

/** Centre crop, unless the subject does not fit a 9:16 crop (several faces, or a wide shot). */
export function reframeOf(order: EditOrder, width: number, height: number): 'center' | 'blur' {
  if (order.reframe === 'center' || order.reframe === 'blur') return order.reframe;
  return (order.faces_detected ?? 0) > 1 || width / height > 2 ? 'blur' : 'center';
}

const f = (x: number) => x.toFixed(3);

/**
 * The audio of the cut, levelled: a compressor tames speech peaks so loudnorm can reach the
 * target, then loudnorm brings it to −14 LUFS. Written as PCM so the next pass can measure
 * what it really reached.
 */
export function audioArgs(
  source: string,
  order: EditOrder,
  ops: Set<Operation>,
  out: string,
): string[] {
  const level = ops.has('loudnorm')
    ? `acompressor=threshold=0.03:ratio=8:attack=2:release=150:makeup=4,loudnorm=I=${LOUDNESS_TARGET}:TP=-1.5:LRA=11,`
    : '';
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-ss',
    f(order.start_time),
    '-t',
    f(order.end_time - order.start_time),
    '-i',
    source,
    '-vn',
    '-af',
    `${level}aresample=48000`,
    '-ac',
    '2',
    '-c:a',
    'pcm_s16le',
    ...BITEXACT,
    out,
  ];
}

/** Reads a file's integrated loudness (EBU R128) from ffmpeg's ebur128 summary. */
export function loudnessArgs(file: string): string[] {
  return ['-hide_banner', '-nostats', '-i', file, '-af', 'ebur128', '-f', 'null', '-'];
}

export function parseIntegrated(stderr: string): number | undefined {
  const summary = stderr.slice(stderr.lastIndexOf('Integrated loudness'));
  const i = Number(/I:\s*(-?[\d.]+)\s*LUFS/.exec(summary)?.[1]);
  return Number.isFinite(i) ? i : undefined;
}

/**
 * The render: the cut's picture reframed to 1080×1920 with captions burned in, the levelled
 * audio with the last fraction of a dB of correction, H.264/AAC with the index at the front
 * (faststart) for streaming.
 */
export function renderArgs(
  source: string,
  order: EditOrder,
  ops: Set<Operation>,
  reframe: 'center' | 'blur',
  captions: string | undefined,
  audio: { file: string; gain_db: number },
  enc: EncodeSettings,
  out: string,
): string[] {
  const frame =
    reframe === 'center'
      ? `[0:v]crop='min(iw,ih*9/16)':'min(ih,iw*16/9)',scale=${WIDTH}:${HEIGHT},setsar=1`
      : `[0:v]split[bg][fg];[bg]scale=${WIDTH}:${HEIGHT}:force_original_aspect_ratio=increase,crop=${WIDTH}:${HEIGHT},boxblur=24:2[bgb];[fg]scale=${WIDTH}:-2[fgs];[bgb][fgs]overlay=(W-w)/2:(H-h)/2,setsar=1`;
  const video = ops.has('reframe')
    ? frame
    : `[0:v]scale=${WIDTH}:${HEIGHT}:force_original_aspect_ratio=decrease,pad=${WIDTH}:${HEIGHT}:(ow-iw)/2:(oh-ih)/2,setsar=1`;
  const withCaptions = captions && ops.has('captions') ? `${video},ass=${captions}` : video;
  const gain = Math.abs(audio.gain_db) >= 0.05 ? `volume=${audio.gain_db.toFixed(2)}dB` : 'anull';
  return [
    '-hide_banner',
    '-nostats',
    '-y',
    '-ss',
    f(order.start_time),
    '-t',
    f(order.end_time - order.start_time),
    // One decoder thread: the picture must not depend on how threads were scheduled.
    '-threads',
    '1',
    '-i',
    source,
    '-i',
    audio.file,
    '-filter_complex',
    `${withCaptions}[v];[1:a]${gain}[a]`,
    '-map',
    '[v]',
    '-map',
    '[a]',
    '-c:v',
    'libx264',
    '-preset',
    enc.preset,
    '-crf',
    String(enc.crf),
    '-pix_fmt',
    'yuv420p',
    // x264's frame threads gave different bytes for the same input under load (2 outputs in
    // 10 parallel runs, measured); sliced threads are deterministic and as fast here.
    '-threads',
    '2',
    '-x264-params',
    'sliced-threads=1',
    '-r',
    '30',
    '-c:a',
    'aac',
    '-b:a',
    enc.audio_bitrate,
    '-ac',
    '2',
    // An output duration, not -shortest, whose cut point depends on thread timing.
    '-t',
    f(order.end_time - order.start_time),
    ...BITEXACT,
    '-movflags',
    '+faststart',
    '-progress',
    'pipe:1',
    out,
  ];
}

/** One still from the middle of the rendered clip; sharp makes the thumbnail from it. */
export function frameArgs(clip: string, at: number, out: string): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-ss',
    f(at),
    '-i',
    clip,
    '-frames:v',
    '1',
    ...BITEXACT,
    out,
  ];
}
