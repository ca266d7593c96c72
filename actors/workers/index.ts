export { type AnalyzerOptions, analyzerKind } from './analyzer/index.ts';
export { type EditorOptions, editorKind } from './editor/index.ts';
export {
  CANCELLED,
  type JobResults,
  type JobWorkerSpec,
  jobWorkerKind,
  type Progress,
  workerCode,
} from './internal/job-worker.ts';
export { asWorkerError, WorkerError } from './internal/worker-error.ts';
export { type SchedulerOptions, type SchedulerRules, schedulerKind } from './scheduler/index.ts';
export { type ScraperOptions, scraperKind } from './scraper/scraper.ts';
export { findYtDlp, isPlatformUrl, YTDLP_HINT } from './scraper/ytdlp.ts';
export {
  LocalTarget,
  type PublishTarget,
  UploaderError,
  type UploaderOptions,
  uploaderKind,
  YoutubeTarget,
  type YoutubeTargetOptions,
} from './uploader/index.ts';
