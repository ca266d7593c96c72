import type { NatsConnection } from '@nats-io/transport-node';
import { zenithKind } from '../../actors/cognitive/index.ts';
import {
  ActorHost,
  createLogger,
  type LeaderHost,
  type Ledger,
  openLedger,
  provisionEpochs,
  provisionLeases,
  startLeaderHost,
} from '../../runtime/index.ts';
import { startTestServer, type TestServer, waitFor } from './nats.ts';
import { connectSite, FAST_OPTIONS, SITE, silentLog } from './site.ts';

/** A site with what the control spine needs: leases (3 s TTL), epoch records and a ledger. */
export interface ControlSite {
  server: TestServer;
  nc: NatsConnection;
  ledger: Ledger;
  close(): Promise<void>;
}

export async function openControlSite(): Promise<ControlSite> {
  const server = await startTestServer({ domain: SITE });
  const nc = await connectSite(server.url);
  await provisionLeases(nc, { ttlMs: 3_000 });
  await provisionEpochs(nc);
  const ledger = await openLedger(nc, { site: SITE, log: createLogger({ level: 'silent' }) });
  return {
    server,
    nc,
    ledger,
    async close() {
      await ledger.close();
      await nc.close();
      await server.cleanup();
    },
  };
}

export interface RunningZenith {
  leader: LeaderHost;
  host(): ActorHost;
  /** Zenith's latest stored context. */
  view<T>(): Promise<T>;
}

/** Zenith as the lease holder `zenith-1`, placing on `workers`; resolves once it runs. */
export async function startZenith(
  site: Pick<ControlSite, 'nc' | 'ledger'>,
  workers: Record<string, string[]>,
): Promise<RunningZenith> {
  let zenith: ActorHost | undefined;
  const leader = await startLeaderHost({
    nc: site.nc,
    site: SITE,
    holder: 'zenith-1',
    log: silentLog,
    makeHost: (authority) => {
      zenith = new ActorHost(
        {
          nc: site.nc,
          site: SITE,
          hostId: 'zenith-1',
          codec: 'msgpack',
          log: silentLog,
          options: FAST_OPTIONS,
          authority,
          ledger: site.ledger,
        },
        zenithKind({ workers, cycleMs: 30_000 }),
      );
      return zenith;
    },
  });
  await waitFor(() => leader.lease.isLeader() && zenith?.state === 'running');
  const host = () => zenith as ActorHost;
  return { leader, host, view: async <T>() => (await host().inspect()).context as T };
}
