import type { PublishOrder, UploadJob } from '../../../protocols/index.ts';

export type PublishTargetName = PublishOrder['target'];

export interface PublishInput {
  job: UploadJob;
  /** Verified local paths from the media store, and the clip's content hash. */
  clipPath: string;
  clipSha256: string;
  thumbnailPath?: string;
  thumbnailSha256?: string;
  /**
   * The publication's idempotency key: the same for every retry and redelivery of one clip.
   * (The effect's own key changes per attempt, and a retry must still find the first upload.)
   */
  key: string;
  signal: AbortSignal;
  /** Fraction done in [0, 1], with an optional human note. */
  progress: (fraction: number, detail?: string) => void;
}

export interface PublishResult {
  platform_id: string;
  status: 'SCHEDULED' | 'LIVE';
  url?: string;
  yt_video_id?: string;
}

/**
 * A place clips are published to. `publish` must be idempotent per `key`: called again after
 * a success, or after a crash part-way, it completes the one publication and returns the
 * same `platform_id`, never a second copy.
 */
export interface PublishTarget {
  readonly name: PublishTargetName;
  publish(input: PublishInput): Promise<PublishResult>;
}

/** A path segment that cannot climb out of a target's folder. */
export const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
