import type { WorkerErrorCode } from '../../../protocols/index.ts';
import { mediaWorkerCode } from '../../../runtime/index.ts';

/**
 * A publish failure in the spec's terms (§5.4): a WorkerStatus reason code and whether asking
 * again can help. The effect journal reads `code`, `retryable` and `message` off any thrown
 * error, so this is all the job-worker needs to report it.
 */
export class UploaderError extends Error {
  override readonly name = 'UploaderError';
  readonly code: WorkerErrorCode;
  readonly retryable: boolean;

  constructor(code: WorkerErrorCode, message: string, retryable: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.retryable = retryable;
  }

  static is(error: unknown): error is UploaderError {
    return error instanceof UploaderError;
  }
}

/** The stop signal fired: retryable, so the journal keeps nothing and a restart resumes. */
export function interrupted(): UploaderError {
  return new UploaderError('internal', 'publish interrupted: the worker is stopping', true);
}

/**
 * Any error on the way to a target as an UploaderError: media store errors keep their
 * mapping (a corrupted blob is `checksum_mismatch`), anything unknown is an `internal` error
 * that is retried, since an unexpected fault (a full disk, a race) may well pass.
 */
export function asUploaderError(error: unknown): UploaderError {
  if (UploaderError.is(error)) return error;
  const media = mediaWorkerCode(error);
  const e = error as { message?: unknown; retryable?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  if (media) return new UploaderError(media, message, e.retryable === true, error);
  return new UploaderError('internal', message, true, error);
}
