import type { NatsConnection } from '@nats-io/transport-node';
import type { ActorHost } from './host.ts';
import type { Authority } from './internal/step.ts';
import { Lease } from './lease.ts';
import type { Logger } from './logger.ts';

export interface LeaderHostOptions {
  nc: NatsConnection;
  site: string;
  /** This instance's id: the lease holder and the `issued_by` of its commands. */
  holder: string;
  /** Builds the host (not started) that runs while this instance leads. */
  makeHost: (authority: Authority) => ActorHost;
  log: Logger;
  renewMs?: number;
  pollMs?: number;
}

export interface LeaderHost {
  readonly lease: Lease;
  /** The running host, while this instance leads. */
  current(): ActorHost | undefined;
  stop(): Promise<void>;
}

/**
 * Runs an actor kind only while holding the site's Zenith lease: the host starts when the
 * lease is acquired and stops at once when it is lost (a deposed leader must not finish a
 * step; its unacked work is redelivered to the new leader). Commands carry the epoch.
 */
export async function startLeaderHost(o: LeaderHostOptions): Promise<LeaderHost> {
  let host: ActorHost | undefined;
  let starting: Promise<void> = Promise.resolve();
  const lease: Lease = new Lease({
    nc: o.nc,
    site: o.site,
    holder: o.holder,
    log: o.log,
    ...(o.renewMs ? { renewMs: o.renewMs } : {}),
    ...(o.pollMs ? { pollMs: o.pollMs } : {}),
    onAcquired: (epoch) => {
      o.log.info({ epoch, holder: o.holder }, 'lease acquired; leading');
      const h = o.makeHost({ issuer: o.holder, epoch: () => lease.epoch });
      host = h;
      starting = h.start().catch((err) => o.log.error({ err }, 'leader host failed to start'));
    },
    onLost: (reason, epoch) => {
      o.log.warn({ reason, epoch, holder: o.holder }, 'lease lost; stepping down');
      host?.stop();
      host = undefined;
    },
  });
  await lease.start();
  return {
    lease,
    current: () => host,
    async stop() {
      await starting;
      await host?.drain();
      host = undefined;
      await lease.stop();
    },
  };
}
