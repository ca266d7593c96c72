import type { Violation } from './validate.ts';

interface ErrorSpec {
  readonly retryable: boolean;
  readonly description: string;
}

/**
 * The stable error codes. Codes travel over the wire (the `Omniva-Error-Code` header, DLQ
 * records), so a code is never renamed or reused; `retryable` decides nak-with-backoff versus
 * terminate.
 */
export const ERRORS = {
  OMNIVA_ERR_DECODE: { retryable: false, description: 'message body could not be decoded' },
  OMNIVA_ERR_SCHEMA_INVALID: {
    retryable: false,
    description: 'message does not conform to its contract',
  },
  OMNIVA_ERR_VERSION_UNSUPPORTED: {
    retryable: false,
    description: 'schema_version has a major version the receiver does not accept',
  },
  OMNIVA_ERR_UNKNOWN_TYPE: {
    retryable: false,
    description: 'message type is unknown or not accepted by the actor',
  },
  OMNIVA_ERR_SUBJECT_TOKEN: { retryable: false, description: 'invalid NATS subject token' },
  OMNIVA_ERR_EMIT_INVALID: { retryable: false, description: 'an actor emitted an invalid message' },
  OMNIVA_ERR_ACTOR_FAILED: { retryable: true, description: 'the actor machine threw' },
  OMNIVA_ERR_EFFECT_FAILED: { retryable: true, description: 'a side effect failed' },
  OMNIVA_ERR_SNAPSHOT_CONFLICT: {
    retryable: true,
    description: 'snapshot was updated concurrently (revision mismatch)',
  },
  OMNIVA_ERR_SNAPSHOT_INCOMPATIBLE: {
    retryable: false,
    description: 'stored snapshot cannot be restored by this machine version',
  },
  OMNIVA_ERR_MAX_DELIVER: {
    retryable: false,
    description: 'gave up after the maximum number of deliveries',
  },
  OMNIVA_ERR_RESTART_BUDGET: {
    retryable: false,
    description: 'actor exceeded its restart budget and was escalated',
  },
  OMNIVA_ERR_NATS_SERVER_MISSING: {
    retryable: false,
    description: 'nats-server executable not found',
  },
  OMNIVA_ERR_NATS_SERVER_TOO_OLD: {
    retryable: false,
    description: 'nats-server is older than the supported minimum',
  },
  OMNIVA_ERR_NATS_SERVER_START: { retryable: false, description: 'nats-server failed to start' },
  OMNIVA_ERR_CONFIG_INVALID: { retryable: false, description: 'configuration is invalid' },
  OMNIVA_ERR_GRANT_INVALID: {
    retryable: false,
    description: 'a publish grant is malformed, from an untrusted issuer or badly signed',
  },
  OMNIVA_ERR_GRANT_EXPIRED: { retryable: false, description: 'a publish grant has expired' },
  OMNIVA_ERR_GRANT_SCOPE: {
    retryable: false,
    description: 'a publish grant is for another audience, clip or site',
  },
  OMNIVA_ERR_SECRET_MISSING: {
    retryable: false,
    description: 'a secret reference (env:NAME or file:/path) cannot be resolved',
  },
  OMNIVA_ERR_TIMEOUT: { retryable: true, description: 'operation timed out' },
  OMNIVA_ERR_PUBLISH_FAILED: {
    retryable: true,
    description: 'JetStream refused a publish (no stream, no leader, limits)',
  },
  OMNIVA_ERR_STALE_EPOCH: {
    retryable: false,
    description: 'command carries a lease epoch older than the newest the receiver has seen',
  },
  OMNIVA_ERR_NOT_LEADER: {
    retryable: false,
    description: 'this instance does not hold the lease (never acquired, lost or expired)',
  },
  OMNIVA_ERR_FENCING_UNAVAILABLE: {
    retryable: true,
    description: 'the newest seen epoch could not be read or recorded',
  },
  OMNIVA_ERR_STARDUST_INVALID: {
    retryable: false,
    description: 'a Stardust packet does not conform to its schema or is too large',
  },
  OMNIVA_ERR_STARDUST_UNKNOWN_PARENT: {
    retryable: false,
    description: 'a Stardust packet names parents the ledger does not hold',
  },
  OMNIVA_ERR_STARDUST_CONFLICT: {
    retryable: true,
    description: 'a Stardust append kept losing the race for the chain head to other writers',
  },
  OMNIVA_ERR_STARDUST_CORRUPT: {
    retryable: false,
    description: 'the ledger holds a message that is not a valid packet, or the chain is broken',
  },
  OMNIVA_ERR_STARDUST_UNAVAILABLE: {
    retryable: true,
    description: 'the ledger stream could not be reached or the ledger is closed',
  },
  OMNIVA_ERR_FFMPEG_MISSING: {
    retryable: false,
    description: 'ffmpeg or ffprobe executable not found or not runnable',
  },
  OMNIVA_ERR_MEDIA_CORRUPT: {
    retryable: false,
    description: 'a file is not readable media (ffprobe rejected it)',
  },
  OMNIVA_ERR_CHECKSUM_MISMATCH: {
    retryable: false,
    description: 'a stored media file no longer matches its sha256; it was quarantined',
  },
  OMNIVA_ERR_MEDIA_MISSING: {
    retryable: false,
    description: 'a media file does not exist (no store entry for the URI, or no file at the path)',
  },
  OMNIVA_ERR_MEDIA_URI: {
    retryable: false,
    description: 'a media URI is malformed or names another site',
  },
  OMNIVA_ERR_SITE_NOT_PROVISIONED: {
    retryable: true,
    description:
      "the site's streams do not exist and this process may not create them (its zenith does)",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as readonly ErrorCode[];

export interface OmnivaErrorInfo {
  readonly violations?: readonly Violation[];
  readonly [key: string]: unknown;
}

export interface OmnivaErrorOptions {
  /** Overrides the code's default from {@link ERRORS}. */
  retryable?: boolean;
  cause?: unknown;
}

export class OmnivaError extends Error {
  override readonly name = 'OmnivaError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /**
   * Structured facts about the failure (violations, the file, the reason). Named like Node's
   * `SystemError.info`: test runners and loggers read a `details` property as a string.
   */
  readonly info?: OmnivaErrorInfo;

  constructor(
    code: ErrorCode,
    message: string,
    info?: OmnivaErrorInfo,
    options: OmnivaErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? ERRORS[code].retryable;
    this.info = info;
  }

  static is(error: unknown, code?: ErrorCode): error is OmnivaError {
    return error instanceof OmnivaError && (code === undefined || error.code === code);
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}
