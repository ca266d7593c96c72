import type { Envelope } from '../../protocols/index.ts';

/** A message emitted by an instance that is persisted before it is published (the outbox). */
export interface OutboxEntry {
  /** msg_id of the message (or timer) that produced it. */
  cause: string;
  subject: string;
  envelope: Envelope;
}

export interface TimerEntry {
  at: number;
  event: { type: string };
}

/** Everything the runtime persists per actor instance, in one KV value, written atomically. */
export interface InstanceRecord {
  kind: string;
  kind_version: number;
  key: string;
  /** XState persisted snapshot. */
  machine: unknown;
  timers: Record<string, TimerEntry>;
  /** Recently processed message ids, newest last: the durable dedupe set. */
  seen: string[];
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

export function rememberSeen(seen: readonly string[], id: string, window: number): string[] {
  const next = seen.filter((s) => s !== id);
  next.push(id);
  return next.length > window ? next.slice(next.length - window) : next;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeRecord(r: InstanceRecord): Uint8Array {
  return encoder.encode(JSON.stringify(r));
}

export function decodeRecord(data: Uint8Array): InstanceRecord {
  return JSON.parse(decoder.decode(data)) as InstanceRecord;
}

/** KV keys allow `[-/_=.a-zA-Z0-9]`; `.` separates our tokens, so other characters are encoded. */
export function keyToken(s: string): string {
  return /^[-_=a-zA-Z0-9]+$/.test(s) ? s : `b64_${Buffer.from(s).toString('base64url')}`;
}

export function recordKey(kind: string, key: string): string {
  return `${kind}.${keyToken(key)}`;
}
