import { CONTENT_TYPES, type Codec, decode, type Envelope, encode } from '../../protocols/index.ts';
import { decodeSeen, type SeenEntry, SeenLog, type StoredSeen } from './seen-log.ts';

/** A message emitted by an instance that is persisted before it is published (the outbox). */
export interface OutboxEntry {
  /** msg_id of the message (or timer) that produced it. */
  cause: string;
  subject: string;
  envelope: Envelope;
  /** Stardust id of the message that caused it (a parent of its packet). */
  caused_by?: string;
  /** `envelope` encoded as MessagePack: stored and published as is, so it is encoded once. */
  data?: Uint8Array;
}

export interface TimerEntry {
  at: number;
  event: { type: string };
  /** Trace of the message that armed it; the fired event continues that trace. */
  trace_id: string;
}

/** Everything the runtime persists per actor instance, in one KV value, written atomically. */
export interface InstanceRecord {
  kind: string;
  kind_version: number;
  key: string;
  /** XState persisted snapshot. */
  machine: unknown;
  timers: Record<string, TimerEntry>;
  /** Recently processed message ids with the time they were processed, newest last. */
  seen: SeenEntry[];
  /** Emitted messages whose publish has not been confirmed yet. */
  outbox: OutboxEntry[];
  updated_at: string;
}

export function emptyRecord(kind: string, version: number, key: string): InstanceRecord {
  return {
    kind,
    kind_version: version,
    key,
    machine: undefined,
    timers: {},
    seen: [],
    outbox: [],
    updated_at: new Date(0).toISOString(),
  };
}

/** A record without its dedupe set, which a live instance keeps as a {@link SeenLog}. */
export type InstanceState = Omit<InstanceRecord, 'seen'>;

/**
 * Records are written in the site's codec: msgpack by default (a record is rewritten on every
 * batch, and JSON text cost more than the rest of the write), JSON for reading them with
 * `nats kv get`. Either is read back, told apart by its first byte. In msgpack the dedupe set
 * and the outbox messages are binary (see {@link SeenLog}): the bulk of a record is then copied
 * into the write, not encoded again each time.
 */
export function encodeRecord(
  r: InstanceState & { seen: readonly SeenEntry[] | StoredSeen },
  codec: Codec = 'json',
): Uint8Array {
  const stored = Array.isArray(r.seen) ? undefined : (r.seen as StoredSeen);
  if (codec === 'json') {
    const seen = stored ? stored.entries() : r.seen;
    const outbox = r.outbox.map(({ data: _data, ...entry }) => entry);
    return encode({ ...r, seen, outbox }, codec);
  }
  const seen = (stored ?? SeenLog.fromEntries(r.seen as SeenEntry[])).binary();
  const outbox = r.outbox.map((e) => {
    const data = e.data ?? encode(e.envelope, 'msgpack');
    const { cause, subject, caused_by } = e;
    return caused_by === undefined ? { cause, subject, data } : { cause, subject, caused_by, data };
  });
  return encode({ ...r, seen, outbox }, codec);
}

type StoredOutboxEntry = Omit<OutboxEntry, 'envelope'> & { envelope?: Envelope };

export function decodeRecord(data: Uint8Array): InstanceRecord {
  const json = data[0] === 0x7b; // '{'
  const stored = decode(data, json ? CONTENT_TYPES.json : CONTENT_TYPES.msgpack) as Omit<
    InstanceRecord,
    'seen' | 'outbox'
  > & { seen: SeenEntry[] | Uint8Array; outbox: StoredOutboxEntry[] };
  return {
    ...stored,
    seen: stored.seen instanceof Uint8Array ? decodeSeen(stored.seen) : stored.seen,
    outbox: stored.outbox.map((e) =>
      e.envelope
        ? (e as OutboxEntry)
        : { ...e, envelope: decode(e.data as Uint8Array, CONTENT_TYPES.msgpack) as Envelope },
    ),
  };
}

/** KV keys allow `[-/_=.a-zA-Z0-9]`; `.` separates our tokens, so other characters are encoded. */
export function keyToken(s: string): string {
  return /^[-_=a-zA-Z0-9]+$/.test(s) ? s : `b64_${Buffer.from(s).toString('base64url')}`;
}

export function recordKey(kind: string, key: string): string {
  return `${kind}.${keyToken(key)}`;
}
