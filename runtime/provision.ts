import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { subjects } from '../protocols/index.ts';
import { provisionMediaInbox } from './media/promote.ts';
import { provisionOpsNonces } from './ops-nonces.ts';

/** Stream and bucket names. Each site is its own JetStream domain, so names repeat per site. */
export const STREAMS = { cmd: 'OMNIVA_CMD', evt: 'OMNIVA_EVT', dlq: 'OMNIVA_DLQ' } as const;
export const BUCKETS = { snapshots: 'OMNIVA_SNAPSHOTS', effects: 'OMNIVA_EFFECTS' } as const;

export interface ProvisionOptions {
  site: string;
  replicas?: number;
  duplicateWindowMs: number;
  effectsTtlMs: number;
}

const DAY_NS = 86_400 * 1e9;
const ms = (n: number) => n * 1e6;

/** The site's streams, defined once here. */
export function siteStreams(o: ProvisionOptions): (Partial<StreamConfig> & { name: string })[] {
  const base = {
    storage: StorageType.File,
    num_replicas: o.replicas ?? 1,
    duplicate_window: ms(o.duplicateWindowMs),
  };
  return [
    // Commands are work: each message is removed once a worker acks it.
    {
      ...base,
      name: STREAMS.cmd,
      subjects: [subjects.cmdAll(o.site)],
      retention: RetentionPolicy.Workqueue,
      discard: DiscardPolicy.New,
    },
    {
      ...base,
      name: STREAMS.evt,
      // Heartbeats too, so Eclipse reads liveness from the same stream as everything else.
      subjects: [
        subjects.evtAll(o.site),
        subjects.advAll(o.site),
        subjects.alertAll(o.site),
        subjects.hbAll(o.site),
      ],
      retention: RetentionPolicy.Limits,
      max_age: 30 * DAY_NS,
    },
    {
      ...base,
      name: STREAMS.dlq,
      subjects: [subjects.dlqAll(o.site)],
      retention: RetentionPolicy.Limits,
      max_age: 30 * DAY_NS,
    },
  ];
}

/** Creates or updates the site's streams and KV buckets. Safe to call on every start. */
export async function provisionSite(
  nc: NatsConnection,
  jsm: JetStreamManager,
  o: ProvisionOptions,
): Promise<void> {
  for (const cfg of siteStreams(o)) {
    const existing = await jsm.streams.info(cfg.name).catch(() => undefined);
    if (existing) {
      // Retention and storage cannot change on an existing stream; the rest is brought up to date.
      const { retention: _r, storage: _s, name: _n, ...mutable } = cfg;
      await jsm.streams.update(cfg.name, mutable);
    } else {
      await jsm.streams.add(cfg);
    }
  }
  const kvm = new Kvm(nc);
  await kvm.create(BUCKETS.snapshots, { history: 1, replicas: o.replicas ?? 1 });
  await kvm.create(BUCKETS.effects, { history: 1, replicas: o.replicas ?? 1, ttl: o.effectsTtlMs });
  await provisionMediaInbox(nc, o.replicas ?? 1);
  await provisionOpsNonces(nc, { replicas: o.replicas ?? 1 });
}
