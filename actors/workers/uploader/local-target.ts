import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UploaderError } from './errors.ts';
import {
  copyFileAtomic,
  readJson,
  sniffImage,
  writeFileAtomic,
  writeIfChanged,
} from './internal/files.ts';
import { type LocalItem, renderFeed, renderGallery, sortItems } from './internal/local-render.ts';
import { type PublishInput, type PublishResult, type PublishTarget, SAFE_KEY } from './targets.ts';

export interface LocalTargetOptions {
  /** The publish folder: one sub-folder per clip, plus `index.html` and `feed.xml`. */
  dir: string;
  /** Where the folder is served from (e.g. `https://clips.example.org/`); defaults to its file URL. */
  baseUrl?: string;
  title?: string;
  description?: string;
  /** The clock, for tests: a clip scheduled after it is SCHEDULED, otherwise LIVE. */
  now?: () => number;
}

const METADATA = 'metadata.json';
const CLIP_FILE = 'clip.mp4';
/** Re-renders when another writer published meanwhile; a handful of rounds always settles. */
const MAX_RENDER_ROUNDS = 5;

/**
 * The default publish target (design §8): a folder per clip with the clip, its thumbnail and
 * `metadata.json`, and a gallery page and RSS feed over every public clip. `metadata.json` is
 * written last and marks the clip published, so a crash before it makes the retry redo the
 * copies; a publish that changes nothing writes nothing.
 */
export class LocalTarget implements PublishTarget {
  readonly name = 'local' as const;
  readonly dir: string;
  readonly baseUrl: string;
  readonly #o: LocalTargetOptions;
  /** In-process publishes render one at a time; other processes are caught by the re-check. */
  #renderQueue: Promise<unknown> = Promise.resolve();

  constructor(o: LocalTargetOptions) {
    this.#o = o;
    this.dir = o.dir;
    const base = o.baseUrl ?? pathToFileURL(o.dir).href;
    this.baseUrl = base.endsWith('/') ? base : `${base}/`;
  }

  async publish(input: PublishInput): Promise<PublishResult> {
    const { job, key } = input;
    if (!SAFE_KEY.test(key)) throw new UploaderError('bad_command', 'unsafe publish key', false);
    const folder = join(this.dir, key);
    const clipSize = (await stat(input.clipPath)).size;
    const thumb = input.thumbnailPath ? await sniffImage(input.thumbnailPath) : undefined;
    const item: LocalItem = {
      clip_id: job.clip_id,
      title: job.title,
      description: job.description,
      keywords: job.keywords,
      scheduled_time: job.scheduled_time,
      privacy_status: job.privacy_status,
      clip: { file: CLIP_FILE, sha256: input.clipSha256, size: clipSize },
      ...(input.thumbnailPath && thumb
        ? {
            thumbnail: {
              file: `thumbnail.${thumb.ext}`,
              sha256: input.thumbnailSha256 ?? '',
              size: (await stat(input.thumbnailPath)).size,
              mime: thumb.mime,
            },
          }
        : {}),
    };
    const metadata = `${JSON.stringify(item, null, 2)}\n`;

    if (!(await this.#isCurrent(folder, item, metadata))) {
      input.progress(0.1, 'copying clip');
      await mkdir(folder, { recursive: true });
      await copyFileAtomic(input.clipPath, join(folder, CLIP_FILE));
      if (item.thumbnail && input.thumbnailPath) {
        await copyFileAtomic(input.thumbnailPath, join(folder, item.thumbnail.file));
      }
      await writeFileAtomic(join(folder, METADATA), metadata);
    }
    input.progress(0.8, 'rendering gallery and feed');
    await this.#render();

    const scheduled = Date.parse(job.scheduled_time) > (this.#o.now ?? Date.now)();
    return {
      platform_id: key,
      status: scheduled ? 'SCHEDULED' : 'LIVE',
      url: new URL(`${encodeURIComponent(key)}/`, this.baseUrl).href,
    };
  }

  /** Every published clip, whatever its privacy (for tooling and tests). */
  async published(): Promise<LocalItem[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const items: LocalItem[] = [];
    for (const name of names.sort()) {
      if (!SAFE_KEY.test(name)) continue;
      const meta = (await readJson(join(this.dir, name, METADATA))) as LocalItem | undefined;
      if (meta && typeof meta.clip_id === 'string' && meta.clip) items.push(meta);
    }
    return sortItems(items);
  }

  /** Published already with the same metadata and the clip file still whole in size. */
  async #isCurrent(folder: string, item: LocalItem, metadata: string): Promise<boolean> {
    const existing = await readJson(join(folder, METADATA));
    if (existing === undefined || `${JSON.stringify(existing, null, 2)}\n` !== metadata) {
      return false;
    }
    const files = [item.clip, ...(item.thumbnail ? [item.thumbnail] : [])];
    for (const f of files) {
      const st = await stat(join(folder, f.file)).catch(() => undefined);
      if (!st || st.size !== f.size) return false;
    }
    return true;
  }

  #render(): Promise<void> {
    const run = this.#renderQueue.then(() => this.#renderUntilStable());
    this.#renderQueue = run.catch(() => {});
    return run;
  }

  /**
   * Renders from what is on disk, then looks again: if another process published a clip in
   * between, its render may have been overwritten by ours, so render once more.
   */
  async #renderUntilStable(): Promise<void> {
    const o = {
      title: this.#o.title ?? 'Omniva clips',
      description: this.#o.description ?? 'Clips published by Omniva Engine.',
      baseUrl: this.baseUrl,
    };
    await mkdir(this.dir, { recursive: true });
    for (let round = 0; round < MAX_RENDER_ROUNDS; round++) {
      const all = await this.published();
      const listed = all.filter((i) => i.privacy_status === 'public');
      await writeIfChanged(join(this.dir, 'index.html'), renderGallery(listed, o));
      await writeIfChanged(join(this.dir, 'feed.xml'), renderFeed(listed, o));
      if (JSON.stringify(await this.published()) === JSON.stringify(all)) return;
    }
  }
}
