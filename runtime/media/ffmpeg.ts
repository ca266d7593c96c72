import { createRequire } from 'node:module';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { OmnivaError } from '../../protocols/index.ts';
import { isExecutableFile, reasonOf, run } from './internal/exec.ts';

const INSTALL_HINT =
  'Install ffmpeg (which brings ffprobe): run `bash scripts/setup`, or `sudo apt-get install ffmpeg` ' +
  'on Debian/Ubuntu, or pass an explicit path to the ffmpeg binary.';

export type FfmpegSource = 'explicit' | 'ffmpeg-static' | 'path';

export interface FfmpegTools {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  /** As ffmpeg prints it (`5.1.9-0+deb12u1`); recorded with renders, since output bytes depend on it. */
  readonly version: string;
  readonly source: FfmpegSource;
}

export interface ResolveFfmpegOptions {
  /** Explicit ffmpeg binary; when given, nothing else is tried. */
  bin?: string;
  /** Explicit ffprobe binary; otherwise the one next to ffmpeg, then PATH. */
  probeBin?: string;
  /** Search path for the PATH fallback (default: this process's PATH). */
  pathEnv?: string;
  /** Try the optional `ffmpeg-static` package before PATH (default true). */
  useStatic?: boolean;
}

interface Candidate {
  readonly bin: string;
  readonly source: FfmpegSource;
}

const RUN_TIMEOUT_MS = 10_000;

/** The first executable `name` in the directories of a PATH-style list. */
export function onPath(name: string, pathEnv: string): string | undefined {
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The binary the `ffmpeg-static` package downloaded at install time, if any. The package is
 * an optional dependency whose install script fetches the binary from GitHub, so on a machine
 * without internet it is absent or installed without its binary; both just mean "not here".
 */
function staticFfmpeg(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    // A variable specifier keeps the type checker from requiring the optional package.
    const name = 'ffmpeg-static';
    const exported: unknown = require(name);
    // 5.x exports the path (or null on unsupported platforms); old majors exported `{ path }`.
    const bin =
      typeof exported === 'string' ? exported : (exported as { path?: unknown } | null)?.path;
    return typeof bin === 'string' && isExecutableFile(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** Reads `ffmpeg version 5.1.9-0+deb12u1 Copyright …` (static builds print other suffixes). */
export function parseFfmpegVersion(output: string): string | undefined {
  return /^ff(?:mpeg|probe) version (\S+)/m.exec(output)?.[1];
}

async function versionOf(bin: string): Promise<string> {
  const { stdout, stderr } = await run(bin, ['-version'], RUN_TIMEOUT_MS);
  const version = parseFfmpegVersion(`${stdout}${stderr}`);
  if (!version) throw new Error(`"${bin} -version" did not print a version line`);
  return version;
}

const cache = new Map<string, Promise<FfmpegTools>>();

/**
 * Finds ffmpeg and ffprobe, in this order: the explicit path; the `ffmpeg-static` package's
 * binary when it is installed and runs; `ffmpeg`/`ffprobe` on PATH (Debian's package). Each
 * candidate must actually run `-version`, so a wrong-architecture or half-downloaded binary
 * is skipped rather than failing later mid-render. Successful resolutions are cached.
 */
export function resolveFfmpeg(opts: ResolveFfmpegOptions = {}): Promise<FfmpegTools> {
  const key = JSON.stringify([opts.bin, opts.probeBin, opts.pathEnv, opts.useStatic]);
  let found = cache.get(key);
  if (!found) {
    found = resolveUncached(opts);
    cache.set(key, found);
    // Failures are not cached: the operator may install ffmpeg and retry in the same process.
    found.catch(() => cache.delete(key));
  }
  return found;
}

async function resolveUncached(opts: ResolveFfmpegOptions): Promise<FfmpegTools> {
  const pathEnv = opts.pathEnv ?? process.env.PATH ?? '';
  const candidates: Candidate[] = [];
  if (opts.bin) {
    candidates.push({
      bin: isAbsolute(opts.bin) ? opts.bin : resolve(opts.bin),
      source: 'explicit',
    });
  } else {
    const fromPackage = opts.useStatic === false ? undefined : staticFfmpeg();
    if (fromPackage) candidates.push({ bin: fromPackage, source: 'ffmpeg-static' });
    const fromPath = onPath('ffmpeg', pathEnv);
    if (fromPath) candidates.push({ bin: fromPath, source: 'path' });
  }

  const tried: string[] = [];
  for (const candidate of candidates) {
    try {
      if (!isExecutableFile(candidate.bin)) throw new Error('no executable file there');
      const version = await versionOf(candidate.bin);
      const ffprobe = await resolveFfprobe(candidate.bin, opts.probeBin, pathEnv);
      return { ffmpeg: candidate.bin, ffprobe, version, source: candidate.source };
    } catch (error) {
      tried.push(`${candidate.bin} (${candidate.source}): ${reasonOf(error)}`);
    }
  }
  const what = opts.bin
    ? `ffmpeg at ${opts.bin} is not usable`
    : 'ffmpeg was not found (ffmpeg-static package or PATH)';
  throw new OmnivaError(
    'OMNIVA_ERR_FFMPEG_MISSING',
    `${what}${tried.length ? `: ${tried.join('; ')}` : ''}. ${INSTALL_HINT}`,
    { tried },
  );
}

async function resolveFfprobe(ffmpeg: string, explicit: string | undefined, pathEnv: string) {
  const sibling = join(dirname(ffmpeg), 'ffprobe');
  const bin = explicit ?? (isExecutableFile(sibling) ? sibling : onPath('ffprobe', pathEnv));
  if (!bin || !isExecutableFile(bin)) {
    // ffmpeg-static ships no ffprobe, so this is the usual failure when only the package is present.
    throw new Error(
      explicit
        ? `ffprobe at ${explicit} is not an executable file`
        : 'ffprobe is not beside ffmpeg nor on PATH',
    );
  }
  await versionOf(bin);
  return bin;
}
