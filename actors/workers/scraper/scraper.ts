import type { ActorKind } from '../../../runtime/index.ts';
import { jobWorkerKind } from '../internal/job-worker.ts';
import { type IngestDeps, type IngestOutput, ingest } from './ingest.ts';

export interface ScraperOptions extends IngestDeps {
  instance: string;
  placed?: boolean;
}

/**
 * The scraper worker (spec §5.1): a ScraperJob in, for every new source item two packets out
 * — `raw_captured` (the bytes as they arrived) and `video_asset_created` (normalized
 * metadata and a seed AnalysisResult) — then the job's WorkerStatus.
 */
export function scraperKind(opts: ScraperOptions): ActorKind {
  const { instance, placed, ...deps } = opts;
  return jobWorkerKind({
    worker: 'scraper',
    instance,
    ...(placed ? { placed } : {}),
    command: 'ScraperJob',
    jobId: (job) => job.job_id,
    run: (job, ctx, progress) => ingest(job, deps, ctx.signal, progress),
    results: (output) =>
      (output as IngestOutput).assets.flatMap((a) => {
        const {
          metadata,
          title,
          published_at,
          captions_format,
          source,
          size_bytes,
          captured_at,
          ...ids
        } = a;
        const captions = a.captions_uri ? { captions_uri: a.captions_uri } : {};
        return [
          {
            channel: 'evt' as const,
            name: 'raw_captured',
            contract: 'MediaCaptured' as const,
            payload: {
              job_id: a.job_id,
              video_id: a.video_id,
              source,
              source_item: a.source_item,
              media_uri: a.media_uri,
              ...captions,
              size_bytes,
              captured_at,
            },
          },
          {
            channel: 'evt' as const,
            name: 'video_asset_created',
            contract: 'VideoAssetCreated' as const,
            payload: {
              ...ids,
              ...(title ? { title } : {}),
              ...(published_at ? { published_at } : {}),
              ...(captions_format ? { captions_format } : {}),
              metadata,
              analysis_stub: {
                video_id: a.video_id,
                transcript: '',
                keywords_detected: [],
                virality_score: 0,
                relevance_score: 0,
                clip_candidates: [],
              },
            },
          },
        ];
      }),
  });
}
