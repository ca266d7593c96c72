import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type Chunk,
  fromCaptions,
  fromWords,
  type MediaFeatures,
  mergeChunks,
  parseSphinx,
  selectCandidates,
  toSentences,
  WEIGHTS,
  type Word,
} from '../../actors/workers/analyzer/index.ts';
import { sharedFixtures } from '../media/support.ts';

const quiet = (duration: number): MediaFeatures => ({
  duration_s: duration,
  loudness: Array.from({ length: duration }, () => -20),
  silences: [],
  scenes: [],
});

/** A deterministic pseudo-random sequence (mulberry32), so a failing case can be replayed. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('analyzer captions - SRT and VTT cues become timed segments with spread words', () => {
  const srt =
    '1\n00:00:01,000 --> 00:00:03,000\nHello <i>there</i> friend.\n\n2\n00:00:03,500 --> 00:00:05,000\nWhy now?\n';
  const vtt =
    'WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello there friend.\n\n00:00:03.500 --> 00:00:05.000\nWhy now?\n';
  for (const text of [srt, vtt]) {
    const segs = fromCaptions(text);
    assert.is(segs.length, 2);
    assert.is(segs[0]?.text, 'Hello there friend.');
    assert.is(segs[0]?.words.length, 3);
    assert.is(segs[0]?.words[0]?.start, 1);
    assert.ok(Math.abs((segs[0]?.words[2]?.end ?? 0) - 3) < 0.01);
  }
});

test('analyzer captions - cues split mid-sentence are joined into one sentence', () => {
  const segs = fromCaptions(
    '1\n00:00:00,000 --> 00:00:02,000\nThe first half of\n\n2\n00:00:02,000 --> 00:00:04,000\na sentence.\n\n3\n00:00:04,000 --> 00:00:05,000\nNext one!\n',
  );
  const sentences = toSentences(segs);
  assert.equal(
    sentences.map((s) => [s.start, s.end, s.text]),
    [
      [0, 4, 'The first half of a sentence.'],
      [4, 5, 'Next one!'],
    ],
  );
});

test('analyzer asr - pocketsphinx word lines parse without fillers or alternates', () => {
  const words = parseSphinx(
    'do not want\n<s> 0.420 0.660 0.99\ndo 0.670 0.800 0.08\n<sil> 1.3 1.36 0.9\nyours(3) 3.190 3.480 0.06\n</s> 4.9 5.3 1.0\n',
  );
  assert.equal(words, [
    { w: 'do', start: 0.67, end: 0.8 },
    { w: 'yours', start: 3.19, end: 3.48 },
  ]);
});

test('analyzer candidates - cut on sentence boundaries, within 15-60 s, deterministic and disjoint', async () => {
  const fx = await sharedFixtures();
  const sentences = toSentences(fromCaptions(readFileSync(fx.files.talkSrt, 'utf8')));
  const media = quiet(Math.ceil(sentences.at(-1)?.end ?? 0) + 1);
  const a = selectCandidates(sentences, media);
  const b = selectCandidates(structuredClone(sentences), structuredClone(media));
  assert.equal(a, b, 'identical inputs give identical candidates');
  assert.ok(a.candidates.length >= 2);
  const starts = new Set(sentences.map((s) => s.start));
  const ends = new Set(sentences.map((s) => s.end));
  for (const c of a.candidates) {
    assert.ok(starts.has(c.start_time) && ends.has(c.end_time), 'starts and ends a sentence');
    assert.ok(c.end_time - c.start_time >= 15 && c.end_time - c.start_time <= 60);
  }
  for (const [i, x] of a.candidates.entries())
    for (const y of a.candidates.slice(i + 1))
      assert.ok(x.end_time <= y.start_time || y.end_time <= x.start_time, 'no overlap');
  // The confidence is the sum of the reported score terms, each within its weight.
  for (const [i, e] of a.explained.entries()) {
    const sum = Object.values(e.scores).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum - (a.candidates[i]?.confidence ?? -1)) < 0.01);
    for (const [k, v] of Object.entries(e.scores))
      assert.ok(v <= WEIGHTS[k as keyof typeof WEIGHTS] + 1e-9);
  }
});

test('analyzer candidates - a louder stretch with a hook outscores ordinary talk', () => {
  const sentence = (start: number, text: string) => ({
    start,
    end: start + 5,
    text,
    words: text
      .split(' ')
      .map((w, i) => ({ w, start: start + i * 0.35, end: start + i * 0.35 + 0.3 })),
  });
  const plain = 'We talk about bread and ovens and the morning routine today';
  const sentences = [
    ...Array.from({ length: 8 }, (_, i) => sentence(i * 5, `${plain} number ${i}.`)),
    sentence(40, 'Why does nobody tell you about the bread secret?'),
    ...Array.from({ length: 3 }, (_, i) =>
      sentence(45 + i * 5, `The bread secret is the oven ${i}.`),
    ),
    ...Array.from({ length: 8 }, (_, i) => sentence(60 + i * 5, `${plain} again ${i}.`)),
  ];
  const media = quiet(100);
  for (let s = 40; s < 60; s++) media.loudness[s] = -12;
  const best = selectCandidates(sentences, media).candidates[0];
  assert.is(best?.start_time, 40);
});

test('analyzer chunking - word times survive any chunking of a long input (property)', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rand = rng(seed);
    const duration = 7200 + rand() * 600; // two hours and more
    const words: Word[] = [];
    for (let t = rand() * 2; t < duration - 1; t += 0.2 + rand() * 1.5) {
      const start = Math.round(t * 1000) / 1000;
      words.push({ w: `w${words.length}`, start, end: Math.round((t + 0.15) * 1000) / 1000 });
    }
    const chunkS = 30 + Math.floor(rand() * 900);
    const overlap = Math.floor(rand() * 5);
    // What a recogniser hears per chunk: the words in [from, from + span + 2·overlap), relative.
    const chunks: Chunk[] = [];
    for (let offset = 0; offset < duration; offset += chunkS) {
      const from = Math.max(0, offset - overlap);
      const to = offset + chunkS + overlap;
      chunks.push({
        offset,
        span: chunkS,
        overlap,
        words: words
          .filter((w) => w.start >= from && w.start < to)
          .map((w) => ({
            w: w.w,
            start: Math.round((w.start - from) * 1000) / 1000,
            end: Math.round((w.end - from) * 1000) / 1000,
          })),
      });
    }
    // Any order of arrival.
    chunks.sort(() => rand() - 0.5);
    const merged = mergeChunks(chunks);
    assert.is(merged.length, words.length, `seed ${seed}: every word once`);
    for (const [i, w] of merged.entries()) {
      const o = words[i] as Word;
      assert.ok(
        w.w === o.w && Math.abs(w.start - o.start) < 0.002,
        `seed ${seed}: word ${i} in place`,
      );
    }
    // And so the candidates are the same as from the unchunked timeline.
    const media = quiet(Math.ceil(duration));
    if (seed % 40 === 0) {
      assert.equal(
        selectCandidates(fromWords(merged), media).candidates,
        selectCandidates(fromWords(words), media).candidates,
        `seed ${seed}: same candidates`,
      );
    }
  }
});

test.run();
