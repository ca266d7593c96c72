import type { NatsConnection } from '@nats-io/transport-node';
import type { Codec } from '../protocols/index.ts';
import type { EpochGuard } from './fencing.ts';
import type { Authority } from './internal/step.ts';
import type { Logger } from './logger.ts';
import type { Ledger } from './stardust/index.ts';

/** The runtime section of the configuration, as the host needs it. */
export interface HostOptions {
  ack_wait_ms: number;
  max_deliver: number;
  backoff_ms: readonly number[];
  max_in_flight: number;
  dedupe_window: number;
  restart_intensity: number;
  restart_period_ms: number;
  escalation_pause_ms: number;
  drain_timeout_ms: number;
  /** How often stored deadlines are re-read, so a timer armed by a host that died still fires. */
  timer_rescan_ms?: number;
  /** Heartbeat period on omniva.<site>.hb.<host>; 0 turns heartbeats off. */
  heartbeat_ms?: number;
}

/** Seams where tests inject faults (a crash just before the ack, for instance). */
export interface HostHooks {
  beforeAck?: (info: { msg_id: string; key: string }) => void | Promise<void>;
}

export interface HostDeps {
  nc: NatsConnection;
  site: string;
  hostId: string;
  codec: Codec;
  log: Logger;
  options: HostOptions;
  hooks?: HostHooks;
  now?: () => number;
  /** Lets the kind issue commands: Zenith's lease epoch and instance id. */
  authority?: Authority;
  /** Refuses commands from a deposed Zenith (design §5); commands must then carry a stamp. */
  fencing?: EpochGuard;
  /** The site's Stardust ledger: every message the actor publishes is recorded there first. */
  ledger?: Ledger;
}

/** Counters since the host started. */
export interface HostStats {
  processed: number;
  /** Redeliveries recognised by message id and acked without processing again. */
  duplicates: number;
  dead_lettered: number;
  crashes: number;
  /** Snapshot writes that lost a revision race to another host and were redone. */
  conflicts: number;
  timers_fired: number;
  /** Snapshot writes; fewer than messages when several share a write (group commit). */
  writes: number;
}

export function emptyStats(): HostStats {
  return {
    processed: 0,
    duplicates: 0,
    dead_lettered: 0,
    crashes: 0,
    conflicts: 0,
    timers_fired: 0,
    writes: 0,
  };
}
