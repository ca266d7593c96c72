import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mediaWorkerCode, probe, resolveFfmpeg } from '../../runtime/media/index.ts';
import { cleanup, mediaTempDir, rejects, sharedFixtures, timeBound } from './support.ts';

timeBound(55_000);
test.after(cleanup);

test('probe - the generated talk: duration as measured, 1280x720 at 30 fps, H.264 with AAC audio', async () => {
  const fx = await sharedFixtures();
  const expected = fx.manifest.sets.talk?.duration_s ?? 0;
  assert.ok(expected > 100 && expected < 140, `talk lasts about two minutes (${expected} s)`);
  const info = await probe(fx.files.talk);
  assert.ok(Math.abs(info.duration_s - expected) <= 0.1, `${info.duration_s} vs ${expected}`);
  assert.is(info.width, 1280);
  assert.is(info.height, 720);
  assert.is(info.fps, 30);
  assert.is(info.has_audio, true);
  assert.is(info.audio_sample_rate, 48_000);
  assert.is(info.audio_channels, 1);
  assert.is(info.video_codec, 'h264');
  assert.is(info.audio_codec, 'aac');
  assert.match(info.container, 'mp4');
  assert.ok(info.size_bytes > 1_000_000);
});

test('probe - the 10 s clip lasts 10 s', async () => {
  const fx = await sharedFixtures();
  const info = await probe(fx.files.clip);
  assert.ok(Math.abs(info.duration_s - 10) <= 0.1, String(info.duration_s));
  assert.is(info.has_audio, true);
});

test('probe - the truncated MP4 is media_corrupt with ffprobe reason, not retryable', async () => {
  const fx = await sharedFixtures();
  const e = await rejects(probe(fx.files.corrupt));
  assert.is(e.code, 'OMNIVA_ERR_MEDIA_CORRUPT');
  assert.is(e.retryable, false);
  assert.match(e.message, /moov atom not found|Invalid data/);
  assert.is(e.info?.file, fx.files.corrupt);
  assert.is(mediaWorkerCode(e), 'media_corrupt');
});

test('probe - text, empty files and directories are corrupt; a missing file is missing', async () => {
  const dir = mediaTempDir();
  writeFileSync(
    join(dir, 'notes.mp4'),
    'these are not the frames you are looking for\n'.repeat(50),
  );
  writeFileSync(join(dir, 'empty.mp4'), '');
  mkdirSync(join(dir, 'folder.mp4'));
  for (const [name, why] of [
    ['notes.mp4', /Invalid data|no audio or video/],
    ['empty.mp4', /empty/],
    ['folder.mp4', /not a regular file/],
  ] as const) {
    const e = await rejects(probe(join(dir, name)));
    assert.is(e.code, 'OMNIVA_ERR_MEDIA_CORRUPT', name);
    assert.match(e.message, why);
  }
  assert.is((await rejects(probe(join(dir, 'nothing.mp4')))).code, 'OMNIVA_ERR_MEDIA_MISSING');
});

test('probe - audio-only files have no picture; names with spaces and colons work', async () => {
  const { ffmpeg } = await resolveFfmpeg();
  const dir = mediaTempDir();
  const wav = join(dir, 'talk: take 2.wav');
  const sine = 'sine=duration=1.5:sample_rate=16000';
  execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', sine, `file:${wav}`]);
  const info = await probe(wav);
  assert.equal(
    { w: info.width, h: info.height, fps: info.fps, video: info.video_codec },
    { w: null, h: null, fps: null, video: null },
  );
  assert.is(info.has_audio, true);
  assert.is(info.audio_sample_rate, 16_000);
  assert.ok(Math.abs(info.duration_s - 1.5) < 0.01);
});

test.run();
