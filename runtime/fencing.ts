import { type KV, type KvEntry, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { OmnivaError, SITE_ID_PATTERN, TOKEN_PATTERN } from '../protocols/index.ts';
import { isWrongRevision } from './lease.ts';
import type { Logger } from './logger.ts';

/**
 * Newest epoch each receiver has accepted. Not the lease bucket: that one's TTL would expire
 * these records a few seconds after their last write, and a receiver restarted after that
 * would accept a deposed leader's commands again.
 */
export const EPOCH_BUCKET = 'OMNIVA_EPOCHS';

export async function provisionEpochs(
  nc: NatsConnection,
  o: { replicas?: number } = {},
): Promise<KV> {
  return new Kvm(nc).create(EPOCH_BUCKET, { history: 1, replicas: o.replicas ?? 1 });
}

export interface EpochGuardOptions {
  nc: NatsConnection;
  site: string;
  /** Who the guard answers for; replicas of one worker share it, and so share the record. */
  receiver: string;
  /** The authority whose epochs are checked (its lease name); default `zenith`. */
  issuer?: string;
  log?: Logger;
}

export type EpochCheck =
  | { ok: true; epoch: number }
  | { ok: false; rejected: string; error: OmnivaError };

interface SeenRecord {
  epoch: number;
  seen_at: string;
}

const SITE = new RegExp(SITE_ID_PATTERN);
const TOKEN = new RegExp(TOKEN_PATTERN);

export function epochSeenKey(site: string, issuer: string, receiver: string): string {
  if (!SITE.test(site) || !TOKEN.test(issuer) || !TOKEN.test(receiver)) {
    throw new OmnivaError(
      'OMNIVA_ERR_SUBJECT_TOKEN',
      `invalid epoch key parts site=${JSON.stringify(site)} issuer=${JSON.stringify(issuer)} receiver=${JSON.stringify(receiver)}`,
    );
  }
  return `seen.${site}.${issuer}.${receiver}`;
}

function storedEpoch(e: KvEntry | null): number {
  if (e?.operation !== 'PUT') return 0;
  try {
    const epoch = (e.json() as SeenRecord).epoch;
    return Number.isSafeInteger(epoch) && epoch > 0 ? epoch : 0;
  } catch {
    return 0; // an unreadable record fences nothing; the next accepted epoch overwrites it
  }
}

/**
 * The receiver's half of fencing (design §5): accept a command only if its epoch is not older
 * than the newest this receiver has accepted.
 *
 * The newest epoch lives in KV and every check reads it, so replicas of one receiver (and a
 * receiver that restarted) agree without a watch that could lag; one direct get per command
 * is cheap next to the work a command starts. A newer epoch is recorded (revision-checked)
 * *before* its command is accepted, so no process can accept an older one afterwards. If
 * the record cannot be read or written, `check` throws OMNIVA_ERR_FENCING_UNAVAILABLE
 * (retryable: nak and try later) rather than guess.
 */
const MAX_RECORD_ATTEMPTS = 32;

export class EpochGuard {
  readonly key: string;
  readonly #o: EpochGuardOptions & { issuer: string };
  #kv: KV | undefined;
  #newest = 0;
  /** One check at a time per process, so its own writes never race each other. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(o: EpochGuardOptions) {
    this.#o = { ...o, issuer: o.issuer ?? 'zenith' };
    this.key = epochSeenKey(o.site, this.#o.issuer, o.receiver);
  }

  /** The newest epoch this process knows of (from its last check). */
  get newest(): number {
    return this.#newest;
  }

  /** Opens the bucket (it must exist: see provisionEpochs) and loads the newest epoch. */
  async start(): Promise<void> {
    this.#kv = await new Kvm(this.#o.nc).open(EPOCH_BUCKET);
    this.#newest = storedEpoch(await this.#kv.get(this.key));
  }

  check(epoch: unknown): Promise<EpochCheck> {
    const run = this.#queue.then(() => this.#check(epoch));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #check(epoch: unknown): Promise<EpochCheck> {
    const { site, issuer, receiver } = this.#o;
    if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 1) {
      const rejected = `epoch ${JSON.stringify(epoch)} is not an integer >= 1`;
      return {
        ok: false,
        rejected,
        error: new OmnivaError('OMNIVA_ERR_SCHEMA_INVALID', rejected, { epoch }),
      };
    }
    const kv = this.#kv;
    if (!kv) throw new OmnivaError('OMNIVA_ERR_FENCING_UNAVAILABLE', 'EpochGuard not started');
    // Each lost race means another replica recorded a newer epoch, so this ends; the jitter
    // only keeps a burst of replicas from colliding in lockstep.
    for (let attempt = 0; attempt < MAX_RECORD_ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 2 * attempt));
      const entry = await kv.get(this.key).catch((e) => {
        throw this.#unavailable('read', e);
      });
      const stored = storedEpoch(entry);
      this.#newest = Math.max(this.#newest, stored);
      if (epoch < this.#newest) return this.#stale(epoch);
      if (epoch === stored) return { ok: true, epoch };
      const record: SeenRecord = { epoch, seen_at: new Date().toISOString() };
      try {
        if (entry?.operation === 'PUT') {
          await kv.update(this.key, JSON.stringify(record), entry.revision);
        } else {
          await kv.create(this.key, JSON.stringify(record));
        }
      } catch (e) {
        if (isWrongRevision(e)) continue; // another replica recorded first: read again
        throw this.#unavailable('record', e);
      }
      this.#newest = epoch;
      this.#o.log?.info({ site, issuer, receiver, epoch }, 'newer epoch accepted');
      return { ok: true, epoch };
    }
    throw this.#unavailable('record', new Error('the record kept changing under us'));
  }

  #stale(epoch: number): EpochCheck {
    const { site, issuer, receiver } = this.#o;
    const rejected =
      `stale epoch ${epoch}: ${receiver} has already accepted epoch ${this.#newest} ` +
      `from ${issuer} at site ${site}, so this command comes from a deposed leader`;
    this.#o.log?.warn(
      { site, issuer, receiver, epoch, newest: this.#newest },
      'stale epoch rejected',
    );
    return {
      ok: false,
      rejected,
      error: new OmnivaError('OMNIVA_ERR_STALE_EPOCH', rejected, {
        epoch,
        newest: this.#newest,
        site,
        issuer,
        receiver,
      }),
    };
  }

  #unavailable(what: string, cause: unknown): OmnivaError {
    return new OmnivaError(
      'OMNIVA_ERR_FENCING_UNAVAILABLE',
      `could not ${what} the newest epoch for ${this.key}: ${(cause as Error)?.message ?? cause}`,
      { key: this.key },
      { cause },
    );
  }
}
