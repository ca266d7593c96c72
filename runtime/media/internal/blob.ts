import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';

export const QUARANTINE_DIR = 'quarantine';

export interface Sha256Hasher {
  /** Passes bytes through while hashing them (for `pipeline`). */
  readonly transform: Transform;
  update(chunk: Buffer): void;
  digest(): string;
  size(): number;
}

export function sha256Hasher(): Sha256Hasher {
  const hash = createHash('sha256');
  let size = 0;
  let digest: string | undefined;
  const update = (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
  };
  return {
    transform: new Transform({
      transform(chunk: Buffer | string, _enc, done) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        update(bytes);
        done(null, bytes);
      },
    }),
    update,
    digest: () => {
      digest ??= hash.digest('hex');
      return digest;
    },
    size: () => size,
  };
}

/** Hashes a stream to its end in bounded memory (chunk by chunk). */
export async function hashStream(
  stream: AsyncIterable<Buffer>,
): Promise<{ digest: string; size: number }> {
  const hasher = sha256Hasher();
  for await (const chunk of stream) hasher.update(chunk);
  return { digest: hasher.digest(), size: hasher.size() };
}

export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** Makes a rename in `dir` durable (the directory entry, not just the file's bytes). */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Moves a corrupted blob out of the store so it can never be served again, keeping it for
 * inspection. With `ino`, moves only the very file that was found bad: a concurrent put may
 * already have renamed a good copy over the name, and that copy must stay.
 * Returns where the file went, or undefined when there was nothing (left) to move.
 */
export async function quarantine(
  path: string,
  quarantineDir: string,
  sha256: string,
  ino?: number,
): Promise<string | undefined> {
  try {
    if (ino !== undefined && (await stat(path)).ino !== ino) return undefined;
    await mkdir(quarantineDir, { recursive: true });
    const dest = join(quarantineDir, `${sha256}.${Date.now()}.${randomUUID().slice(0, 8)}`);
    await rename(path, dest);
    return dest;
  } catch (error) {
    // Another reader quarantined it first.
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
