import {
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OmnivaError } from '../../protocols/index.ts';
import { MediaStore, mediaWorkerCode, probe } from '../../runtime/media/index.ts';
import {
  cleanup,
  mediaTempDir,
  rejects,
  sha256,
  sha256File,
  sharedFixtures,
  timeBound,
} from './support.ts';

timeBound(55_000);
test.after(cleanup);

const SITE = 'site-a';

function store(): { media: MediaStore; dataDir: string } {
  const dataDir = mediaTempDir();
  return { media: new MediaStore({ dataDir, siteId: SITE }), dataDir };
}

function blobFiles(dataDir: string): string[] {
  const root = join(dataDir, 'media', 'sha256');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((shard) =>
    readdirSync(join(root, shard)).map((f) => join(root, shard, f)),
  );
}

function tmpFiles(dataDir: string): string[] {
  const dir = join(dataDir, 'media', 'tmp');
  return existsSync(dir) ? readdirSync(dir) : [];
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('media store - put from a path and from a stream: content address, URI, size', async () => {
  const { media, dataDir } = store();
  const src = join(mediaTempDir(), 'a.bin');
  writeFileSync(src, 'hello media');
  const a = await media.put(src);
  assert.is(a.sha256, sha256('hello media'));
  assert.is(a.uri, `media://${SITE}/sha256/${a.sha256}`);
  assert.is(a.size, 11);
  assert.ok(existsSync(join(dataDir, 'media', 'sha256', a.sha256.slice(0, 2), a.sha256)));
  const b = await media.put(Readable.from([Buffer.from('hello '), Buffer.from('media')]));
  assert.equal(b, a);
  assert.is(blobFiles(dataDir).length, 1, 'the same bytes twice are one file');
  assert.equal(tmpFiles(dataDir), []);
  assert.ok(await media.has(a.uri));
});

test('media store - concurrent puts of the same content leave one whole file', async () => {
  const { media, dataDir } = store();
  const bytes = Buffer.alloc(3 * 1024 * 1024 + 7, 'omniva');
  const src = join(mediaTempDir(), 'big.bin');
  writeFileSync(src, bytes);
  // Slow, chunked streams interleave with the path puts, so renames really race.
  const chunked = () =>
    Readable.from(
      (async function* () {
        for (let at = 0; at < bytes.length; at += 256 * 1024) {
          yield bytes.subarray(at, at + 256 * 1024);
          await new Promise((r) => setImmediate(r));
        }
      })(),
    );
  const results = await Promise.all(
    Array.from({ length: 16 }, (_, i) => media.put(i % 2 ? src : chunked())),
  );
  assert.is(new Set(results.map((r) => r.uri)).size, 1);
  assert.equal(blobFiles(dataDir).length, 1);
  assert.equal(tmpFiles(dataDir), []);
  assert.is(await sha256File(await media.path(results[0]!.uri)), sha256(bytes));
});

test('media store - reads re-hash and serve exact bytes (stream and path)', async () => {
  const { media } = store();
  const fx = await sharedFixtures();
  const put = await media.put(fx.files.clip);
  assert.is(put.sha256, await sha256File(fx.files.clip));
  assert.is(sha256(await readAll(await media.open(put.uri))), put.sha256);
  const path = await media.path(put.uri);
  assert.ok(Math.abs((await probe(path)).duration_s - 10) <= 0.1, 'a stored file is still media');
  assert.equal(await media.verify(put.uri), { sha256: put.sha256, size: put.size });
});

test('media store - a corrupted blob is detected, quarantined and never served', async () => {
  const { media, dataDir } = store();
  const put = await media.put(Readable.from([Buffer.from('original bytes, soon flipped')]));
  const [blob] = blobFiles(dataDir);
  const bad = readFileSync(blob!);
  bad[0] = bad[0]! ^ 0xff;
  writeFileSync(blob!, bad);

  const e = await rejects(media.open(put.uri));
  assert.is(e.code, 'OMNIVA_ERR_CHECKSUM_MISMATCH');
  assert.is(e.retryable, false);
  assert.is(mediaWorkerCode(e), 'checksum_mismatch');
  assert.is(e.info?.actual, sha256(bad));
  const quarantined = e.info?.quarantined_to as string;
  assert.ok(quarantined.startsWith(join(dataDir, 'media', 'quarantine')));
  assert.equal(readFileSync(quarantined), bad, 'kept for inspection');
  assert.not.ok(existsSync(blob!), 'gone from the store');
  // Now it is simply missing, by every read path; putting the good bytes again repairs it.
  assert.is((await rejects(media.path(put.uri))).code, 'OMNIVA_ERR_MEDIA_MISSING');
  assert.is((await rejects(media.verify(put.uri))).code, 'OMNIVA_ERR_MEDIA_MISSING');
  await media.put(Readable.from([Buffer.from('original bytes, soon flipped')]));
  assert.equal(await media.verify(put.uri), { sha256: put.sha256, size: put.size });
});

test('media store - path() refuses a corrupted blob too', async () => {
  const { media, dataDir } = store();
  const put = await media.put(Readable.from([Buffer.from('x'.repeat(1000))]));
  writeFileSync(blobFiles(dataDir)[0]!, 'y'.repeat(1000));
  assert.is((await rejects(media.path(put.uri))).code, 'OMNIVA_ERR_CHECKSUM_MISMATCH');
  assert.is(readdirSync(join(dataDir, 'media', 'quarantine')).length, 1);
});

test('media store - bytes changed while streaming end the stream in an error, not a clean end', async () => {
  const { media, dataDir } = store();
  const bytes = Buffer.alloc(4 * 1024 * 1024, 1);
  const put = await media.put(Readable.from([bytes]));
  const stream = await media.open(put.uri);
  // In place, same size and inode: the pre-read check passed, the trailing check must not.
  writeFileSync(blobFiles(dataDir)[0]!, Buffer.alloc(bytes.length, 2));
  let caught: unknown;
  try {
    await readAll(stream);
  } catch (error) {
    caught = error;
  }
  assert.ok(OmnivaError.is(caught, 'OMNIVA_ERR_CHECKSUM_MISMATCH'), String(caught));
  assert.equal(blobFiles(dataDir), []);
});

test('media store - missing, foreign-site and malformed URIs', async () => {
  const { media } = store();
  const hex = 'cd'.repeat(32);
  const missing = await rejects(media.open(`media://${SITE}/sha256/${hex}`));
  assert.is(missing.code, 'OMNIVA_ERR_MEDIA_MISSING');
  assert.not.ok(await media.has(`media://${SITE}/sha256/${hex}`));
  const foreign = await rejects(media.path(`media://site-b/sha256/${hex}`));
  assert.is(foreign.code, 'OMNIVA_ERR_MEDIA_URI');
  assert.match(foreign.message, 'belongs to site "site-b"');
  assert.is(
    (await rejects(media.open('media://site-a/sha256/nothex'))).code,
    'OMNIVA_ERR_MEDIA_URI',
  );
  assert.is((await rejects(media.has('file:///etc/passwd'))).code, 'OMNIVA_ERR_MEDIA_URI');
  assert.throws(() => new MediaStore({ dataDir: '/x', siteId: 'Not A Site' }), /invalid site id/);
});

test('media store - a failed put leaves nothing behind', async () => {
  const { media, dataDir } = store();
  const e = await rejects(media.put(join(dataDir, 'no-such-file')));
  assert.is(e.code, 'OMNIVA_ERR_MEDIA_MISSING');
  const broken = Readable.from(
    (async function* () {
      yield Buffer.from('partial');
      throw new Error('source connection reset');
    })(),
  );
  try {
    await media.put(broken);
    assert.unreachable('a broken source must fail the put');
  } catch (error) {
    assert.match((error as Error).message, 'connection reset');
  }
  assert.equal(tmpFiles(dataDir), []);
  assert.equal(blobFiles(dataDir), []);
});

test('media store - gc removes old unreferenced blobs, keeps referenced and young ones; dry run first', async () => {
  const { media, dataDir } = store();
  const [keep, old, young] = await Promise.all(
    ['kept', 'old', 'young'].map((s) => media.put(Readable.from([Buffer.from(s)]))),
  );
  const hour = 60 * 60 * 1000;
  const past = new Date(Date.now() - 2 * hour);
  const blob = (hex: string) => join(dataDir, 'media', 'sha256', hex.slice(0, 2), hex);
  utimesSync(blob(keep!.sha256), past, past);
  utimesSync(blob(old!.sha256), past, past);
  writeFileSync(join(dataDir, 'media', 'tmp', 'crashed.part'), 'half an upload');
  utimesSync(join(dataDir, 'media', 'tmp', 'crashed.part'), past, past);
  const referenced = new Set([keep!.uri]);

  const dry = await media.gc(referenced, { olderThanMs: hour, dryRun: true });
  assert.equal(dry.removed, [{ uri: old!.uri, size: 3 }]);
  assert.is(dry.dryRun, true);
  assert.equal([dry.keptReferenced, dry.keptYoung, dry.staleTemp.length], [1, 1, 1]);
  assert.is(blobFiles(dataDir).length, 3, 'a dry run removes nothing');

  const real = await media.gc(referenced, { olderThanMs: hour });
  assert.equal(real.removed, dry.removed);
  assert.is(real.removedBytes, 3);
  assert.is((await rejects(media.open(old!.uri))).code, 'OMNIVA_ERR_MEDIA_MISSING');
  assert.ok(await media.has(keep!.uri));
  assert.ok(await media.has(young!.uri));
  assert.equal(tmpFiles(dataDir), []);

  // A malformed reference aborts before anything is removed.
  const e = await rejects(media.gc(new Set(['media://nope']), { olderThanMs: 0 }));
  assert.is(e.code, 'OMNIVA_ERR_MEDIA_URI');
  assert.is(blobFiles(dataDir).length, 2);
  // With nothing referenced and no age limit, everything goes.
  assert.is((await media.gc(new Set(), { olderThanMs: 0 })).removed.length, 2);
});

test('media store - large files stream through in bounded memory', async () => {
  const { media } = store();
  const chunk = Buffer.alloc(1024 * 1024, 7);
  const total = 256;
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const before = process.memoryUsage().rss;
  const put = await media.put(
    Readable.from(
      (function* () {
        for (let i = 0; i < total; i++) {
          if (i % 16 === 0) sample();
          yield chunk;
        }
      })(),
    ),
  );
  assert.is(put.size, total * chunk.length);
  let read = 0;
  for await (const c of await media.open(put.uri)) {
    read += (c as Buffer).length;
    if (read % (16 * chunk.length) === 0) sample();
  }
  assert.is(read, put.size);
  const grew = (peak - before) / (1024 * 1024);
  assert.ok(grew < 96, `rss grew ${grew.toFixed(0)} MiB for a 256 MiB file`);
  assert.ok(statSync(await media.path(put.uri)).size === put.size);
});

test.run();
