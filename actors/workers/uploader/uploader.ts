import { join } from 'node:path';
import type { PublishOrder, PublishReceipt } from '../../../protocols/index.ts';
import {
  type ActorKind,
  type EffectContext,
  type EffectHandler,
  GrantError,
  type MediaStore,
  parseMediaUri,
  verifyGrant,
} from '../../../runtime/index.ts';
import { jobWorkerKind } from '../internal/job-worker.ts';
import { asUploaderError, interrupted, UploaderError } from './errors.ts';
import { LocalTarget } from './local-target.ts';
import type { PublishTarget, PublishTargetName } from './targets.ts';

export const UPLOADER = 'uploader';

export interface UploaderOptions {
  instance: string;
  /** Read only `cmd.uploader.<instance>` (Zenith places the job on this host). */
  placed?: boolean;
  store: MediaStore;
  /** The site's data directory: the default local target publishes into `<dataDir>/published`. */
  dataDir: string;
  /** Configured targets; `local` defaults to the folder above, others must be given. */
  targets?: Partial<Record<PublishTargetName, PublishTarget>>;
  /** Zenith's grant-signing public keys (nkeys). */
  trustedKeys: readonly string[];
  /** The clock for grant expiry, for tests. */
  now?: () => number;
}

/** Progress messages: one per tenth of the work at most, so a long upload does not flood evt. */
const PROGRESS_STEP = 0.1;

/**
 * The Uploader worker (spec §5.4): a PublishOrder becomes one publish effect. Nothing is read
 * or sent before the order's grant checks out: signed by a trusted Zenith key, unexpired, for
 * the uploader, this clip and this site. Media is resolved through the store (so a corrupted
 * clip is `checksum_mismatch`, never published), then the target publishes idempotently.
 */
export function uploaderKind(o: UploaderOptions): ActorKind {
  const targets: Partial<Record<PublishTargetName, PublishTarget>> = {
    local: new LocalTarget({ dir: join(o.dataDir, 'published') }),
    ...o.targets,
  };
  const run: EffectHandler = async (input, ctx) => publishOrder(input as PublishOrder, ctx);

  async function publishOrder(order: PublishOrder, ctx: EffectContext): Promise<PublishReceipt> {
    const { job } = order;
    authorize(order, ctx.site);
    const target = targets[order.target];
    if (!target) {
      throw new UploaderError('bad_command', `no "${order.target}" target is configured`, false);
    }
    if (ctx.signal.aborted) throw interrupted();
    try {
      const clipPath = await o.store.path(order.clip_uri);
      const thumb = order.thumbnail_uri;
      const thumbnailPath = thumb ? await o.store.path(thumb) : undefined;
      const result = await target.publish({
        job,
        clipPath,
        clipSha256: parseMediaUri(order.clip_uri).sha256,
        ...(thumb && thumbnailPath
          ? { thumbnailPath, thumbnailSha256: parseMediaUri(thumb).sha256 }
          : {}),
        key: job.clip_id,
        signal: ctx.signal,
        progress: progressReporter(ctx, job.clip_id),
      });
      return {
        clip_id: job.clip_id,
        target: order.target,
        status: result.status,
        platform_id: result.platform_id,
        scheduled_time: job.scheduled_time,
        ...(result.url ? { url: result.url } : {}),
        ...(result.yt_video_id ? { yt_video_id: result.yt_video_id } : {}),
      };
    } catch (error) {
      throw asUploaderError(error);
    }
  }

  function authorize(order: PublishOrder, site: string): void {
    try {
      verifyGrant(order.authorization, {
        trusted: o.trustedKeys,
        aud: UPLOADER,
        sub: order.job.clip_id,
        site,
        now: (o.now ?? Date.now)(),
      });
    } catch (error) {
      if (!GrantError.is(error)) throw error;
      // The reason, not the token: a grant is a bearer credential until it expires.
      const msg = `publish refused: ${error.message} (${error.info.reason})`;
      throw new UploaderError('auth_failed', msg, false);
    }
  }

  function progressReporter(ctx: EffectContext, clipId: string) {
    let last = 0;
    return (fraction: number, detail?: string) => {
      const progress = Math.min(1, Math.max(0, fraction));
      if (progress - last < PROGRESS_STEP && progress < 1) return;
      last = progress;
      ctx.report('status', 'WorkerStatus', {
        job_id: clipId,
        worker: UPLOADER,
        instance_id: o.instance,
        status: 'RUNNING',
        progress,
        ...(detail ? { detail: detail.slice(0, 2000) } : {}),
        updated_at: new Date((o.now ?? Date.now)()).toISOString(),
      });
    };
  }

  return jobWorkerKind({
    worker: UPLOADER,
    instance: o.instance,
    ...(o.placed ? { placed: true } : {}),
    command: 'PublishOrder',
    jobId: (p) => p.job.clip_id,
    run,
    results: (output) => [
      { channel: 'evt', name: 'published', contract: 'PublishReceipt', payload: output },
    ],
  });
}
