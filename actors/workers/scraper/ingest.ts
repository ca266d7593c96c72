import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deriveMsgId, type MediaMetadata, type ScraperJob } from '../../../protocols/index.ts';
import { type FfmpegTools, type MediaStore, probe } from '../../../runtime/media/index.ts';
import type { Progress } from '../internal/job-worker.ts';
import { asWorkerError } from '../internal/worker-error.ts';
import { listItems, type SourceDeps, type SourceItem, type SourceKind } from './sources.ts';

/** One ingested source item, as the scraper reports it (and remembers it). */
export interface IngestedAsset {
  job_id: string;
  video_id: string;
  source: SourceKind;
  source_item: string;
  title?: string;
  published_at?: string;
  media_uri: string;
  captions_uri?: string;
  captions_format?: 'srt' | 'vtt';
  size_bytes: number;
  captured_at: string;
  metadata: MediaMetadata;
}

export interface IngestOutput {
  assets: IngestedAsset[];
  /** Items found that an earlier job already ingested. */
  skipped: number;
}

export interface IngestDeps {
  store: MediaStore;
  dataDir: string;
  tools: FfmpegTools;
  sources: Omit<SourceDeps, 'signal'>;
}

/**
 * The scraper's effect: list the job's source, and for each item not ingested before, fetch
 * it, check it is media (ffprobe), store it by content, and remember the item. The memory is
 * a file per item under `<dataDir>/scraper/items/`, written last and naming the job: an item
 * remembered by this same job (a crash before the outcome was journaled) is reported again,
 * one remembered by another job is skipped.
 */
export async function ingest(
  job: ScraperJob,
  deps: IngestDeps,
  signal: AbortSignal,
  progress: Progress,
): Promise<IngestOutput> {
  const itemsDir = join(deps.dataDir, 'scraper', 'items');
  const workDir = join(deps.dataDir, 'scraper', 'work');
  await mkdir(itemsDir, { recursive: true });
  await mkdir(workDir, { recursive: true });
  try {
    const items = await listItems(job, { ...deps.sources, signal });
    const out: IngestOutput = { assets: [], skipped: 0 };
    for (const [i, item] of items.entries()) {
      const memo = join(itemsDir, `${digest(item.id)}.json`);
      const known = await readMemo(memo);
      if (known && known.job_id !== job.job_id) {
        out.skipped++;
        continue;
      }
      out.assets.push(known ?? (await ingestOne(job, item, memo, workDir, deps)));
      progress((i + 1) / items.length, `${i + 1} of ${items.length} items`);
    }
    return out;
  } catch (e) {
    throw asWorkerError(e);
  }
}

async function ingestOne(
  job: ScraperJob,
  item: SourceItem,
  memo: string,
  workDir: string,
  deps: IngestDeps,
): Promise<IngestedAsset> {
  const dir = await mkdtemp(join(workDir, 'item-'));
  try {
    const fetched = await item.fetch(dir);
    const info = await probe(fetched.media, { tools: deps.tools });
    const media = await deps.store.put(fetched.media);
    const captions = fetched.captions ? await deps.store.put(fetched.captions.path) : undefined;
    const asset: IngestedAsset = {
      job_id: job.job_id,
      video_id: uuidFrom(item.id),
      source: item.source,
      source_item: item.id.slice(0, 2048),
      ...(item.title ? { title: item.title.slice(0, 500) } : {}),
      ...(item.published_at ? { published_at: item.published_at } : {}),
      media_uri: media.uri,
      ...(captions && fetched.captions
        ? { captions_uri: captions.uri, captions_format: fetched.captions.format }
        : {}),
      size_bytes: media.size,
      captured_at: new Date().toISOString(),
      metadata: normalize(info),
    };
    const tmp = `${memo}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(asset));
    await rename(tmp, memo);
    return asset;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function normalize(info: Awaited<ReturnType<typeof probe>>): MediaMetadata {
  const opt = <K extends string, V>(k: K, v: V | null) => (v === null ? {} : { [k]: v });
  return {
    duration_s: info.duration_s,
    size_bytes: info.size_bytes,
    container: info.container,
    has_audio: info.has_audio,
    ...opt('width', info.width),
    ...opt('height', info.height),
    ...opt('fps', info.fps),
    ...opt('video_codec', info.video_codec),
    ...opt('audio_codec', info.audio_codec),
    ...opt('sample_rate', info.audio_sample_rate),
    ...opt('channels', info.audio_channels),
  } as MediaMetadata;
}

async function readMemo(file: string): Promise<IngestedAsset | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as IngestedAsset;
  } catch {
    return undefined;
  }
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A stable UUIDv4-shaped id for a source item: the same item is always the same video. */
export function uuidFrom(s: string): string {
  return deriveMsgId(`scraper|video|${s}`, 0);
}
