import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline as pipe, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OmnivaError, SITE_ID_PATTERN } from '../../protocols/index.ts';
import {
  fsyncDir,
  hashStream,
  isNotFound,
  QUARANTINE_DIR,
  quarantine,
  sha256Hasher,
} from './internal/blob.ts';
import { formatMediaUri, parseMediaUri } from './media-uri.ts';

export interface MediaStoreOptions {
  /** The site's data directory; the store lives in `<dataDir>/media/`. */
  dataDir: string;
  siteId: string;
}

export interface PutResult {
  readonly uri: string;
  readonly sha256: string;
  readonly size: number;
}

export interface MediaEntry {
  readonly uri: string;
  readonly sha256: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface GcOptions {
  /** Blobs and partial uploads younger than this are kept (default one hour). */
  olderThanMs?: number;
  /** Report what would be removed without removing it. */
  dryRun?: boolean;
  /** The clock, for tests. */
  now?: number;
}

export interface GcReport {
  readonly dryRun: boolean;
  readonly removed: readonly { uri: string; size: number }[];
  readonly removedBytes: number;
  readonly keptReferenced: number;
  readonly keptYoung: number;
  /** Partial uploads left by a crashed `put`, removed by the same age rule. */
  readonly staleTemp: readonly string[];
}

/**
 * A put's blob may reach the store before the message that references it is recorded; an
 * hour is far longer than that gap, so gc never races a put in flight.
 */
export const DEFAULT_GC_AGE_MS = 60 * 60 * 1000;

const HEX = /^[0-9a-f]{64}$/;
const READ_CHUNK = 1024 * 1024;

/**
 * The site-local, content-addressed media store (design §8): `<dataDir>/media/sha256/<aa>/<hex>`.
 * Bytes are named by their sha256, so the same content stored twice is one file, and every
 * read re-hashes: a file that no longer matches its name is quarantined and never served.
 */
export class MediaStore {
  readonly siteId: string;
  readonly root: string;
  private readonly blobDir: string;
  private readonly tmpDir: string;
  private readonly quarantineDir: string;

  constructor(opts: MediaStoreOptions) {
    if (!new RegExp(SITE_ID_PATTERN).test(opts.siteId)) {
      throw new OmnivaError(
        'OMNIVA_ERR_CONFIG_INVALID',
        `invalid site id "${opts.siteId}" for the media store`,
      );
    }
    this.siteId = opts.siteId;
    this.root = join(opts.dataDir, 'media');
    this.blobDir = join(this.root, 'sha256');
    // Same file system as the blobs, so the final rename is atomic.
    this.tmpDir = join(this.root, 'tmp');
    this.quarantineDir = join(this.root, QUARANTINE_DIR);
  }

  uriOf(sha256: string): string {
    return formatMediaUri({ site: this.siteId, sha256 });
  }

  /**
   * Streams `source` (a file path or a Readable) into a temp file while hashing, then renames
   * it onto its content address. Concurrent puts of the same bytes each rename a complete,
   * identical file over the name, so readers see one whole copy or the other, never a part.
   */
  async put(source: string | Readable): Promise<PutResult> {
    await mkdir(this.tmpDir, { recursive: true });
    const tmp = join(this.tmpDir, `${randomUUID()}.part`);
    const hasher = sha256Hasher();
    try {
      const input =
        typeof source === 'string'
          ? createReadStream(source, { highWaterMark: READ_CHUNK })
          : source;
      await pipeline(input, hasher.transform, createWriteStream(tmp, { flags: 'wx' }));
      // Durable before it is visible: a crash must not leave a named blob with lost bytes.
      const fh = await open(tmp, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      const sha256 = hasher.digest();
      const dest = this.blobPath(sha256);
      await mkdir(dirname(dest), { recursive: true });
      await rename(tmp, dest);
      await fsyncDir(dirname(dest));
      return { uri: this.uriOf(sha256), sha256, size: hasher.size() };
    } catch (error) {
      await unlink(tmp).catch(() => {});
      if (typeof source === 'string' && isNotFound(error)) {
        throw new OmnivaError(
          'OMNIVA_ERR_MEDIA_MISSING',
          `no file to store at ${source}`,
          { file: source },
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** True when a blob exists for the URI (no hashing: a cheap dedupe check, not a read). */
  async has(uri: string): Promise<boolean> {
    try {
      return (await stat(this.blobPath(this.local(uri)))).isFile();
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /**
   * A verified local path, for tools that read files themselves (ffmpeg). The bytes were
   * whole when checked; the store never rewrites a blob in place, so they stay so.
   */
  async path(uri: string): Promise<string> {
    const { fh, path } = await this.verified(uri);
    await fh.close();
    return path;
  }

  /** Re-hashes a blob; throws as a read would. */
  async verify(uri: string): Promise<{ sha256: string; size: number }> {
    const { fh, sha256, size } = await this.verified(uri);
    await fh.close();
    return { sha256, size };
  }

  /**
   * A stream of the blob's bytes. The file is hashed before the first byte is served, and the
   * stream hashes again as it goes: if the bytes change underneath it, it ends in
   * `OMNIVA_ERR_CHECKSUM_MISMATCH` instead of ending cleanly. Consume or destroy it: it holds
   * the file open until it ends.
   */
  async open(uri: string): Promise<Readable> {
    const { fh, path, sha256, ino } = await this.verified(uri);
    const hasher = sha256Hasher();
    const check = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hasher.update(chunk);
        done(null, chunk);
      },
      flush: (done) => {
        const actual = hasher.digest();
        if (actual === sha256) return done();
        quarantine(path, this.quarantineDir, sha256, ino).then(
          (moved) => done(this.mismatch(uri, actual, moved)),
          () => done(this.mismatch(uri, actual)),
        );
      },
    });
    const file = fh.createReadStream({ start: 0, autoClose: true, highWaterMark: READ_CHUNK });
    return pipe(file, check, () => {});
  }

  /** Every blob in the store; files whose names are not digests are not the store's and are skipped. */
  async *entries(): AsyncGenerator<MediaEntry> {
    for (const shard of (await readdirOrEmpty(this.blobDir)).sort()) {
      for (const name of (await readdirOrEmpty(join(this.blobDir, shard))).sort()) {
        if (!HEX.test(name) || !name.startsWith(shard)) continue;
        try {
          const st = await stat(join(this.blobDir, shard, name));
          if (st.isFile())
            yield { uri: this.uriOf(name), sha256: name, size: st.size, mtimeMs: st.mtimeMs };
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
    }
  }

  /**
   * Removes blobs no reference names and older than `olderThanMs`, and stale partial uploads.
   * References are matched by digest whatever their site, which can only keep more. A
   * malformed reference fails the whole run: better to remove nothing than guess.
   */
  async gc(referenced: ReadonlySet<string>, opts: GcOptions = {}): Promise<GcReport> {
    const keep = new Set([...referenced].map((uri) => parseMediaUri(uri).sha256));
    const olderThanMs = opts.olderThanMs ?? DEFAULT_GC_AGE_MS;
    const now = opts.now ?? Date.now();
    const dryRun = opts.dryRun ?? false;
    const removed: { uri: string; size: number }[] = [];
    let keptReferenced = 0;
    let keptYoung = 0;
    for await (const entry of this.entries()) {
      if (keep.has(entry.sha256)) keptReferenced++;
      else if (now - entry.mtimeMs < olderThanMs) keptYoung++;
      else {
        // A put refreshes the blob (a new inode and mtime); look again just before removing.
        const path = this.blobPath(entry.sha256);
        const fresh = await stat(path).catch(() => undefined);
        if (!fresh || now - fresh.mtimeMs < olderThanMs) continue;
        if (!dryRun)
          await unlink(path).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
        removed.push({ uri: entry.uri, size: entry.size });
      }
    }
    const staleTemp: string[] = [];
    for (const name of await readdirOrEmpty(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      const st = await stat(path).catch(() => undefined);
      if (!st || now - st.mtimeMs < olderThanMs) continue;
      if (!dryRun) await unlink(path).catch(() => {});
      staleTemp.push(path);
    }
    const removedBytes = removed.reduce((sum, r) => sum + r.size, 0);
    return { dryRun, removed, removedBytes, keptReferenced, keptYoung, staleTemp };
  }

  private blobPath(sha256: string): string {
    return join(this.blobDir, sha256.slice(0, 2), sha256);
  }

  /** The digest of a URI this site may serve; another site's media is never resolved here. */
  private local(uri: string): string {
    const ref = parseMediaUri(uri);
    if (ref.site !== this.siteId) {
      throw new OmnivaError(
        'OMNIVA_ERR_MEDIA_URI',
        `media URI ${uri} belongs to site "${ref.site}", not this site "${this.siteId}"`,
        { uri, site: ref.site, local_site: this.siteId },
      );
    }
    return ref.sha256;
  }

  private mismatch(uri: string, actual: string, quarantinedTo?: string): OmnivaError {
    return new OmnivaError(
      'OMNIVA_ERR_CHECKSUM_MISMATCH',
      `stored media ${uri} does not match its sha256 (found ${actual}); quarantined, not served`,
      {
        uri,
        actual,
        worker_code: 'checksum_mismatch',
        ...(quarantinedTo ? { quarantined_to: quarantinedTo } : {}),
      },
    );
  }

  /** Opens and hashes a blob; on a mismatch quarantines it and throws. The handle stays open. */
  private async verified(
    uri: string,
  ): Promise<{ fh: FileHandle; path: string; sha256: string; size: number; ino: number }> {
    const sha256 = this.local(uri);
    const path = this.blobPath(sha256);
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (error) {
      if (!isNotFound(error)) throw error;
      throw new OmnivaError(
        'OMNIVA_ERR_MEDIA_MISSING',
        `the media store holds no file for ${uri}`,
        { uri },
        {
          cause: error,
        },
      );
    }
    try {
      const { digest, size } = await hashStream(
        fh.createReadStream({ start: 0, autoClose: false, highWaterMark: READ_CHUNK }),
      );
      const { ino } = await fh.stat();
      if (digest === sha256) return { fh, path, sha256, size, ino };
      const moved = await quarantine(path, this.quarantineDir, sha256, ino);
      throw this.mismatch(uri, digest, moved);
    } catch (error) {
      await fh.close().catch(() => {});
      throw error;
    }
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}
