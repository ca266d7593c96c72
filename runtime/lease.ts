import { JetStreamApiCodes } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { OmnivaError, SITE_ID_PATTERN, TOKEN_PATTERN } from '../protocols/index.ts';
import type { Logger } from './logger.ts';

/** One key per (site, authority); the bucket's TTL is the lease TTL. */
export const LEASE_BUCKET = 'OMNIVA_LEASES';
/** 3 s: a dead leader is replaced in 2–3.3 s while a renewal is due only once a second. */
export const DEFAULT_LEASE_TTL_MS = 3_000;

export interface LeaseBucketOptions {
  ttlMs?: number;
  replicas?: number;
}

/**
 * Creates the lease bucket, or checks an existing one. Keys expire `ttlMs` after their last
 * write (the stream's max_age), which is what removes a dead leader's lease. The TTL of an
 * existing bucket is never changed here: a leader started under a longer TTL would still
 * believe in its lease after a shorter one expired it.
 */
export async function provisionLeases(nc: NatsConnection, o: LeaseBucketOptions = {}): Promise<KV> {
  const ttl = o.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const kv = await new Kvm(nc).create(LEASE_BUCKET, {
    ttl,
    history: 1,
    replicas: o.replicas ?? 1,
  });
  const have = (await kv.status()).ttl;
  if (have !== ttl) {
    throw new OmnivaError(
      'OMNIVA_ERR_CONFIG_INVALID',
      `lease bucket ${LEASE_BUCKET} exists with a TTL of ${have} ms, not ${ttl} ms; stop every lease holder before changing it (update the stream's max_age), and never delete the bucket: epochs are its revisions`,
      { bucket: LEASE_BUCKET, have_ms: have, want_ms: ttl },
    );
  }
  return kv;
}

/** Why leadership ended. */
export type LeaseLostReason =
  /** No renewal succeeded within TTL − margin by this process's own clock. */
  | 'expired'
  /** A renewal was refused: the key's revision is no longer ours. */
  | 'superseded'
  /** `stop()` released it. */
  | 'stopped';

export interface LeaseOptions {
  nc: NatsConnection;
  site: string;
  /** Which authority the lease grants; one holder per (site, name). */
  name?: string;
  /** This instance's id, recorded in the lease value and in commands' `issued_by`. */
  holder: string;
  /** How often the leader renews; default TTL/3. */
  renewMs?: number;
  /** The leader steps down this long before the key could expire; default TTL/6. */
  marginMs?: number;
  /** How often a standby tries to acquire; default min(250, TTL/6). */
  pollMs?: number;
  log?: Logger;
  onAcquired?: (epoch: number) => void;
  onLost?: (reason: LeaseLostReason, epoch: number) => void;
}

/** What a lease key holds. `epoch` is null in the first write: it is that write's revision. */
export interface LeaseRecord {
  holder: string;
  epoch: number | null;
  renewed_at: string;
}

export type LeaseState = 'idle' | 'standby' | 'leader' | 'stopped';

const SITE = new RegExp(SITE_ID_PATTERN);
const TOKEN = new RegExp(TOKEN_PATTERN);

export function leaseKey(site: string, name = 'zenith'): string {
  if (!SITE.test(site) || !TOKEN.test(name)) {
    throw new OmnivaError(
      'OMNIVA_ERR_SUBJECT_TOKEN',
      `invalid lease key parts site=${JSON.stringify(site)} name=${JSON.stringify(name)}`,
    );
  }
  return `${site}.${name}`;
}

/** The epoch a lease entry stands for: the revision of the write that acquired it. */
export function leaseEpoch(record: LeaseRecord, revision: number): number {
  return record.epoch ?? revision;
}

export function isWrongRevision(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return (
    code === JetStreamApiCodes.StreamWrongLastSequence ||
    code === JetStreamApiCodes.StreamWrongLastSequenceUnknown
  );
}

const now = () => performance.now();

/**
 * A leader lease with a fencing epoch (design §5). Acquire is `kv.create` (fails if the key
 * exists), renew is `kv.update` on our last revision, and the epoch is the revision at
 * acquisition — the bucket's sequence only grows, so a later leader always has a higher epoch.
 *
 * Leadership is judged by this process's monotonic clock, not by the server: the leader counts
 * itself leader only until `TTL − margin` after it *sent* its last successful renewal, which
 * the server stored later still, so it steps down before any standby can acquire. A process
 * that was paused (GC, SIGSTOP) wakes with that deadline passed and learns it lost before it
 * can act; what it sent just before the pause is for the receivers' EpochGuard to refuse.
 */
export class Lease {
  readonly key: string;
  readonly #o: LeaseOptions;
  #kv: KV | undefined;
  #state: LeaseState = 'idle';
  #ttlMs = 0;
  #renewMs = 0;
  #marginMs = 0;
  #pollMs = 0;
  #epoch = 0;
  /** Our last write to the key; 0 when we hold nothing. */
  #revision = 0;
  #validUntil = 0;
  #lastSent = 0;
  /** Bumped whenever leadership starts or ends, so late replies cannot revive it. */
  #term = 0;
  #stepDown: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(o: LeaseOptions) {
    this.#o = o;
    this.key = leaseKey(o.site, o.name);
    if (!TOKEN.test(o.holder)) {
      throw new OmnivaError(
        'OMNIVA_ERR_CONFIG_INVALID',
        `lease holder ${JSON.stringify(o.holder)} must match ${TOKEN_PATTERN}`,
      );
    }
  }

  get state(): LeaseState {
    this.#checkClock();
    return this.#state;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** The epoch while leader (by this process's clock), otherwise undefined. */
  get epoch(): number | undefined {
    this.#checkClock();
    return this.#state === 'leader' ? this.#epoch : undefined;
  }

  isLeader(): boolean {
    return this.epoch !== undefined;
  }

  /** The epoch to stamp on a command; throws OMNIVA_ERR_NOT_LEADER when not leader. */
  assertLeader(): number {
    const epoch = this.epoch;
    if (epoch === undefined) {
      throw new OmnivaError(
        'OMNIVA_ERR_NOT_LEADER',
        `${this.#o.holder} does not hold lease ${this.key}`,
        {
          key: this.key,
          state: this.#state,
        },
      );
    }
    return epoch;
  }

  /** Opens the bucket (it must exist: see provisionLeases) and starts competing for the key. */
  async start(): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#kv = await new Kvm(this.#o.nc).open(LEASE_BUCKET);
    this.#ttlMs = (await this.#kv.status()).ttl;
    if (!(this.#ttlMs > 0)) {
      throw new OmnivaError(
        'OMNIVA_ERR_CONFIG_INVALID',
        `lease bucket ${LEASE_BUCKET} has no TTL, so a dead leader would never be replaced`,
      );
    }
    const ttl = this.#ttlMs;
    this.#renewMs = this.#o.renewMs ?? Math.floor(ttl / 3);
    this.#marginMs = this.#o.marginMs ?? Math.floor(ttl / 6);
    this.#pollMs = this.#o.pollMs ?? Math.min(250, Math.floor(ttl / 6));
    if (this.#marginMs <= 0 || this.#renewMs <= 0 || this.#renewMs >= ttl - this.#marginMs) {
      throw new OmnivaError(
        'OMNIVA_ERR_CONFIG_INVALID',
        `lease timing needs 0 < renewMs (${this.#renewMs}) < TTL (${ttl}) − marginMs (${this.#marginMs})`,
      );
    }
    this.#state = 'standby';
    this.#loop = this.#run();
  }

  /** Stops competing and releases the key if it is still ours (revision-checked delete). */
  async stop(): Promise<void> {
    if (this.#state === 'idle' || this.#state === 'stopped') {
      this.#state = 'stopped';
      return;
    }
    this.#checkClock(); // a lease that already ran out is reported as expired, not stopped
    const wasLeader = this.#state === 'leader';
    const epoch = this.#epoch;
    this.#state = 'stopped';
    this.#term++;
    clearTimeout(this.#stepDown);
    this.#wake?.();
    await this.#loop;
    await this.#release();
    if (wasLeader) this.#o.onLost?.('stopped', epoch);
  }

  async #run(): Promise<void> {
    while (this.#state !== 'stopped' && !this.#o.nc.isClosed()) {
      let failed = false;
      try {
        if (this.#state === 'leader') await this.#renew();
        else await this.#tryAcquire();
      } catch (e) {
        failed = true;
        this.#o.log?.warn({ err: e, key: this.key }, 'lease round failed');
      }
      if (this.#stopped()) return;
      // A failed renewal is retried at the standby's pace rather than at once, so a server
      // that is down is not hammered while the step-down timer runs out.
      const delay =
        this.#state === 'leader' && !failed
          ? Math.max(0, this.#lastSent + this.#renewMs - now())
          : this.#pollMs;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  // A method, not an inline comparison: the state changes across awaits, which narrowing misses.
  #stopped(): boolean {
    return this.#state === 'stopped';
  }

  #record(epoch: number | null): LeaseRecord {
    return { holder: this.#o.holder, epoch, renewed_at: new Date().toISOString() };
  }

  async #tryAcquire(): Promise<void> {
    const kv = this.#kv as KV;
    // A key we wrote but stopped trusting (stepped down by the clock) still blocks everyone
    // until it expires; deleting it on its revision hands over at once, and fails harmlessly
    // if someone else has written since.
    if (this.#revision > 0) await this.#release();
    const sent = now();
    let revision: number;
    try {
      revision = await kv.create(this.key, JSON.stringify(this.#record(null)));
    } catch (e) {
      if (isWrongRevision(e)) return; // held by someone else
      throw e;
    }
    if (this.#stopped()) {
      this.#revision = revision;
      return; // stop() releases it
    }
    this.#revision = revision;
    if (now() >= sent + this.#ttlMs - this.#marginMs) {
      // The create took so long that the lease may already be gone from our point of view.
      await this.#release();
      return;
    }
    this.#term++;
    this.#state = 'leader';
    this.#epoch = revision;
    this.#accept(sent);
    this.#o.log?.info({ key: this.key, epoch: revision, holder: this.#o.holder }, 'lease acquired');
    this.#o.onAcquired?.(revision);
  }

  async #renew(): Promise<void> {
    const kv = this.#kv as KV;
    const sent = now();
    if (this.#checkClock()) return;
    const term = this.#term;
    let revision: number;
    try {
      revision = await kv.update(
        this.key,
        JSON.stringify(this.#record(this.#epoch)),
        this.#revision,
        Math.max(1, Math.floor(this.#validUntil - sent)),
      );
    } catch (e) {
      if (term !== this.#term) return;
      if (isWrongRevision(e)) {
        if (await this.#adoptOwnWrite(term)) return; // the loop renews again at once
        this.#revision = 0; // not ours: nothing to release
        this.#lose('superseded');
        return;
      }
      throw e; // transient; the step-down timer ends leadership if this persists
    }
    if (term !== this.#term) {
      // Leadership ended while the write was in flight; it still landed, so give it back.
      this.#revision = revision;
      return;
    }
    this.#revision = revision;
    this.#accept(sent);
  }

  /**
   * A renewal whose reply was lost may still have been stored, leaving us one revision
   * behind our own key. Only this acquisition writes records carrying its epoch (and only its
   * create has that epoch as revision), so such a key is still ours: continue from its
   * revision. Leadership still runs on the last *confirmed* renewal.
   */
  async #adoptOwnWrite(term: number): Promise<boolean> {
    const entry = await (this.#kv as KV).get(this.key).catch(() => null);
    if (term !== this.#term || entry?.operation !== 'PUT') return false;
    let record: LeaseRecord;
    try {
      record = entry.json() as LeaseRecord;
    } catch {
      return false;
    }
    const ours = record.epoch === this.#epoch || entry.revision === this.#epoch;
    if (!ours || record.holder !== this.#o.holder) return false;
    this.#revision = entry.revision;
    return true;
  }

  /** A write sent at `sent` succeeded: leadership lasts until TTL − margin after it. */
  #accept(sent: number): void {
    this.#lastSent = sent;
    this.#validUntil = sent + this.#ttlMs - this.#marginMs;
    clearTimeout(this.#stepDown);
    this.#stepDown = setTimeout(() => this.#checkClock(), Math.max(0, this.#validUntil - now()));
  }

  /** Ends leadership if its deadline has passed; true when this call ended it. */
  #checkClock(): boolean {
    if (this.#state !== 'leader') return false;
    if (now() < this.#validUntil) return false;
    this.#lose('expired');
    return true;
  }

  #lose(reason: LeaseLostReason): void {
    if (this.#state !== 'leader') return;
    this.#term++;
    this.#state = 'standby';
    clearTimeout(this.#stepDown);
    this.#o.log?.warn(
      { key: this.key, epoch: this.#epoch, holder: this.#o.holder, reason },
      'lease lost',
    );
    this.#o.onLost?.(reason, this.#epoch);
  }

  async #release(): Promise<void> {
    const revision = this.#revision;
    if (revision === 0 || !this.#kv || this.#o.nc.isClosed()) return;
    this.#revision = 0;
    await this.#kv.delete(this.key, { previousSeq: revision }).catch((e) => {
      if (!isWrongRevision(e)) {
        this.#o.log?.warn({ err: e, key: this.key }, 'lease release failed');
      }
    });
  }
}
