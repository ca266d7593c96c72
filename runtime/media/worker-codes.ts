import { type ErrorCode, OmnivaError, type WorkerErrorCode } from '../../protocols/index.ts';

/**
 * The spec's worker failure reason (`WorkerStatus.error.code`) for each media error, so a
 * worker reports what Eclipse expects: a corrupted stored blob is `checksum_mismatch`, an
 * input that is not media is `media_corrupt`, and a reference that cannot be resolved here is
 * a deterministic `bad_command` (retrying the same command cannot find it).
 */
export const MEDIA_WORKER_CODES = {
  OMNIVA_ERR_CHECKSUM_MISMATCH: 'checksum_mismatch',
  OMNIVA_ERR_MEDIA_CORRUPT: 'media_corrupt',
  OMNIVA_ERR_MEDIA_MISSING: 'bad_command',
  OMNIVA_ERR_MEDIA_URI: 'bad_command',
  OMNIVA_ERR_FFMPEG_MISSING: 'internal',
} as const satisfies Partial<Record<ErrorCode, WorkerErrorCode>>;

/** The worker reason code for a media error, or undefined when the error is not one. */
export function mediaWorkerCode(error: unknown): WorkerErrorCode | undefined {
  if (!OmnivaError.is(error)) return undefined;
  return (MEDIA_WORKER_CODES as Partial<Record<ErrorCode, WorkerErrorCode>>)[error.code];
}
