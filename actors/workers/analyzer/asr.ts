import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type FfmpegTools, isExecutableFile } from '../../../runtime/media/index.ts';
import { WorkerError } from '../internal/worker-error.ts';
import { type Chunk, mergeChunks, type Word } from './transcript.ts';

const exec = promisify(execFile);

export type AsrBackend =
  | { kind: 'pocketsphinx'; bin: string }
  | { kind: 'whisper'; bin: string; model: string };

export interface AsrOptions {
  /** Seconds of audio recognised per run; long inputs are cut so memory stays bounded. */
  chunk_s: number;
  /** Extra audio on both sides of a chunk, so a word on a cut is heard whole once. */
  overlap_s: number;
}

export const DEFAULT_ASR: AsrOptions = { chunk_s: 600, overlap_s: 2 };

/**
 * Recognises speech chunk by chunk (16 kHz mono WAV cut by ffmpeg) and merges the chunks into
 * one timeline. A backend whose binary or model is absent is `model_offline`; recognising
 * nothing at all is `transcript_missing`.
 */
export async function recognise(
  backend: AsrBackend,
  tools: FfmpegTools,
  file: string,
  duration: number,
  opts: AsrOptions & { workDir: string },
  signal: AbortSignal,
  onChunk?: (done: number, total: number) => void,
): Promise<Word[]> {
  if (!isExecutableFile(backend.bin))
    throw new WorkerError(
      'model_offline',
      `ASR backend ${backend.kind} not found at ${backend.bin}`,
      {
        retryable: false,
      },
    );
  if (backend.kind === 'whisper' && !(await readable(backend.model)))
    throw new WorkerError('model_offline', `whisper model not found at ${backend.model}`, {
      retryable: false,
    });
  const dir = await mkdtemp(join(opts.workDir, 'asr-'));
  try {
    const chunks: Chunk[] = [];
    const total = Math.max(1, Math.ceil(duration / opts.chunk_s));
    for (let i = 0; i < total; i++) {
      const offset = i * opts.chunk_s;
      const from = Math.max(0, offset - opts.overlap_s);
      const wav = join(dir, `chunk-${i}.wav`);
      await exec(
        tools.ffmpeg,
        [
          '-hide_banner',
          '-loglevel',
          'error',
          '-ss',
          String(from),
          '-t',
          String(opts.chunk_s + 2 * opts.overlap_s),
          '-i',
          `file:${file}`,
          '-vn',
          '-ac',
          '1',
          '-ar',
          '16000',
          '-f',
          'wav',
          '-y',
          wav,
        ],
        { signal },
      );
      const words =
        backend.kind === 'pocketsphinx'
          ? await sphinx(backend.bin, wav, signal)
          : await whisper(backend, wav, signal);
      chunks.push({ offset, span: opts.chunk_s, overlap: opts.overlap_s, words });
      await rm(wav, { force: true });
      onChunk?.(i + 1, total);
    }
    const words = mergeChunks(chunks);
    if (words.length === 0)
      throw new WorkerError('transcript_missing', `${backend.kind} recognised no speech`, {
        retryable: false,
      });
    return words;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** pocketsphinx_continuous `-time yes`: one `word start end confidence` line per word. */
export function parseSphinx(out: string): Word[] {
  const words: Word[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\S+) (\d+\.\d+) (\d+\.\d+) [\d.]+$/.exec(line.trim());
    if (!m || /^<.*>$|^\[.*\]$/.test(m[1] as string)) continue;
    words.push({
      w: (m[1] as string).replace(/\(\d+\)$/, ''),
      start: Number(m[2]),
      end: Number(m[3]),
    });
  }
  return words;
}

async function sphinx(bin: string, wav: string, signal: AbortSignal): Promise<Word[]> {
  const { stdout } = await exec(bin, ['-infile', wav, '-time', 'yes', '-logfn', '/dev/null'], {
    signal,
    maxBuffer: 64 * 1024 * 1024,
  });
  return parseSphinx(stdout);
}

/** whisper.cpp's `-oj` JSON: segments with token-level offsets in ms. */
async function whisper(
  b: Extract<AsrBackend, { kind: 'whisper' }>,
  wav: string,
  signal: AbortSignal,
): Promise<Word[]> {
  await exec(b.bin, ['-m', b.model, '-f', wav, '-oj', '-ml', '1', '-of', wav], {
    signal,
    maxBuffer: 64 * 1024 * 1024,
  });
  const doc = JSON.parse(await readFile(`${wav}.json`, 'utf8')) as {
    transcription?: { text: string; offsets: { from: number; to: number } }[];
  };
  return (doc.transcription ?? [])
    .map((t) => ({ w: t.text.trim(), start: t.offsets.from / 1000, end: t.offsets.to / 1000 }))
    .filter((w) => w.w.length > 0);
}

async function readable(file: string): Promise<boolean> {
  return access(file, constants.R_OK).then(
    () => true,
    () => false,
  );
}
