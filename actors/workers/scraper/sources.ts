import { copyFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScraperJob } from '../../../protocols/index.ts';
import { WorkerError } from '../internal/worker-error.ts';
import { parseFeed } from './feed.ts';
import { type HttpOptions, httpGet, redact, saveBody } from './http.ts';
import { isPlatformUrl, ytDlp } from './ytdlp.ts';

export type SourceKind = 'file' | 'folder' | 'http' | 'feed' | 'yt-dlp';
export type Captions = { path: string; format: 'srt' | 'vtt' };

/** One thing to ingest; `fetch` brings its bytes (and sidecar captions) into a work folder. */
export interface SourceItem {
  /** Identity for "already ingested": a path, a URL without its query, or `yt:video:<id>`. */
  id: string;
  source: SourceKind;
  title?: string;
  published_at?: string;
  fetch(dir: string): Promise<{ media: string; captions?: Captions }>;
}

export interface SourceDeps {
  http: Omit<HttpOptions, 'signal'>;
  maxBytes: number;
  ytdlp: string | undefined;
  signal: AbortSignal;
}

const MEDIA_EXT = new Set([
  '.mp4',
  '.m4v',
  '.mov',
  '.mkv',
  '.webm',
  '.avi',
  '.mpg',
  '.mpeg',
  '.ts',
]);

/** What a ScraperJob's `target_url` names, as the items it holds right now. */
export async function listItems(job: ScraperJob, deps: SourceDeps): Promise<SourceItem[]> {
  const url = new URL(job.target_url);
  if (url.protocol === 'file:') return fileItems(fileURLToPath(url), job);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WorkerError('bad_command', `unsupported source scheme ${url.protocol}`, {
      retryable: false,
    });
  if (isPlatformUrl(url)) return [platformItem(url.href, deps)];
  const res = await httpGet(url.href, { ...deps.http, signal: deps.signal });
  const type = res.headers.get('content-type') ?? '';
  if (/xml|atom|rss/i.test(type)) {
    const entries = parseFeed(await res.text()).filter((e) => inRange(e.published_at, job));
    return entries.map((e) => ({
      id: e.id,
      source: 'feed' as const,
      ...(e.title ? { title: e.title } : {}),
      ...(e.published_at ? { published_at: e.published_at } : {}),
      fetch: (dir: string) =>
        e.media_url
          ? download(e.media_url, dir, deps)
          : e.link && isPlatformUrl(new URL(e.link))
            ? ytDlp(deps.ytdlp, e.link, dir, deps.signal)
            : Promise.reject(
                new WorkerError('bad_command', `feed entry ${e.id} names no media`, {
                  retryable: false,
                }),
              ),
    }));
  }
  // A direct media URL: the response already open is the download.
  const first = res;
  let used = false;
  return [
    {
      id: redact(url),
      source: 'http',
      title: basename(url.pathname),
      fetch: async (dir) => {
        if (used) return download(url.href, dir, deps);
        used = true;
        const media = join(dir, `media${extname(url.pathname) || '.bin'}`);
        await saveBody(first, media, deps.maxBytes);
        const captions = await sidecarOverHttp(url, dir, deps);
        return { media, ...(captions ? { captions } : {}) };
      },
    },
  ];
}

async function fileItems(path: string, job: ScraperJob): Promise<SourceItem[]> {
  const st = await stat(path).catch(() => undefined);
  if (!st)
    throw new WorkerError('bad_command', `no such file or folder: ${path}`, { retryable: false });
  if (st.isFile()) return [localItem(path, 'file')];
  // A watched folder: every media file in it whose modification time is in the job's range.
  const names = (await readdir(path)).filter((n) => MEDIA_EXT.has(extname(n).toLowerCase())).sort();
  const items: SourceItem[] = [];
  for (const name of names) {
    const file = join(path, name);
    const fst = await stat(file);
    if (fst.isFile() && inRange(fst.mtime.toISOString(), job))
      items.push(localItem(file, 'folder'));
  }
  return items;
}

function localItem(file: string, source: 'file' | 'folder'): SourceItem {
  return {
    id: file,
    source,
    title: basename(file, extname(file)),
    fetch: async (dir) => {
      const media = join(dir, `media${extname(file)}`);
      await copyFile(file, media);
      const captions = await localSidecar(file);
      return { media, ...(captions ? { captions } : {}) };
    },
  };
}

function platformItem(href: string, deps: SourceDeps): SourceItem {
  return { id: href, source: 'yt-dlp', fetch: (dir) => ytDlp(deps.ytdlp, href, dir, deps.signal) };
}

async function download(href: string, dir: string, deps: SourceDeps) {
  const url = new URL(href);
  const media = join(dir, `media${extname(url.pathname) || '.bin'}`);
  await saveBody(await httpGet(href, { ...deps.http, signal: deps.signal }), media, deps.maxBytes);
  const captions = await sidecarOverHttp(url, dir, deps);
  return { media, ...(captions ? { captions } : {}) };
}

/** `talk.mp4` brings `talk.srt` or `talk.vtt` when one lies next to it. */
async function localSidecar(file: string): Promise<Captions | undefined> {
  const stem = file.slice(0, file.length - extname(file).length);
  for (const format of ['srt', 'vtt'] as const) {
    const path = `${stem}.${format}`;
    if ((await stat(path).catch(() => undefined))?.isFile()) return { path, format };
  }
  return undefined;
}

/** The same for a URL: `<stem>.srt` / `<stem>.vtt` beside it; a missing one is no error. */
async function sidecarOverHttp(
  url: URL,
  dir: string,
  deps: SourceDeps,
): Promise<Captions | undefined> {
  const stem = url.pathname.slice(0, url.pathname.length - extname(url.pathname).length);
  for (const format of ['srt', 'vtt'] as const) {
    const candidate = new URL(url.href);
    candidate.pathname = `${stem}.${format}`;
    try {
      const res = await httpGet(candidate.href, { ...deps.http, signal: deps.signal });
      const path = join(dir, `captions.${format}`);
      await saveBody(res, path, 16 * 1024 * 1024);
      return { path, format };
    } catch (e) {
      if (e instanceof WorkerError && e.code === 'bad_command') continue; // 404: none
      throw e;
    }
  }
  return undefined;
}

function inRange(iso: string | undefined, job: ScraperJob): boolean {
  if (!iso) return true;
  const t = Date.parse(iso);
  return t >= Date.parse(job.requested_range.since) && t <= Date.parse(job.requested_range.until);
}
