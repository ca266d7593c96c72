export {
  CANCELLED,
  type JobResults,
  type JobWorkerSpec,
  jobWorkerKind,
  workerCode,
} from './internal/job-worker.ts';
