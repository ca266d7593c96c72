import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalysisReport, AnalyzeJob } from '../../../protocols/index.ts';
import { type FfmpegTools, type MediaStore, probe } from '../../../runtime/media/index.ts';
import type { Progress } from '../internal/job-worker.ts';
import { asWorkerError, WorkerError } from '../internal/worker-error.ts';
import { type AsrBackend, type AsrOptions, recognise } from './asr.ts';
import { type CandidateOptions, selectCandidates } from './candidates.ts';
import { measure } from './features.ts';
import { fromCaptions, fromWords, type Transcript, toSentences } from './transcript.ts';

/** Bump when a change here changes the candidates for the same inputs (recorded per report). */
export const ANALYZER_VERSION = '1.0.0';

export interface AnalyzeDeps {
  store: MediaStore;
  tools: FfmpegTools;
  dataDir: string;
  /** The configured ASR backend, used when a job has no captions (or asks for ASR). */
  asr?: AsrBackend;
  asrOptions: AsrOptions;
  candidates: CandidateOptions;
}

/**
 * The analyzer's effect (spec §5.2): transcript (captions, else ASR), loudness, silences and
 * scene cuts from one ffmpeg pass, candidates on sentence boundaries, and the timed
 * transcript stored beside the media for the editor's captions.
 */
export async function analyze(
  job: AnalyzeJob,
  deps: AnalyzeDeps,
  signal: AbortSignal,
  progress: Progress,
): Promise<Omit<AnalysisReport, 'job_id'>> {
  const workDir = join(deps.dataDir, 'analyzer', 'work');
  await mkdir(workDir, { recursive: true });
  try {
    const file = await deps.store.path(job.media_uri);
    const info = await probe(file, { tools: deps.tools });
    if (!info.has_audio)
      throw new WorkerError(
        'transcript_missing',
        'the video has no audio track to transcribe or measure',
        {
          retryable: false,
        },
      );
    const transcript = await transcriptOf(
      job,
      deps,
      file,
      info.duration_s,
      workDir,
      signal,
      progress,
    );
    progress(0.5, 'measuring loudness, silences and scene cuts');
    const media = await measure(deps.tools, file, info.width !== null, signal, (t) =>
      progress(0.5 + 0.45 * Math.min(1, t / info.duration_s), `measured ${Math.round(t)} s`),
    );
    const sentences = toSentences(transcript.segments);
    const set = selectCandidates(sentences, media, deps.candidates);
    const stored = await storeJson(deps.store, workDir, transcript);
    return {
      result: {
        video_id: job.video_id,
        transcript: sentences.map((s) => s.text).join(' '),
        keywords_detected: set.keywords,
        virality_score: set.virality_score,
        relevance_score: set.relevance_score,
        clip_candidates: set.candidates,
      },
      candidate_features: set.explained,
      transcript_uri: stored,
      model: {
        transcript_source: transcript.source,
        analyzer_version: ANALYZER_VERSION,
        ffmpeg_version: deps.tools.version,
      },
    };
  } catch (e) {
    throw asWorkerError(e);
  }
}

async function transcriptOf(
  job: AnalyzeJob,
  deps: AnalyzeDeps,
  file: string,
  duration: number,
  workDir: string,
  signal: AbortSignal,
  progress: Progress,
): Promise<Transcript> {
  const wantsAsr = job.asr === 'pocketsphinx' || job.asr === 'whisper';
  if (job.captions_uri && !wantsAsr) {
    const text = await readFile(await deps.store.path(job.captions_uri), 'utf8');
    const segments = fromCaptions(text);
    if (segments.length === 0)
      throw new WorkerError('transcript_missing', 'the captions hold no timed text', {
        retryable: false,
      });
    return { source: job.captions_format ?? 'srt', segments };
  }
  if (job.asr === 'captions')
    throw new WorkerError(
      'transcript_missing',
      'the job asks for captions and the asset has none',
      {
        retryable: false,
      },
    );
  const backend = deps.asr;
  if (!backend || (wantsAsr && backend.kind !== job.asr))
    throw new WorkerError(
      wantsAsr ? 'model_offline' : 'transcript_missing',
      wantsAsr
        ? `the job asks for ${job.asr}, which is not configured here`
        : 'no captions and no ASR backend configured (analyzer.asr)',
      { retryable: false },
    );
  const words = await recognise(
    backend,
    deps.tools,
    file,
    duration,
    { ...deps.asrOptions, workDir },
    signal,
    (d, n) => progress(0.5 * (d / n), `recognised ${d} of ${n} chunks`),
  );
  return { source: backend.kind, segments: fromWords(words) };
}

async function storeJson(store: MediaStore, dir: string, doc: unknown): Promise<string> {
  const file = join(dir, `transcript-${process.pid}-${Date.now()}.json`);
  await writeFile(file, JSON.stringify(doc));
  try {
    return (await store.put(file)).uri;
  } finally {
    await rm(file, { force: true });
  }
}
