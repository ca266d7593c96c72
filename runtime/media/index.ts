export {
  type FfmpegSource,
  type FfmpegTools,
  onPath,
  parseFfmpegVersion,
  type ResolveFfmpegOptions,
  resolveFfmpeg,
} from './ffmpeg.ts';
export { isExecutableFile } from './internal/exec.ts';
export { formatMediaUri, isMediaUri, type MediaRef, parseMediaUri } from './media-uri.ts';
export { type MediaInfo, type ProbeOptions, probe } from './probe.ts';
export {
  IMPORT_KIND,
  IMPORT_REFUSED_KIND,
  MEDIA_INBOX_BUCKET,
  type MediaInbox,
  type MediaInboxOptions,
  PROMOTE_KIND,
  type PromoteOptions,
  type PromoteResult,
  promoteMedia,
  provisionMediaInbox,
  startMediaInbox,
} from './promote.ts';
export { type CollectReferencesOptions, collectReferences } from './references.ts';
export {
  DEFAULT_GC_AGE_MS,
  type GcOptions,
  type GcReport,
  type MediaEntry,
  MediaStore,
  type MediaStoreOptions,
  type PutResult,
} from './store.ts';
export { MEDIA_WORKER_CODES, mediaWorkerCode } from './worker-codes.ts';
