import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { subjects } from '../../protocols/index.ts';
import { STARDUST_STREAM } from './packet.ts';

export interface LedgerStreamOptions {
  site: string;
  /** 1 on a single server, 3 in a three-server site cluster. */
  replicas?: number;
  /** JetStream duplicate window for `Nats-Msg-Id` (= stardust_id); default 24 h. */
  duplicateWindowMs?: number;
  /**
   * Refuse message deletes and purges at the server (default true). Once set it cannot be
   * turned off; tests that tamper with the ledger provision with `false`.
   */
  denyDelete?: boolean;
}

export const DEFAULT_DUPLICATE_WINDOW_MS = 24 * 3_600_000;

export function stardustStreamConfig(o: LedgerStreamOptions): StreamConfig {
  const deny = o.denyDelete ?? true;
  return {
    name: STARDUST_STREAM,
    subjects: [subjects.stardustAll(o.site)],
    storage: StorageType.File,
    num_replicas: o.replicas ?? 1,
    // A ledger keeps everything: no age, count or size limits that would silently drop history.
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.New,
    max_age: 0,
    max_msgs: -1,
    max_bytes: -1,
    max_msgs_per_subject: -1,
    duplicate_window: (o.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS) * 1e6,
    deny_delete: deny,
    deny_purge: deny,
    allow_rollup_hdrs: false,
  } as StreamConfig;
}

/** Creates the STARDUST stream, or brings an existing one's mutable settings up to date. */
export async function provisionLedger(
  jsm: JetStreamManager,
  o: LedgerStreamOptions,
): Promise<void> {
  const cfg = stardustStreamConfig(o);
  const existing = await jsm.streams.info(STARDUST_STREAM).catch(() => undefined);
  if (!existing) {
    await jsm.streams.add(cfg);
    return;
  }
  // Storage and retention are fixed at creation, and deny_delete/deny_purge can only be
  // tightened: keep what the stream has unless this call tightens it.
  const { retention: _r, storage: _s, name: _n, ...mutable } = cfg;
  mutable.deny_delete = cfg.deny_delete || existing.config.deny_delete;
  mutable.deny_purge = cfg.deny_purge || existing.config.deny_purge;
  await jsm.streams.update(STARDUST_STREAM, mutable);
}
