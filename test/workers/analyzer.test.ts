import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  analyzerKind,
  DEFAULT_ASR,
  DEFAULT_CANDIDATES,
} from '../../actors/workers/analyzer/index.ts';
import { type AnalysisReport, type AnalyzeJob, validateContract } from '../../protocols/index.ts';
import type { ActorHost } from '../../runtime/index.ts';
import { cleanup, sharedFixtures, timeBound } from '../media/support.ts';
import { readStream, SITE, STREAMS, startHost } from '../support/site.ts';
import { openWorkerSite, type WorkerSite } from '../support/worker-site.ts';

timeBound(240_000);

let site: WorkerSite;
const hosts: ActorHost[] = [];
let fx: Awaited<ReturnType<typeof sharedFixtures>>;
let talk: string;
let talkSrt: string;
let clip: string;

test.before(async () => {
  fx = await sharedFixtures();
  site = await openWorkerSite();
  talk = (await site.store.put(fx.files.talk)).uri;
  talkSrt = (await site.store.put(fx.files.talkSrt)).uri;
  clip = (await site.store.put(fx.files.clip)).uri;
  const base = {
    store: site.store,
    tools: site.tools,
    dataDir: site.dataDir,
    asrOptions: DEFAULT_ASR,
  };
  // Two instances addressed directly: one with pocketsphinx, one with a missing ASR binary.
  hosts.push(
    await startHost(
      site.nc,
      analyzerKind({ ...base, instance: 'a1', candidates: DEFAULT_CANDIDATES }),
      {
        ledger: site.ledger,
      },
    ),
    await startHost(
      site.nc,
      analyzerKind({
        ...base,
        instance: 'sphinx',
        placed: true,
        asr: { kind: 'pocketsphinx', bin: '/usr/bin/pocketsphinx_continuous' },
        candidates: { min_s: 2, max_s: 10, max_candidates: 3 },
      }),
      { ledger: site.ledger },
    ),
    await startHost(
      site.nc,
      analyzerKind({
        ...base,
        instance: 'offline',
        placed: true,
        asr: { kind: 'whisper', bin: '/nonexistent/whisper-cli', model: '/nonexistent/model.bin' },
        candidates: DEFAULT_CANDIDATES,
      }),
      { ledger: site.ledger },
    ),
  );
});

test.after(async () => {
  for (const h of hosts) await h.stop();
  await site.close();
  cleanup();
});

function job(extra: Partial<AnalyzeJob> = {}): AnalyzeJob {
  return {
    job_id: crypto.randomUUID(),
    video_id: '3d2c1b0a-9f8e-4d7c-a6b5-a4b3c2d1e0f9',
    scraper_job_id: '6f1c2e7a-3b4d-4c5e-9f60-718293a4b5c6',
    media_uri: talk,
    captions_uri: talkSrt,
    captions_format: 'srt',
    ...extra,
  };
}

async function analyze(j: AnalyzeJob, instance?: string) {
  await site.command('analyzer', 'AnalyzeJob', j, instance ? { instance } : {});
  const status = await site.outcome(
    instance ? `analyzer-${instance}` : 'analyzer',
    j.job_id,
    120_000,
  );
  const report = (
    await site.events(instance ? `analyzer-${instance}` : 'analyzer', 'analysis_ready')
  ).find((e) => (e.payload as AnalysisReport).job_id === j.job_id);
  return { status, report: report?.payload as AnalysisReport | undefined };
}

test('analyzer - the captioned talk yields a valid report whose candidates follow the captions', async () => {
  const { status, report } = await analyze(job());
  assert.is(status.status, 'DONE');
  assert.ok(report);
  assert.ok(validateContract('AnalysisReport', report).ok);
  assert.ok(validateContract('AnalysisResult', report.result).ok);
  assert.is(report.model.transcript_source, 'srt');
  const cues = fx.manifest.sets.talk!.cues;
  const starts = new Set(cues.map((c) => c.start_ms / 1000));
  const ends = new Set(cues.map((c) => c.end_ms / 1000));
  assert.ok(report.result.clip_candidates.length >= 2);
  for (const c of report.result.clip_candidates) {
    assert.ok(starts.has(c.start_time), `${c.start_time} starts a caption`);
    assert.ok(ends.has(c.end_time), `${c.end_time} ends a caption`);
    assert.ok(c.end_time - c.start_time >= 15 && c.end_time - c.start_time <= 60);
  }
  assert.ok(
    report.result.keywords_detected.includes('bread') || report.result.keywords_detected.length > 0,
  );
  // Features come from the media: the talk is speech at a real loudness, not the floor.
  const f = report.candidate_features[0]?.features ?? {};
  assert.ok((f.loudness_lufs ?? -70) > -50 && (f.words_per_s ?? 0) > 1);
  // The timed transcript is stored beside the media.
  const doc = JSON.parse(readFileSync(await site.store.path(report.transcript_uri), 'utf8'));
  assert.is(doc.segments.length, cues.length);
});

test('analyzer - identical inputs give an identical result', async () => {
  const a = await analyze(job());
  const b = await analyze(job());
  assert.equal(a.report?.result, b.report?.result);
  assert.equal(a.report?.candidate_features, b.report?.candidate_features);
  assert.is(a.report?.transcript_uri, b.report?.transcript_uri);
});

test('analyzer - without captions pocketsphinx transcribes the speech with word timings', async () => {
  const { status, report } = await analyze(
    job({ media_uri: clip, captions_uri: undefined, captions_format: undefined }),
    'sphinx',
  );
  assert.is(status.status, 'DONE', JSON.stringify(status.error));
  assert.is(report?.model.transcript_source, 'pocketsphinx');
  const doc = JSON.parse(readFileSync(await site.store.path(report!.transcript_uri), 'utf8'));
  const words = doc.segments.flatMap((s: { words: unknown[] }) => s.words);
  assert.ok(words.length >= 8, `recognised ${words.length} words`);
  assert.ok(/bakery|small|share/.test(report!.result.transcript), report!.result.transcript);
});

test('analyzer - no captions and no ASR is transcript_missing', async () => {
  const { status } = await analyze(job({ media_uri: clip, captions_uri: undefined }));
  assert.is(status.error?.code, 'transcript_missing');
  assert.is(status.error?.retryable, false);
});

test('analyzer - a configured ASR whose binary is missing is model_offline', async () => {
  const { status } = await analyze(job({ media_uri: clip, captions_uri: undefined }), 'offline');
  assert.is(status.error?.code, 'model_offline');
});

test('analyzer - a stored blob that no longer matches its hash is checksum_mismatch, never read', async () => {
  const copy = `${site.dataDir}/tampered.mp4`;
  writeFileSync(copy, Buffer.concat([readFileSync(fx.files.clip), Buffer.from('tail')]));
  const { uri } = await site.store.put(copy);
  const blob = await site.store.path(uri);
  const bytes = readFileSync(blob);
  bytes[1000] = (bytes[1000] as number) ^ 0xff;
  writeFileSync(blob, bytes);
  const { status, report } = await analyze(job({ media_uri: uri }));
  assert.is(status.error?.code, 'checksum_mismatch');
  assert.is(report, undefined);
  assert.is(
    (await readStream(site.nc, STREAMS.dlq, `omniva.${SITE}.dlq.>`)).length,
    0,
    'not dead-lettered',
  );
});

test.run();
