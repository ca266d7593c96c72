import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { OmnivaError } from '../../protocols/index.ts';
import { type FfmpegTools, resolveFfmpeg } from './ffmpeg.ts';
import { type RunError, run } from './internal/exec.ts';

/** What the pipeline needs to know about a media file, normalized from ffprobe's JSON. */
export interface MediaInfo {
  readonly duration_s: number;
  readonly size_bytes: number;
  /** ffprobe's format name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
  readonly container: string;
  readonly width: number | null;
  readonly height: number | null;
  /** Average frame rate, rounded to 3 decimals. */
  readonly fps: number | null;
  readonly has_audio: boolean;
  readonly audio_sample_rate: number | null;
  readonly audio_channels: number | null;
  readonly video_codec: string | null;
  readonly audio_codec: string | null;
}

export interface ProbeOptions {
  /** Resolved tools; by default {@link resolveFfmpeg} with no options. */
  tools?: FfmpegTools;
  timeoutMs?: number;
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  duration?: string;
  disposition?: { attached_pic?: number };
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string; size?: string };
}

function corrupt(file: string, reason: string, cause?: unknown): OmnivaError {
  return new OmnivaError(
    'OMNIVA_ERR_MEDIA_CORRUPT',
    `not readable media: ${file}: ${reason}`,
    { file, reason },
    cause === undefined ? {} : { cause },
  );
}

function rate(value: string | undefined): number | null {
  const m = /^(\d+)\/(\d+)$/.exec(value ?? '');
  if (!m || Number(m[2]) === 0 || Number(m[1]) === 0) return null;
  return Math.round((Number(m[1]) / Number(m[2])) * 1000) / 1000;
}

function num(value: string | number | undefined): number | null {
  const n = typeof value === 'number' ? value : Number.parseFloat(value ?? '');
  return Number.isFinite(n) ? n : null;
}

/** The reason ffprobe gave, without its banner noise: the last non-empty stderr line. */
function ffprobeReason(error: RunError): string {
  const lines = (error.stderr ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1) ?? `ffprobe exited with ${String(error.code)}`;
}

/**
 * Reads a media file's metadata with `ffprobe -of json`. A file ffprobe cannot open as media
 * (truncated MP4, text, no audio or video stream) is `OMNIVA_ERR_MEDIA_CORRUPT` with
 * ffprobe's reason: retrying cannot help, the input itself is bad. Probe reads container
 * headers only; it does not decode every frame.
 */
export async function probe(file: string, opts: ProbeOptions = {}): Promise<MediaInfo> {
  const path = resolve(file);
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw corrupt(path, 'not a regular file');
    size = st.size;
  } catch (error) {
    if (OmnivaError.is(error)) throw error;
    throw new OmnivaError(
      'OMNIVA_ERR_MEDIA_MISSING',
      `no media file at ${path}`,
      { file: path },
      { cause: error },
    );
  }
  if (size === 0) throw corrupt(path, 'the file is empty');

  const tools = opts.tools ?? (await resolveFfmpeg());
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let stdout: string;
  try {
    // `file:` keeps a name like `http:x` or `-y` from being read as a protocol or an option.
    ({ stdout } = await run(
      tools.ffprobe,
      ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', '-i', `file:${path}`],
      timeoutMs,
    ));
  } catch (error) {
    const e = error as RunError;
    if (e.killed) {
      throw new OmnivaError(
        'OMNIVA_ERR_TIMEOUT',
        `ffprobe took longer than ${timeoutMs} ms on ${path}`,
        {
          file: path,
        },
      );
    }
    throw corrupt(path, ffprobeReason(e), error);
  }

  let out: FfprobeOutput;
  try {
    out = JSON.parse(stdout) as FfprobeOutput;
  } catch (error) {
    throw corrupt(path, 'ffprobe printed no JSON', error);
  }
  const streams = out.streams ?? [];
  // Cover art in audio files is a one-frame "video" stream; it is not video.
  const video = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const audio = streams.find((s) => s.codec_type === 'audio');
  if (!video && !audio) throw corrupt(path, 'no audio or video stream');

  const durations = streams.map((s) => num(s.duration)).filter((d): d is number => d !== null);
  const duration = num(out.format?.duration) ?? (durations.length ? Math.max(...durations) : null);
  if (duration === null || duration <= 0) throw corrupt(path, 'no duration');

  return {
    duration_s: duration,
    size_bytes: size,
    container: out.format?.format_name ?? 'unknown',
    width: video?.width ?? null,
    height: video?.height ?? null,
    fps: video ? (rate(video.avg_frame_rate) ?? rate(video.r_frame_rate)) : null,
    has_audio: audio !== undefined,
    audio_sample_rate: audio ? num(audio.sample_rate) : null,
    audio_channels: audio?.channels ?? null,
    video_codec: video?.codec_name ?? null,
    audio_codec: audio?.codec_name ?? null,
  };
}
