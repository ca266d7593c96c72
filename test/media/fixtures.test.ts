import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveFfmpeg } from '../../runtime/media/index.ts';
import { type FixtureResult, generateFixtures, SENTENCES, toSrt } from '../../scripts/fixtures.ts';
import { cleanup, mediaTempDir, sha256, timeBound } from './support.ts';

const exec = promisify(execFile);

// Two full generations (~13 s each on 2 idle cores) plus checks.
timeBound(58_000);
test.after(cleanup);

let first: FixtureResult;
let second: FixtureResult;

function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) out[name] = sha256(readFileSync(join(dir, name)));
  return out;
}

/** Silences ffmpeg hears in the talk's audio track: [start, end] in seconds. */
async function silences(file: string): Promise<[number, number][]> {
  const { ffmpeg } = await resolveFfmpeg();
  const { stderr } = await exec(ffmpeg, [
    ...['-nostdin', '-hide_banner', '-i', file, '-vn'],
    ...['-af', 'silencedetect=noise=-40dB:d=0.3', '-f', 'null', '-'],
  ]);
  const starts = [...stderr.matchAll(/silence_start: ([\d.]+)/g)].map((m) => Number(m[1]));
  const ends = [...stderr.matchAll(/silence_end: ([\d.]+)/g)].map((m) => Number(m[1]));
  return starts.map((s, i) => [s, ends[i] ?? Number.POSITIVE_INFINITY]);
}

test('fixtures - generated twice into two directories, every file is byte-identical', async () => {
  first = await generateFixtures({ dir: mediaTempDir('omniva-fx-a-') });
  second = await generateFixtures({ dir: mediaTempDir('omniva-fx-b-') });
  assert.equal(first.generated, ['talk', 'clip']);
  const a = hashes(first.dir);
  assert.equal(Object.keys(a), [
    'clip-10s.mp4',
    'clip-10s.srt',
    'corrupt.mp4',
    'manifest.json',
    'talk.mp4',
    'talk.srt',
  ]);
  assert.equal(hashes(second.dir), a);
  process.stderr.write(`fixtures: generated in ${first.ms} ms and ${second.ms} ms\n`);
});

test('fixtures - the SRT has one cue per sentence, timed where ffmpeg hears the pauses', async () => {
  const talk = first.manifest.sets.talk!;
  assert.is(talk.cues.length, SENTENCES.length);
  assert.is(readFileSync(first.files.talkSrt, 'utf8'), toSrt(talk.cues));
  assert.match(
    readFileSync(first.files.talkSrt, 'utf8'),
    /^1\n00:00:00,\d{3} --> 00:00:0\d,\d{3}\nToday I want/,
  );
  for (const [i, cue] of talk.cues.entries()) {
    assert.is(cue.text, SENTENCES[i]);
    assert.ok(cue.end_ms > cue.start_ms + 2000, `cue ${cue.index} holds a sentence`);
    if (i > 0) assert.ok(cue.start_ms > talk.cues[i - 1]!.end_ms);
  }
  // Independent check: decode the encoded audio and find the silences. Every gap between two
  // cues must be a silence that begins where one cue ends and ends where the next begins.
  const heard = await silences(first.files.talk);
  const tolerance = 0.05;
  const edges = [
    { end: 0, start: talk.cues[0]!.start_ms / 1000 },
    ...talk.cues
      .slice(1)
      .map((cue, i) => ({ end: talk.cues[i]!.end_ms / 1000, start: cue.start_ms / 1000 })),
  ];
  for (const gap of edges) {
    const match = heard.find(
      ([s, e]) => Math.abs(s - gap.end) <= tolerance && Math.abs(e - gap.start) <= tolerance,
    );
    assert.ok(
      match,
      `a silence from ${gap.end} s to ${gap.start} s (heard: ${JSON.stringify(heard)})`,
    );
  }
  // And no cue is silent from end to end.
  for (const cue of talk.cues) {
    const covered = heard.some(([s, e]) => s <= cue.start_ms / 1000 && e >= cue.end_ms / 1000);
    assert.not.ok(covered, `cue ${cue.index} has speech`);
  }
});

test('fixtures - the 10 s clip has its own cues within 10 s; the corrupt file is the clip cut short', () => {
  const clip = first.manifest.sets.clip!;
  assert.is(clip.duration_s, 10);
  assert.ok(clip.cues.length >= 1);
  assert.ok(clip.cues.every((c) => c.end_ms <= 10_000));
  const mp4 = readFileSync(first.files.clip);
  const corrupt = readFileSync(first.files.corrupt);
  assert.ok(corrupt.length < mp4.length / 2);
  assert.ok(mp4.subarray(0, corrupt.length).equals(corrupt));
});

test('fixtures - a second run skips; a damaged file regenerates its set only; --force regenerates', async () => {
  const again = await generateFixtures({ dir: first.dir });
  assert.equal(again.generated, []);
  const before = hashes(first.dir);
  writeFileSync(first.files.clipSrt, 'tampered');
  const repaired = await generateFixtures({ dir: first.dir });
  assert.equal(repaired.generated, ['clip']);
  assert.equal(hashes(first.dir), before);
  const forced = await generateFixtures({ dir: first.dir, only: ['clip'], force: true });
  assert.equal(forced.generated, ['clip']);
  assert.equal(hashes(first.dir), before);
});

test.run();
