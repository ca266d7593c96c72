import { OmnivaError, type WorkerErrorCode } from '../../../protocols/index.ts';
import { mediaWorkerCode } from '../../../runtime/media/index.ts';

/**
 * A failure a worker reports with one of the spec's reason codes (WorkerStatus.error.code).
 * The effect journal reads `code` and `retryable` off the thrown error, so Eclipse sees the
 * reason and whether a retry can help.
 */
export class WorkerError extends Error {
  readonly code: WorkerErrorCode;
  readonly retryable: boolean;
  readonly detail: Record<string, unknown> | undefined;

  constructor(
    code: WorkerErrorCode,
    message: string,
    opts: { retryable: boolean; detail?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WorkerError';
    this.code = code;
    this.retryable = opts.retryable;
    this.detail = opts.detail;
  }
}

/**
 * Maps whatever a worker's effect threw to a WorkerError: media errors by their table,
 * aborts to `cancelled`, anything unknown to a retryable `internal`.
 */
export function asWorkerError(e: unknown): WorkerError | Error {
  if (e instanceof WorkerError) return e;
  const media = mediaWorkerCode(e);
  if (media && OmnivaError.is(e))
    return new WorkerError(media, e.message, { retryable: e.retryable, cause: e });
  if (OmnivaError.is(e))
    return new WorkerError('internal', `${e.code}: ${e.message}`, {
      retryable: e.retryable,
      cause: e,
    });
  return e instanceof Error ? e : new Error(String(e));
}
