import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mediaWorkerCode, parseFfmpegVersion, resolveFfmpeg } from '../../runtime/media/index.ts';
import { cleanup, mediaTempDir, rejects, timeBound } from './support.ts';

timeBound(30_000);
test.after(cleanup);

function staticInstalled(): boolean {
  try {
    const name = 'ffmpeg-static';
    return typeof createRequire(import.meta.url)(name) === 'string';
  } catch {
    return false;
  }
}

test('ffmpeg resolve - an explicit path that does not exist is a clear, non-retryable error', async () => {
  const e = await rejects(resolveFfmpeg({ bin: '/nonexistent/ffmpeg' }));
  assert.is(e.code, 'OMNIVA_ERR_FFMPEG_MISSING');
  assert.is(e.retryable, false);
  assert.match(e.message, '/nonexistent/ffmpeg');
  assert.match(e.message, 'bash scripts/setup');
  assert.match(e.message, 'apt-get install ffmpeg');
  assert.is(mediaWorkerCode(e), 'internal');
});

test('ffmpeg resolve - an explicit path to something that is not ffmpeg is refused', async () => {
  const dir = mediaTempDir();
  const fake = join(dir, 'ffmpeg');
  writeFileSync(fake, '#!/bin/sh\necho hello\n');
  chmodSync(fake, 0o755);
  const e = await rejects(resolveFfmpeg({ bin: fake }));
  assert.is(e.code, 'OMNIVA_ERR_FFMPEG_MISSING');
  assert.match(e.message, 'did not print a version line');
  const notExecutable = join(dir, 'plain');
  writeFileSync(notExecutable, 'x');
  assert.match(
    (await rejects(resolveFfmpeg({ bin: notExecutable }))).message,
    'no executable file',
  );
});

test('ffmpeg resolve - PATH fallback finds Debian ffmpeg and ffprobe, with the version', async () => {
  const tools = await resolveFfmpeg({ useStatic: false });
  assert.is(tools.source, 'path');
  assert.match(tools.ffmpeg, /\/ffmpeg$/);
  assert.match(tools.ffprobe, /\/ffprobe$/);
  assert.match(tools.version, /^\d+\.\d+/);
  // Cached: the same resolution is not re-run.
  assert.is(await resolveFfmpeg({ useStatic: false }), tools);
});

test('ffmpeg resolve - the default prefers a working ffmpeg-static binary, else PATH', async () => {
  const tools = await resolveFfmpeg();
  assert.is(tools.source, staticInstalled() ? 'ffmpeg-static' : 'path');
});

test('ffmpeg resolve - an explicit path is used as given, ffprobe found beside it', async () => {
  const { ffmpeg, ffprobe } = await resolveFfmpeg({ useStatic: false });
  const dir = mediaTempDir();
  symlinkSync(ffmpeg, join(dir, 'ffmpeg'));
  symlinkSync(ffprobe, join(dir, 'ffprobe'));
  const tools = await resolveFfmpeg({ bin: join(dir, 'ffmpeg'), pathEnv: '' });
  assert.is(tools.source, 'explicit');
  assert.is(tools.ffprobe, join(dir, 'ffprobe'));
});

test('ffmpeg resolve - nothing on PATH, or ffmpeg without ffprobe, names what is missing', async () => {
  const none = await rejects(resolveFfmpeg({ useStatic: false, pathEnv: mediaTempDir() }));
  assert.is(none.code, 'OMNIVA_ERR_FFMPEG_MISSING');
  assert.match(none.message, 'not found');
  assert.match(none.message, 'apt-get install ffmpeg');

  const { ffmpeg } = await resolveFfmpeg({ useStatic: false });
  const dir = mediaTempDir();
  symlinkSync(ffmpeg, join(dir, 'ffmpeg'));
  const noProbe = await rejects(resolveFfmpeg({ useStatic: false, pathEnv: dir }));
  assert.is(noProbe.code, 'OMNIVA_ERR_FFMPEG_MISSING');
  assert.match(noProbe.message, 'ffprobe is not beside ffmpeg nor on PATH');
});

test('ffmpeg resolve - version lines of distribution and static builds parse', () => {
  assert.is(
    parseFfmpegVersion('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026'),
    '5.1.9-0+deb12u1',
  );
  assert.is(
    parseFfmpegVersion('ffmpeg version 6.0-static https://johnvansickle.com/ffmpeg/'),
    '6.0-static',
  );
  assert.is(parseFfmpegVersion('ffmpeg version N-113000-g1234 Copyright'), 'N-113000-g1234');
  assert.is(parseFfmpegVersion('hello'), undefined);
});

test.run();
