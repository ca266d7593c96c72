import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isExecutableFile, onPath } from '../../../runtime/media/index.ts';
import { WorkerError } from '../internal/worker-error.ts';

const exec = promisify(execFile);

export const YTDLP_HINT =
  'yt-dlp is not installed; install it (`sudo apt-get install yt-dlp` or `pipx install yt-dlp`) ' +
  'or point scraper.ytdlp_bin at it to ingest platform URLs';

/** Platform pages only yt-dlp can turn into media. */
export function isPlatformUrl(url: URL): boolean {
  const host = url.hostname.replace(/^www\.|^m\./, '');
  if (host === 'youtu.be') return true;
  if (host === 'youtube.com')
    return url.pathname === '/watch' || url.pathname.startsWith('/shorts/');
  return host === 'tiktok.com' || host === 'instagram.com' || host.endsWith('.tiktok.com');
}

export function findYtDlp(bin: string | undefined, pathEnv: string): string | undefined {
  if (bin) return isExecutableFile(bin) ? bin : undefined;
  return onPath('yt-dlp', pathEnv);
}

/**
 * Downloads one platform URL into `dir` with its subtitles as VTT when it has any.
 * Not installed is a clear, non-retryable error: the same command cannot succeed here.
 */
export async function ytDlp(
  bin: string | undefined,
  url: string,
  dir: string,
  signal: AbortSignal,
): Promise<{ media: string; captions?: { path: string; format: 'vtt' } }> {
  if (!bin) throw new WorkerError('bad_command', YTDLP_HINT, { retryable: false });
  try {
    await exec(
      bin,
      [
        '--no-playlist',
        '--no-progress',
        '-f',
        'mp4/best',
        '--write-subs',
        '--sub-format',
        'vtt',
        '--sub-langs',
        'en.*',
        '-o',
        join(dir, 'media.%(ext)s'),
        '--',
        url,
      ],
      { signal, maxBuffer: 8 * 1024 * 1024 },
    );
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? '');
    const code = /HTTP Error 429/.test(stderr)
      ? 'rate_limited'
      : /Sign in|login|403/.test(stderr)
        ? 'auth_failed'
        : 'network_timeout';
    throw new WorkerError(code, `yt-dlp failed: ${stderr.trim().split('\n').at(-1) ?? ''}`, {
      retryable: code !== 'auth_failed',
      cause: e,
    });
  }
  const files = await readdir(dir);
  const media = files.find((f) => f.startsWith('media.') && !f.endsWith('.vtt'));
  if (!media)
    throw new WorkerError('media_corrupt', 'yt-dlp produced no media file', { retryable: false });
  const vtt = files.find((f) => f.endsWith('.vtt'));
  return {
    media: join(dir, media),
    ...(vtt ? { captions: { path: join(dir, vtt), format: 'vtt' as const } } : {}),
  };
}
