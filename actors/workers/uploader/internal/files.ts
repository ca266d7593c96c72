import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Atomic file writes: the bytes go to a temp file beside the target (same file system), are
 * synced, then renamed over it, so a reader or a crash sees the old file or the new one,
 * never half of one.
 */

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A directory's entry list is only durable once the directory itself is synced. */
export async function fsyncDir(dir: string): Promise<void> {
  await fsyncPath(dir).catch(() => {});
}

function tempBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
}

async function commit(tmp: string, path: string): Promise<void> {
  try {
    await fsyncPath(tmp);
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
  await fsyncDir(dirname(path));
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  const tmp = tempBeside(path);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
  } finally {
    await fh.close();
  }
  await commit(tmp, path);
}

export async function copyFileAtomic(src: string, path: string): Promise<void> {
  const tmp = tempBeside(path);
  // A copy-on-write clone where the file system offers one, a plain copy otherwise.
  await copyFile(src, tmp, constants.COPYFILE_FICLONE);
  await commit(tmp, path);
}

/** Writes only when the content differs, so an unchanged publish leaves files untouched. */
export async function writeIfChanged(path: string, data: string): Promise<boolean> {
  if ((await readText(path)) === data) return false;
  await writeFileAtomic(path, data);
  return true;
}

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A JSON file's value, or undefined when it is absent or unreadable as JSON. */
export async function readJson(path: string): Promise<unknown> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Image type by magic bytes: the store names blobs by hash, not by type. */
export async function sniffImage(path: string): Promise<{ ext: string; mime: string }> {
  const fh = await open(path, 'r');
  const head = Buffer.alloc(12);
  try {
    await fh.read(head, 0, 12, 0);
  } finally {
    await fh.close();
  }
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) {
    return { ext: 'jpg', mime: 'image/jpeg' };
  }
  if (head.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))) {
    return { ext: 'png', mime: 'image/png' };
  }
  if (head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') {
    return { ext: 'webp', mime: 'image/webp' };
  }
  return { ext: 'bin', mime: 'application/octet-stream' };
}
