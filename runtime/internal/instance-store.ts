import { JetStreamApiCodes } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { type Codec, encode, OmnivaError } from '../../protocols/index.ts';
import type { ActorKind } from '../actor-kind.ts';
import type { Logger } from '../logger.ts';
import { headersOf } from '../nats-headers.ts';
import { BUCKETS } from '../provision.ts';
import type { AckedPublisher } from './acked-publisher.ts';
import { type Checkpoint, Instance } from './instance.ts';
import { encodeEnvelope } from './outbound.ts';
import {
  decodeRecord,
  encodeRecord,
  type InstanceState,
  type OutboxEntry,
  recordKey,
} from './record.ts';
import { type Recorder, stardustHeader } from './recorder.ts';
import type { StepOutcome } from './step.ts';

/** What a batch of steps changed, written as one record (group commit). */
export interface PendingWrite {
  machine: Checkpoint;
  timers: StepOutcome['timers'];
  outbox: OutboxEntry[];
  /** Message ids (and timer causes) the batch processed. */
  causes: string[];
}

/**
 * The live instances of one actor kind and their records in the snapshots bucket:
 * restore (with version handling), revision-checked writes, and the outbox.
 */
export class InstanceStore {
  readonly #live = new Map<string, Instance>();

  constructor(
    private readonly kind: ActorKind,
    private readonly kv: KV,
    private readonly publisher: AckedPublisher,
    private readonly codec: Codec,
    private readonly dedupeWindow: number,
    private readonly dedupeHorizonMs: number,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly recorder: Recorder,
  ) {}

  /** The live instance when this host has it (no round trip, no turn of the event loop). */
  cached(key: string): Instance | undefined {
    return this.#live.get(key);
  }

  /** The cached instance, or one restored from its stored record (or fresh). */
  async get(key: string): Promise<Instance> {
    const cached = this.#live.get(key);
    if (cached) return cached;
    const rkey = recordKey(this.kind.name, key);
    const entry = await this.kv.get(rkey);
    const stored = entry?.operation === 'PUT' ? decodeRecord(entry.value) : undefined;
    const inst = new Instance(this.kind, key, stored, entry?.revision ?? 0);
    if (inst.restoreNote === 'reset' && stored) {
      await this.kv.put(
        `archive.${rkey}.v${stored.kind_version}`,
        encodeRecord(stored, this.codec),
      );
      this.log.warn(
        {
          key,
          from_version: stored.kind_version,
          to_version: this.kind.version,
          code: 'OMNIVA_ERR_SNAPSHOT_INCOMPATIBLE',
        },
        'snapshot from an older machine version archived; instance restarted fresh',
      );
    }
    // Messages a crash left unsent are sent now (Nats-Msg-Id makes a repeat harmless) and
    // leave the stored record at its next write.
    await this.publishPending(inst);
    this.#live.set(key, inst);
    return inst;
  }

  /**
   * A throwaway instance restored from the latest stored record, for read-only questions:
   * whatever it does is never stored, and the live instance is not disturbed.
   */
  async detached(key: string): Promise<Instance> {
    const entry = await this.kv.get(recordKey(this.kind.name, key));
    const stored = entry?.operation === 'PUT' ? decodeRecord(entry.value) : undefined;
    return new Instance(this.kind, key, stored, entry?.revision ?? 0);
  }

  /** An in-memory instance that is never stored (request/reply-only kinds). */
  volatile(key: string): Instance {
    let inst = this.#live.get(key);
    if (!inst) {
      inst = new Instance(this.kind, key, undefined, 0);
      this.#live.set(key, inst);
    }
    return inst;
  }

  evict(key: string): void {
    this.#live.get(key)?.stop();
    this.#live.delete(key);
  }

  /** Drops a cached instance when another host has written a newer revision. */
  async refresh(key: string): Promise<void> {
    const cached = this.#live.get(key);
    if (!cached) return;
    const rev = (await this.kv.get(recordKey(this.kind.name, key)))?.revision ?? 0;
    if (rev !== cached.revision) this.evict(key);
  }

  /** Writes the instance record with a revision check; false when another writer got there first. */
  async persist(inst: Instance, write: PendingWrite): Promise<boolean> {
    const now = this.now();
    const seen = inst.seen.update(write.causes, now, {
      window: this.dedupeWindow,
      horizonMs: this.dedupeHorizonMs,
    });
    // Each new message is encoded once, here: the same bytes are stored and then published.
    if (this.codec === 'msgpack') {
      for (const e of write.outbox) e.data ??= encode(e.envelope, 'msgpack');
    }
    const record: InstanceState = {
      ...inst.record,
      machine: inst.persistedOf(write.machine),
      timers: write.timers,
      outbox:
        inst.record.outbox.length === 0 ? write.outbox : [...inst.record.outbox, ...write.outbox],
      updated_at: new Date(now).toISOString(),
    };
    const rkey = recordKey(this.kind.name, inst.key);
    // A KV update is a publish to the bucket's subject with the revision as the expected last
    // sequence of that subject (0: must not exist yet); sent through the shared publisher.
    const h = headersOf({ 'Nats-Expected-Last-Subject-Sequence': String(inst.revision) });
    try {
      inst.revision = await this.publisher.publish(
        `$KV.${BUCKETS.snapshots}.${rkey}`,
        encodeRecord({ ...record, seen }, this.codec),
        h,
      );
    } catch (e) {
      if (isRevisionConflict(e)) return false;
      throw e;
    }
    seen.commit();
    inst.record = record;
    return true;
  }

  /** Publishes every outbox entry not yet confirmed; JetStream drops repeats by Nats-Msg-Id. */
  async publishPending(inst: Instance): Promise<void> {
    const entries = inst.record.outbox;
    if (entries.length === 0) return;
    // Recorded in Stardust first: nothing reaches a consumer that the ledger does not hold.
    const ids = this.recorder.enabled
      ? await Promise.all(
          entries.map((e) => this.recorder.record(e.subject, e.envelope, e.caused_by)),
        )
      : undefined;
    const debug = this.log.isLevelEnabled('debug');
    await this.publisher.publishAll(
      entries.map((entry, i) => {
        const stardustId = ids?.[i];
        const { data, headers } = encodeEnvelope(
          entry.envelope,
          entry.data ? 'msgpack' : this.codec,
          stardustHeader(stardustId),
          entry.data,
        );
        if (stardustId && debug) {
          const { trace_id, msg_id } = entry.envelope;
          this.log.debug(
            { trace_id, msg_id, stardust_id: stardustId, subject: entry.subject },
            'message published',
          );
        }
        return { subject: entry.subject, data, headers };
      }),
    );
    // Confirmed entries leave the stored record at its next write.
    inst.record = { ...inst.record, outbox: [] };
  }

  /** Keys of stored instances with timers armed or messages unsent (after a crash). */
  async keysNeedingAttention(): Promise<string[]> {
    const out: string[] = [];
    for await (const k of await this.kv.keys(`${this.kind.name}.>`)) {
      const entry = await this.kv.get(k);
      if (entry?.operation !== 'PUT') continue;
      const rec = decodeRecord(entry.value);
      if (Object.keys(rec.timers).length > 0 || rec.outbox.length > 0) out.push(rec.key);
    }
    return out;
  }

  stopAll(): void {
    for (const inst of this.#live.values()) inst.stop();
    this.#live.clear();
  }
}

/** JetStream's "wrong last sequence" (10071): another writer updated or created the key first. */
function isRevisionConflict(e: unknown): boolean {
  return OmnivaError.is(e) && e.info?.errCode === JetStreamApiCodes.StreamWrongLastSequence;
}
