import { createHash } from 'node:crypto';
import type { MsgHdrs } from '@nats-io/transport-node';
import {
  CONTENT_TYPES,
  formatViolation,
  HEADERS,
  OmnivaError,
  type StardustPacket,
  subjects,
  TOKEN_PATTERN,
  type Violation,
  validateContract,
} from '../../protocols/index.ts';
import { headersOf } from '../nats-headers.ts';
import { canonicalJson } from './jcs.ts';

export type { StardustPacket };

/** The ledger's stream, one per site (each site is its own JetStream domain). */
export const STARDUST_STREAM = 'STARDUST';

/** Header carrying the packet id next to `Nats-Msg-Id`, for people reading with `nats`. */
export const STARDUST_ID_HEADER = 'Omniva-Stardust-Id';

/**
 * Beyond this a packet is carrying a blob, not references. Far below the server's max_payload
 * so the ledger stays cheap to read from a cold start.
 */
export const MAX_PACKET_BYTES = 64 * 1024;

/** What a caller records; the ledger fills site, time, chain link and id. */
export interface AppendInput {
  kind: string;
  ref: string;
  actor: string;
  trace_id: string;
  _meta_parents?: readonly string[];
  entities?: Readonly<Record<string, readonly string[]>>;
  payload?: Readonly<Record<string, unknown>>;
}

export type PacketWithoutId = Omit<StardustPacket, 'stardust_id'>;

const TOKEN = new RegExp(TOKEN_PATTERN);
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** `omniva.<site>.stardust.<kind>.<ref>`: one subject per recorded thing, so JetStream can
 * tell whether it was already recorded (`Nats-Expected-Last-Subject-Sequence: 0`). */
export function stardustPacketSubject(site: string, kind: string, ref: string): string {
  const base = subjects.stardust(site, kind);
  if (typeof ref !== 'string' || !TOKEN.test(ref)) {
    throw new OmnivaError(
      'OMNIVA_ERR_SUBJECT_TOKEN',
      `invalid ref subject token ${JSON.stringify(ref)}: only letters, digits, "_" and "-" are allowed`,
      { role: 'ref', token: ref },
    );
  }
  return `${base}.${ref}`;
}

function idFromCanonical(canonical: string): string {
  const h = createHash('sha256').update(canonical).digest('hex');
  const variant = ((Number.parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The packet's id: sha256 over its RFC 8785 (JCS) encoding without `stardust_id` — `prev`
 * included, which is what chains the ledger — as a UUID with version nibble 8 and variant
 * 10xx (RFC 9562 "custom"), 122 bits of the digest. A `stardust_id` field, if present, is
 * ignored, so a stored packet can be passed as it is.
 */
export function computeStardustId(packet: PacketWithoutId | StardustPacket): string {
  const { stardust_id: _ignored, ...rest } = packet as StardustPacket;
  return idFromCanonical(canonicalJson(rest));
}

/**
 * The stored body: `{"stardust_id":"…",` followed by the canonical text the id was computed
 * from, so one serialisation serves both and the body reads as sorted JSON.
 */
function bodyFromCanonical(id: string, canonical: string): Uint8Array {
  return encoder.encode(`{"stardust_id":"${id}",${canonical.slice(1)}`);
}

/** Builds a packet for `input` linked after `prev`; not validated (tests forge with it). */
export function buildPacket(
  site: string,
  input: AppendInput,
  prev: string | null,
  recordedAt: string,
): StardustPacket {
  const body = { ...copyFields(site, input), recorded_at: recordedAt, prev } as PacketWithoutId;
  return { stardust_id: computeStardustId(body), ...body };
}

type FixedFields = Omit<PacketWithoutId, 'recorded_at' | 'prev'>;

/** An input validated and serialised once, ready to be sealed onto whatever `prev` is current. */
export interface PreparedAppend {
  readonly input: AppendInput;
  readonly fields: FixedFields;
  /** Canonical members that sort before `prev`: _meta_parents, actor, entities, kind, payload. */
  readonly before: string;
  /** Canonical members that sort after `recorded_at`: ref, site_id, trace_id. */
  readonly after: string;
}

// Copies taken when an append is accepted, so a caller changing its input afterwards cannot
// change what is validated, hashed and stored (nested payload values are shared).
function copyFields(site: string, input: AppendInput): FixedFields {
  const i = (input ?? {}) as Partial<AppendInput>;
  return {
    site_id: site,
    kind: i.kind as string,
    ref: i.ref as string,
    actor: i.actor as string,
    trace_id: i.trace_id as string,
    _meta_parents: Array.isArray(i._meta_parents) ? [...i._meta_parents] : (i._meta_parents ?? []),
    entities: copyEntities(i.entities),
    payload:
      typeof i.payload === 'object' && i.payload !== null && !Array.isArray(i.payload)
        ? { ...i.payload }
        : (i.payload ?? {}),
  } as FixedFields;
}

function copyEntities(entities: unknown): Record<string, string[]> {
  if (typeof entities !== 'object' || entities === null || Array.isArray(entities)) {
    return (entities ?? {}) as Record<string, string[]>;
  }
  const out: Record<string, string[]> = {};
  for (const [type, ids] of Object.entries(entities))
    out[type] = Array.isArray(ids) ? [...ids] : ids;
  return out;
}

const INPUT_KEYS = new Set([
  'kind',
  'ref',
  'actor',
  'trace_id',
  '_meta_parents',
  'entities',
  'payload',
]);

// A valid id for schema-checking an input before its real id exists.
const PLACEHOLDER_ID = '00000000-0000-8000-8000-000000000000';

/**
 * Validates an input as the packet it will become and serialises its fixed part. Throws
 * OMNIVA_ERR_STARDUST_INVALID (with the violations) when it cannot be a packet.
 */
export function prepareAppend(site: string, input: AppendInput, now: Date): PreparedAppend {
  // A misspelt field (`parents`) would otherwise vanish silently, and lineage with it.
  const unexpected = Object.keys(input ?? {})
    .filter((k) => !INPUT_KEYS.has(k))
    .map((k) => ({ pointer: `/${k}`, reason: `unexpected property "${k}"` }));
  if (unexpected.length > 0) throw invalidPacketError(unexpected);
  const fields = copyFields(site, input);
  const violations = packetViolations({
    stardust_id: PLACEHOLDER_ID,
    ...fields,
    recorded_at: now.toISOString(),
    prev: null,
  });
  if (violations.length > 0) throw invalidPacketError(violations);
  let before: string;
  let after: string;
  try {
    before =
      `"_meta_parents":${canonicalJson(fields._meta_parents)},"actor":${canonicalJson(fields.actor)},` +
      `"entities":${canonicalJson(fields.entities)},"kind":${canonicalJson(fields.kind)},` +
      `"payload":${canonicalJson(fields.payload)}`;
    after = `"ref":${canonicalJson(fields.ref)},"site_id":${canonicalJson(site)},"trace_id":${canonicalJson(fields.trace_id)}`;
  } catch (e) {
    throw invalidPacketError([], `cannot be canonicalised: ${(e as Error).message}`);
  }
  // id, prev and recorded_at add less than 200 bytes.
  const bytes = Buffer.byteLength(before) + Buffer.byteLength(after) + 200;
  if (bytes > MAX_PACKET_BYTES) {
    throw invalidPacketError(
      [],
      `about ${bytes} bytes, more than ${MAX_PACKET_BYTES}: record references, not blobs`,
    );
  }
  return { input, fields, before, after };
}

/** The packet of a prepared append linked after `prev`, with its id and stored body. */
export function sealPrepared(
  p: PreparedAppend,
  prev: string | null,
  recordedAt: string,
): { packet: StardustPacket; data: Uint8Array } {
  // Both are fixed-alphabet strings (a uuid, an ISO date), so no escaping is needed.
  const canonical = `{${p.before},"prev":${prev === null ? 'null' : `"${prev}"`},"recorded_at":"${recordedAt}",${p.after}}`;
  const id = idFromCanonical(canonical);
  const f = p.fields;
  const packet: StardustPacket = {
    stardust_id: id,
    site_id: f.site_id,
    kind: f.kind,
    ref: f.ref,
    actor: f.actor,
    trace_id: f.trace_id,
    _meta_parents: f._meta_parents,
    entities: f.entities,
    payload: f.payload,
    recorded_at: recordedAt,
    prev,
  };
  return { packet, data: bodyFromCanonical(id, canonical) };
}

/** Schema violations of a would-be packet, [] when it conforms. */
export function packetViolations(doc: unknown): Violation[] {
  const r = validateContract('StardustPacket', doc);
  return r.ok ? [] : r.violations;
}

export function invalidPacketError(violations: Violation[], detail?: string): OmnivaError {
  const listed = violations.slice(0, 3).map(formatViolation).join('; ');
  return new OmnivaError(
    'OMNIVA_ERR_STARDUST_INVALID',
    `invalid Stardust packet: ${detail ?? listed}`,
    { violations },
  );
}

/** The stored form of a packet (see {@link sealPrepared}); the id is written as given. */
export function encodePacket(packet: StardustPacket): Uint8Array {
  const { stardust_id, ...rest } = packet;
  return bodyFromCanonical(stardust_id, canonicalJson(rest));
}

/** The JetStream headers of an append, optimistic-concurrency expectations included. */
export function packetHeaders(
  packet: StardustPacket,
  expect: { lastSeq: number; lastMsgId?: string },
): MsgHdrs {
  return headersOf({
    [HEADERS.msgId]: packet.stardust_id,
    [STARDUST_ID_HEADER]: packet.stardust_id,
    [HEADERS.trace]: packet.trace_id,
    [HEADERS.site]: packet.site_id,
    [HEADERS.contentType]: CONTENT_TYPES.json,
    // The chain link: the stream's last message must be the one `prev` names ...
    'Nats-Expected-Last-Sequence': String(expect.lastSeq),
    ...(expect.lastMsgId === undefined ? {} : { 'Nats-Expected-Last-Msg-Id': expect.lastMsgId }),
    // ... and nothing may have been recorded for this kind + ref yet.
    'Nats-Expected-Last-Subject-Sequence': '0',
  });
}

export type ParsedPacket =
  | { ok: true; packet: StardustPacket }
  | { ok: false; reason: string; stardust_id?: string; violations?: Violation[] };

/**
 * Checks a stored message the way `verify` does: JSON, schema, id recomputes, headers and
 * subject agree with the body. The checks that need a neighbour (prev) are the caller's.
 */
export function parseStoredPacket(
  site: string,
  subject: string,
  data: Uint8Array,
  msgId: string | undefined,
): ParsedPacket {
  let doc: unknown;
  try {
    doc = JSON.parse(decoder.decode(data));
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const claimed =
    typeof (doc as { stardust_id?: unknown })?.stardust_id === 'string'
      ? (doc as { stardust_id: string }).stardust_id
      : undefined;
  const withId = claimed === undefined ? {} : { stardust_id: claimed };
  const violations = packetViolations(doc);
  if (violations.length > 0) {
    const listed = violations.slice(0, 3).map(formatViolation).join('; ');
    return { ok: false, reason: `not a valid packet: ${listed}`, violations, ...withId };
  }
  const packet = doc as StardustPacket;
  const actual = computeStardustId(packet);
  if (actual !== packet.stardust_id) {
    return {
      ok: false,
      reason: `stardust_id does not match the content (recomputed ${actual})`,
      ...withId,
    };
  }
  if (packet.site_id !== site) {
    return {
      ok: false,
      reason: `packet of site "${packet.site_id}" in the ledger of "${site}"`,
      ...withId,
    };
  }
  let expectedSubject: string;
  try {
    expectedSubject = stardustPacketSubject(site, packet.kind, packet.ref);
  } catch {
    return { ok: false, reason: 'kind or ref cannot form a subject', ...withId };
  }
  if (subject !== expectedSubject) {
    return { ok: false, reason: `stored on ${subject}, expected ${expectedSubject}`, ...withId };
  }
  if (msgId !== packet.stardust_id) {
    return {
      ok: false,
      reason: `Nats-Msg-Id is ${msgId ?? 'missing'}, not the stardust_id`,
      ...withId,
    };
  }
  return { ok: true, packet };
}
