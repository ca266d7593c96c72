import type { ActorKind } from '../../../runtime/index.ts';
import { jobWorkerKind } from '../internal/job-worker.ts';
import { type AnalyzeDeps, analyze } from './analyze.ts';

export interface AnalyzerOptions extends AnalyzeDeps {
  instance: string;
  placed?: boolean;
}

/** The analyzer worker (spec §5.2): an AnalyzeJob in, an AnalysisReport on `evt.analyzer.analysis_ready`. */
export function analyzerKind(opts: AnalyzerOptions): ActorKind {
  const { instance, placed, ...deps } = opts;
  return jobWorkerKind({
    worker: 'analyzer',
    instance,
    ...(placed ? { placed } : {}),
    command: 'AnalyzeJob',
    jobId: (job) => job.job_id,
    run: (job, ctx, progress) => analyze(job, deps, ctx.signal, progress),
    results: (output, job) => [
      {
        channel: 'evt',
        name: 'analysis_ready',
        contract: 'AnalysisReport',
        payload: { job_id: job.job_id, ...(output as object) },
      },
    ],
  });
}
