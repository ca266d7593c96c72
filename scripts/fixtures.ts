// Generates the test media deterministically (design §9): a ~2-minute "talk" (espeak-ng
// speech over ffmpeg's testsrc2) with an SRT timed from the measured speech, a 10 s clip with
// its SRT, and a corrupted MP4. Nothing large lives in git; this rebuilds it byte for byte.
//
//   scripts/fixtures [--dir DIR] [--force] [--only talk|clip]
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { type FfmpegTools, resolveFfmpeg } from '../runtime/media/index.ts';

const exec = promisify(execFile);

/** Bump when anything below changes the bytes produced, so old fixture dirs regenerate. */
export const GENERATOR_VERSION = 3;
export const DEFAULT_FIXTURE_DIR = fileURLToPath(new URL('../test/.fixtures', import.meta.url));

export const SENTENCES = [
  'Today I want to share a few lessons from ten years of running a small bakery.',
  'The first lesson is simple: people remember how you made them feel, not the price.',
  'When we opened, we baked everything we could think of, and most of it went to waste.',
  'So we cut the menu in half, and to our surprise, sales went up within a month.',
  'Fewer choices meant faster decisions at the counter and shorter lines in the morning.',
  'The second lesson is about mornings, because the whole business lives or dies before nine.',
  'We learned to start the ovens at four, and to prepare the dough the evening before.',
  'Why does that matter so much? Because fresh bread is the only promise we really make.',
  'The third lesson surprised me the most: our best ideas came from the people at the counter.',
  'They hear every complaint and every compliment, long before the owner ever does.',
  'One of them suggested a small loaf for people who live alone, and it became our bestseller.',
  'The fourth lesson is that a good routine beats a good mood on almost every single day.',
  'Write the steps down, keep them next to the oven, and change them only on purpose.',
  'Here is the part nobody tells you about: the paperwork takes almost as long as the baking.',
  'Taxes, permits, inspections and invoices will eat your evenings if you let them pile up.',
  'We set aside one quiet hour every Monday, and the pile has never come back since.',
  'The fifth and last lesson is to stay curious about your own neighbourhood and its people.',
  'Walk around, taste what others bake, and ask your regulars what they would love to see.',
  'If you remember one thing from this talk, remember that small and steady wins the race.',
  'Thank you for listening, and please come by for a warm loaf on your way home tonight.',
] as const;

/**
 * The planted highlight of the talk: sentences 13–15 (0-based) open on a hook ("Here is the
 * part nobody tells you about") and are spoken 5 dB louder than the rest, so a good
 * analysis should rank the clip that covers them first. Its span is in the manifest.
 */
export const HIGHLIGHT = { first: 13, last: 15, gain: 1.8 } as const;

const RATE = 22_050; // espeak-ng's output rate
const FPS = 30;
const SAMPLES_PER_FRAME = RATE / FPS; // 735: audio padded to whole frames so both streams end together
const LEAD_IN_S = 0.5;
const PAUSE_S = 0.35;
const CLIP_S = 10;
// A sample louder than this (about -40 dBFS) is speech; it places the cue edges.
const VOICED = 328;
const VOICE = ['-v', 'en-us', '-s', '160'];
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
// Encoder threads pinned: x264's output depends on its thread count and threading mode.
const VIDEO = [
  '-c:v',
  'libx264',
  '-preset',
  'ultrafast',
  '-crf',
  '36',
  '-g',
  '60',
  '-pix_fmt',
  'yuv420p',
  '-threads',
  '2',
  // Frame threads can give different bytes under load; sliced threads do not.
  '-x264-params',
  'sliced-threads=1',
];
const AUDIO = ['-c:a', 'aac', '-b:a', '96k', '-ar', '48000', '-ac', '1'];

export type FixtureSet = 'talk' | 'clip';

export interface Cue {
  readonly index: number;
  readonly start_ms: number;
  readonly end_ms: number;
  readonly text: string;
}

interface SetRecord {
  readonly key: string;
  readonly duration_s: number;
  readonly cues: readonly Cue[];
  /** The planted highlight's span (talk only). */
  readonly highlight?: { readonly start_ms: number; readonly end_ms: number };
  readonly files: Readonly<Record<string, { sha256: string; size: number }>>;
}

export interface FixtureManifest {
  readonly sets: Partial<Record<FixtureSet, SetRecord>>;
}

export interface FixtureOptions {
  dir?: string;
  force?: boolean;
  only?: readonly FixtureSet[];
  tools?: FfmpegTools;
}

export interface FixtureResult {
  readonly dir: string;
  readonly manifest: FixtureManifest;
  /** The sets this run generated (the others were present with their expected hashes). */
  readonly generated: readonly FixtureSet[];
  readonly ms: number;
  readonly files: {
    readonly talk: string;
    readonly talkSrt: string;
    readonly clip: string;
    readonly clipSrt: string;
    readonly corrupt: string;
  };
}

const FILES: Record<FixtureSet, readonly string[]> = {
  talk: ['talk.mp4', 'talk.srt'],
  clip: ['clip-10s.mp4', 'clip-10s.srt', 'corrupt.mp4'],
};

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** 16-bit mono PCM samples of an espeak-ng WAV, read by walking the RIFF chunks. */
export function readWavPcm(wav: Buffer): Int16Array {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let format: { channels: number; rate: number; bits: number } | undefined;
  for (let at = 12; at + 8 <= wav.length; ) {
    const id = wav.toString('ascii', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      format = {
        channels: wav.readUInt16LE(body + 2),
        rate: wav.readUInt32LE(body + 4),
        bits: wav.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (format?.channels !== 1 || format.rate !== RATE || format.bits !== 16) {
        throw new Error(`expected 16-bit mono ${RATE} Hz PCM, got ${JSON.stringify(format)}`);
      }
      const end = Math.min(body + size, wav.length) & ~1;
      const pcm = new Int16Array((end - body) / 2);
      for (let i = 0; i < pcm.length; i++) pcm[i] = wav.readInt16LE(body + i * 2);
      return pcm;
    }
    at = body + size + (size & 1);
  }
  throw new Error('no data chunk');
}

function wavFile(pcm: Int16Array): Buffer {
  const out = Buffer.alloc(44 + pcm.length * 2);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + pcm.length * 2, 4);
  out.write('WAVEfmt ', 8, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(RATE, 24);
  out.writeUInt32LE(RATE * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(pcm.length * 2, 40);
  for (let i = 0; i < pcm.length; i++) out.writeInt16LE(pcm[i] ?? 0, 44 + i * 2);
  return out;
}

/** First and last voiced sample: espeak pads its output with silence, captions should not. */
function voicedExtent(pcm: Int16Array): [number, number] {
  let first = 0;
  while (first < pcm.length && Math.abs(pcm[first] ?? 0) <= VOICED) first++;
  let last = pcm.length - 1;
  while (last > first && Math.abs(pcm[last] ?? 0) <= VOICED) last--;
  return [first, last + 1];
}

/**
 * Lays sentences end to end with fixed pauses, timing each cue from the samples themselves.
 * With `maxS`, stops before a sentence that would not fit and pads to exactly `maxS`.
 */
function assemble(speech: readonly Int16Array[], maxS?: number): { pcm: Int16Array; cues: Cue[] } {
  const leadIn = new Int16Array(Math.round(LEAD_IN_S * RATE));
  const parts: Int16Array[] = [leadIn];
  const cues: Cue[] = [];
  let offset = leadIn.length;
  const pause = Math.round(PAUSE_S * RATE);
  for (const [i, pcm] of speech.entries()) {
    if (maxS !== undefined && offset + pcm.length > maxS * RATE) break;
    const [first, last] = voicedExtent(pcm);
    cues.push({
      index: cues.length + 1,
      start_ms: Math.floor(((offset + first) * 1000) / RATE),
      end_ms: Math.ceil(((offset + last) * 1000) / RATE),
      text: SENTENCES[i] ?? '',
    });
    parts.push(pcm, new Int16Array(pause));
    offset += pcm.length + pause;
  }
  const total =
    maxS !== undefined ? maxS * RATE : Math.ceil(offset / SAMPLES_PER_FRAME) * SAMPLES_PER_FRAME;
  const pcm = new Int16Array(total);
  let at = 0;
  for (const part of parts) {
    pcm.set(part.subarray(0, Math.max(0, total - at)), at);
    at += part.length;
  }
  return { pcm, cues };
}

function srtTime(ms: number): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)},${pad(ms % 1000, 3)}`;
}

export function toSrt(cues: readonly Cue[]): string {
  return cues
    .map((c) => `${c.index}\n${srtTime(c.start_ms)} --> ${srtTime(c.end_ms)}\n${c.text}\n`)
    .join('\n');
}

async function espeakVersion(): Promise<string> {
  try {
    const { stdout } = await exec('espeak-ng', ['--version']);
    return /text-to-speech:\s*(\S+)/.exec(stdout)?.[1] ?? stdout.trim();
  } catch (error) {
    throw new Error(
      'espeak-ng is needed to generate the fixtures: run `bash scripts/setup` or `sudo apt-get install espeak-ng`',
      { cause: error },
    );
  }
}

/** The highlight's sentences, louder (clipped to 16 bits). */
function planted(speech: readonly Int16Array[]): Int16Array[] {
  return speech.map((pcm, i) =>
    i < HIGHLIGHT.first || i > HIGHLIGHT.last
      ? pcm
      : pcm.map((v) => Math.max(-32768, Math.min(32767, Math.round(v * HIGHLIGHT.gain)))),
  );
}

async function synthesize(work: string): Promise<Int16Array[]> {
  const out: Int16Array[] = [];
  for (const [i, text] of SENTENCES.entries()) {
    const file = join(work, `s${i}.wav`);
    await exec('espeak-ng', [...VOICE, '-w', file, text]);
    out.push(readWavPcm(readFileSync(file)));
  }
  return out;
}

async function encode(tools: FfmpegTools, wav: string, frames: number, out: string): Promise<void> {
  await exec(
    tools.ffmpeg,
    [
      ...['-nostdin', '-v', 'error', '-y'],
      ...['-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=${FPS}`, '-i', wav],
      ...['-map', '0:v', '-map', '1:a', '-frames:v', String(frames)],
      ...VIDEO,
      ...AUDIO,
      ...BITEXACT,
      // No faststart on purpose: the index (moov) at the end is what truncation destroys.
      ...['-f', 'mp4', out],
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
}

/** Writes beside the target and renames, so a reader never sees half a fixture. */
function writeAtomic(path: string, bytes: Buffer | string): void {
  const tmp = `${path}.${randomUUID().slice(0, 8)}.part`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

function readManifest(dir: string): FixtureManifest {
  try {
    return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as FixtureManifest;
  } catch {
    return { sets: {} };
  }
}

function upToDate(dir: string, record: SetRecord | undefined, key: string): boolean {
  if (!record || record.key !== key) return false;
  return Object.entries(record.files).every(([name, want]) => {
    try {
      return sha256(readFileSync(join(dir, name))) === want.sha256;
    } catch {
      return false;
    }
  });
}

/**
 * Generates the fixture sets into `dir` (default `test/.fixtures/`). A set whose files are
 * present with the hashes recorded by the same generator and tool versions is skipped unless
 * `force`; the recorded hashes are this machine's, since other ffmpeg builds emit other bytes.
 */
export async function generateFixtures(opts: FixtureOptions = {}): Promise<FixtureResult> {
  const started = Date.now();
  const dir = resolve(opts.dir ?? DEFAULT_FIXTURE_DIR);
  mkdirSync(dir, { recursive: true });
  const tools = opts.tools ?? (await resolveFfmpeg());
  const key = `generator ${GENERATOR_VERSION}; ffmpeg ${tools.version}; espeak-ng ${await espeakVersion()}`;
  const wanted = opts.only ?? (['talk', 'clip'] as const);
  let manifest = readManifest(dir);
  const todo = wanted.filter((set) => opts.force || !upToDate(dir, manifest.sets[set], key));

  if (todo.length > 0) {
    const work = mkdtempSync(join(tmpdir(), 'omniva-fixtures-'));
    try {
      const speech = await synthesize(work);
      for (const set of todo) {
        const { pcm, cues } = set === 'talk' ? assemble(planted(speech)) : assemble(speech, CLIP_S);
        const wav = join(work, `${set}.wav`);
        writeFileSync(wav, wavFile(pcm));
        const [mp4, srt] = FILES[set] as [string, string];
        const encoded = join(work, mp4);
        await encode(tools, wav, pcm.length / SAMPLES_PER_FRAME, encoded);
        const video = readFileSync(encoded);
        const bytes: Record<string, Buffer> = { [mp4]: video, [srt]: Buffer.from(toSrt(cues)) };
        // Cut well before the end, where the moov index lives: unreadable, yet starts like an MP4.
        if (set === 'clip')
          bytes['corrupt.mp4'] = video.subarray(0, Math.floor(video.length * 0.4));
        const files: Record<string, { sha256: string; size: number }> = {};
        for (const [name, b] of Object.entries(bytes)) {
          writeAtomic(join(dir, name), b);
          files[name] = { sha256: sha256(b), size: b.length };
        }
        // Re-read just before writing: a concurrent run may have recorded the other set.
        manifest = readManifest(dir);
        const first = cues[HIGHLIGHT.first];
        const last = cues[HIGHLIGHT.last];
        const highlight =
          set === 'talk' && first && last
            ? { start_ms: first.start_ms, end_ms: last.end_ms }
            : undefined;
        const record: SetRecord = {
          key,
          duration_s: pcm.length / RATE,
          cues,
          ...(highlight ? { highlight } : {}),
          files,
        };
        manifest = { sets: { ...manifest.sets, [set]: record } };
        writeAtomic(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  const at = (name: string) => join(dir, name);
  return {
    dir,
    manifest,
    generated: todo,
    ms: Date.now() - started,
    files: {
      talk: at('talk.mp4'),
      talkSrt: at('talk.srt'),
      clip: at('clip-10s.mp4'),
      clipSrt: at('clip-10s.srt'),
      corrupt: at('corrupt.mp4'),
    },
  };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      force: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: scripts/fixtures [--dir DIR] [--force] [--only talk|clip]...\n');
    return;
  }
  const only = values.only?.map((s) => {
    if (s !== 'talk' && s !== 'clip') throw new Error(`--only takes talk or clip, not "${s}"`);
    return s;
  });
  const r = await generateFixtures({ dir: values.dir, force: values.force, only });
  for (const set of only ?? (['talk', 'clip'] as const)) {
    const rec = r.manifest.sets[set];
    const state = r.generated.includes(set) ? 'generated' : 'up to date';
    process.stdout.write(
      `fixtures: ${set} ${state} (${rec?.duration_s.toFixed(2)} s, ${rec?.cues.length} cues): ${Object.keys(rec?.files ?? {}).join(', ')}\n`,
    );
  }
  process.stdout.write(`fixtures: ${r.dir} in ${(r.ms / 1000).toFixed(1)} s\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`fixtures: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
