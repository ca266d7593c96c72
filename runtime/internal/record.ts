import { CONTENT_TYPES, type Codec, decode, type Envelope, encode } from '../../protocols/index.ts';

/** A message emitted by an instance that is persisted before it is published (the outbox). */
export interface OutboxEntry {
  /** msg_id of the message (or timer) that produced it. */
  cause: string;
  subject: string;
  envelope: Envelope;
  /** Stardust id of the message that caused it (a parent of its packet). */
  caused_by?: string;
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
  seen: [id: string, at: number][];
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

/**
 * The dedupe set after processing `ids` at `now`. Entries older than `horizonMs` are
 * dropped: past that JetStream no longer redelivers the message, so remembering it
 * only makes every write larger. `window` caps the count for very hot instances.
 */
export function rememberSeen(
  seen: InstanceRecord['seen'],
  ids: readonly string[],
  now: number,
  window: number,
  horizonMs: number,
): InstanceRecord['seen'] {
  const fresh = new Set(ids);
  const next = seen.filter(([id, at]) => now - at < horizonMs && !fresh.has(id));
  for (const id of ids) next.push([id, now]);
  return next.length > window ? next.slice(next.length - window) : next;
}

export function seenIds(record: InstanceRecord): Set<string> {
  return new Set(record.seen.map(([id]) => id));
}

/**
 * Records are written in the site's codec: msgpack by default (a record is rewritten on every
 * batch, and JSON text cost more than the rest of the write), JSON for reading them with
 * `nats kv get`. Either is read back, told apart by its first byte.
 */
export function encodeRecord(r: InstanceRecord, codec: Codec = 'json'): Uint8Array {
  return encode(r, codec);
}

export function decodeRecord(data: Uint8Array): InstanceRecord {
  const json = data[0] === 0x7b; // '{'
  return decode(data, json ? CONTENT_TYPES.json : CONTENT_TYPES.msgpack) as InstanceRecord;
}

/** KV keys allow `[-/_=.a-zA-Z0-9]`; `.` separates our tokens, so other characters are encoded. */
export function keyToken(s: string): string {
  return /^[-_=a-zA-Z0-9]+$/.test(s) ? s : `b64_${Buffer.from(s).toString('base64url')}`;
}

export function recordKey(kind: string, key: string): string {
  return `${kind}.${keyToken(key)}`;
}
