import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type MsgRequest,
  type StreamInfo,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  CONTENT_TYPES,
  decode,
  HEADERS,
  MEDIA_URI_PATTERN,
  OmnivaError,
  SITE_ID_PATTERN,
  subjects,
} from '../../protocols/index.ts';
import { BUCKETS, STREAMS } from '../provision.ts';
import { STARDUST_STREAM } from '../stardust/packet.ts';
import { isNotFound } from './internal/blob.ts';
import { parseMediaUri } from './media-uri.ts';

export interface CollectReferencesOptions {
  /** The site's connection; without one only the worker records on disk are read. */
  nc?: NatsConnection;
  site: string;
  /** The site's data directory (the workers' records live under it). */
  dataDir: string;
}

/** Folders under the data directory where workers keep records that name blobs. */
export const WORKER_RECORD_DIRS = ['scraper', 'editor', 'uploader', 'analyzer'] as const;

// The contract's pattern without its anchors, to find URIs inside longer text too.
const URI_IN_TEXT = new RegExp(MEDIA_URI_PATTERN.slice(1, -1), 'g');
const SITE = new RegExp(SITE_ID_PATTERN);
// Fields holding a whole message as base64 (the DLQ keeps the rejected bytes that way).
const BASE64_FIELD = /_b64$/;
// An ordered consumer quiet this long makes us ask the stream whether anything is left.
const STALL_MS = 1_000;
// A stream that keeps saying "more" but sends nothing for this long is an error, not an end.
const NO_PROGRESS_MS = 30_000;

/**
 * Every `media://<site>/sha256/<hex>` URI of this site that anything still names: a queued
 * command, an event or advisory, a ledger packet, a dead letter, an actor snapshot, an effect
 * result, or a worker's own record file. Garbage collection keeps whatever is in this set.
 *
 * Sources are read upstream first (commands, worker records, KV, then events and the ledger):
 * work moves downstream and is published there before it leaves its source, so a reference
 * that moves while we read is still seen in one place or the other.
 *
 * A source that cannot be read fails the whole collection: a missing reference would make
 * gc remove a blob something still needs, so it is better to remove nothing.
 */
export async function collectReferences(opts: CollectReferencesOptions): Promise<Set<string>> {
  if (!SITE.test(opts.site)) {
    throw new OmnivaError('OMNIVA_ERR_CONFIG_INVALID', `invalid site id "${opts.site}"`, {
      site: opts.site,
    });
  }
  const found = new Set<string>();
  const add = (uri: string) => {
    if (parseMediaUri(uri).site === opts.site) found.add(uri);
  };
  const nc = opts.nc;
  const streams = nc
    ? { js: jetstream(nc), jsm: await jetstreamManager(nc), site: opts.site }
    : undefined;
  if (streams) await scanDirect(streams, STREAMS.cmd, (data, ct) => scanMessage(data, ct, add));
  for (const dir of WORKER_RECORD_DIRS) await scanRecords(join(opts.dataDir, dir), add);
  if (!streams) return found;
  for (const bucket of [BUCKETS.snapshots, BUCKETS.effects]) {
    // A KV bucket is a stream of its latest values (history 1); the keys' values carry no
    // Content-Type, so the body is sniffed.
    await scanOrdered(streams, `KV_${bucket}`, (data) => scanMessage(data, undefined, add));
  }
  for (const stream of [STREAMS.evt, STARDUST_STREAM, STREAMS.dlq]) {
    await scanOrdered(streams, stream, (data, ct) => scanMessage(data, ct, add));
  }
  return found;
}

interface Streams {
  js: JetStreamClient;
  jsm: JetStreamManager;
  site: string;
}

type OnMessage = (data: Uint8Array, contentType: string | undefined) => void;

async function streamBounds(
  s: Streams,
  stream: string,
): Promise<{ first: number; last: number; messages: number }> {
  let info: StreamInfo;
  try {
    info = await s.jsm.streams.info(stream);
  } catch (e) {
    if ((e as { name?: string }).name !== 'StreamNotFoundError') throw e;
    // Most likely the wrong server: treating it as empty would drop its references.
    throw new OmnivaError(
      'OMNIVA_ERR_CONFIG_INVALID',
      `site "${s.site}" has no ${stream} stream on this server; refusing to collect references without it`,
      { site: s.site, stream },
      { cause: e },
    );
  }
  // Stream names repeat in every site's domain: a wrong --site would read another site's
  // streams, find none of this site's URIs, and let gc take every blob.
  const own = siteSubject(s.site, stream);
  if (own && !info.config.subjects?.includes(own)) {
    throw new OmnivaError(
      'OMNIVA_ERR_CONFIG_INVALID',
      `stream ${stream} on this server does not carry site "${s.site}" (no ${own}); wrong server or site`,
      { site: s.site, stream, subjects: info.config.subjects ?? [] },
    );
  }
  const { state } = info;
  return { first: state.first_seq, last: state.last_seq, messages: state.messages };
}

/** The subject filter a site's own stream has (KV streams are per domain, so none). */
function siteSubject(site: string, stream: string): string | undefined {
  if (stream === STREAMS.cmd) return subjects.cmdAll(site);
  if (stream === STREAMS.evt) return subjects.evtAll(site);
  if (stream === STREAMS.dlq) return subjects.dlqAll(site);
  if (stream === STARDUST_STREAM) return subjects.stardustAll(site);
  return undefined;
}

/** The first message at or after `seq`, skipping gaps in one request; null when none is left. */
function nextMessage(s: Streams, stream: string, seq: number) {
  // The server has answered `next_by_subj` on MSG.GET since 2.9; the client's type omits it.
  return s.jsm.streams.getMessage(stream, { seq, next_by_subj: '>' } as unknown as MsgRequest);
}

/**
 * Reads a stream by direct gets, one message at a time. Used for the work-queue command stream:
 * such a stream accepts only explicitly acked consumers that do not overlap the workers', so an
 * ordered consumer is refused; and acked commands leave gaps that `next_by_subj` jumps over.
 */
async function scanDirect(s: Streams, stream: string, onMessage: OnMessage): Promise<void> {
  const { first, last, messages } = await streamBounds(s, stream);
  if (messages === 0) return;
  for (let seq = Math.max(1, first); seq <= last; ) {
    const m = await nextMessage(s, stream, seq);
    if (!m || m.seq > last) return;
    onMessage(m.data, m.header?.get(HEADERS.contentType) || undefined);
    seq = m.seq + 1;
  }
}

/**
 * Reads what a stream held when the scan started, with an ordered consumer (no server state
 * left behind, one message in memory at a time). Messages may expire or be deleted while we
 * read; when the consumer goes quiet the stream is asked whether anything is left to wait for.
 */
async function scanOrdered(s: Streams, stream: string, onMessage: OnMessage): Promise<void> {
  const { first, last, messages } = await streamBounds(s, stream);
  if (messages === 0) return;
  const consumer = await s.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const it = await consumer.consume({ max_messages: 1024 });
  const iterator = it[Symbol.asyncIterator]();
  let next = Math.max(1, first);
  let progressAt = Date.now();
  // One pending read at a time: a read that outlives a stall check is awaited again, not lost.
  let pending = iterator.next();
  try {
    for (;;) {
      const r = await raceStall(pending);
      if (r === STALLED) {
        const rest = await nextMessage(s, stream, next);
        if (!rest || rest.seq > last) return;
        if (Date.now() - progressAt > NO_PROGRESS_MS) {
          throw new OmnivaError(
            'OMNIVA_ERR_TIMEOUT',
            `reading ${stream} stalled at sequence ${next} of ${last}`,
            { stream, seq: next, last },
          );
        }
        continue;
      }
      if (r.done) return;
      const m = r.value;
      const seq = m.info.streamSequence;
      onMessage(m.data, m.headers?.get(HEADERS.contentType) || undefined);
      next = seq + 1;
      progressAt = Date.now();
      if (seq >= last || m.info.pending === 0) return;
      pending = iterator.next();
    }
  } finally {
    it.stop();
  }
}

const STALLED = Symbol('stalled');

async function raceStall<T>(read: Promise<T>): Promise<T | typeof STALLED> {
  let timer: NodeJS.Timeout | undefined;
  const quiet = new Promise<typeof STALLED>((resolve) => {
    timer = setTimeout(() => resolve(STALLED), STALL_MS);
  });
  try {
    return await Promise.race([read, quiet]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Finds URIs in one stored body. Bodies are decoded by Content-Type (sniffed when there is
 * none, as KV values carry none); one that does not decode is searched as raw text, since a
 * reference missed here would let gc remove a blob still in use.
 */
function scanMessage(
  data: Uint8Array,
  contentType: string | undefined,
  add: (uri: string) => void,
): void {
  if (data.byteLength === 0) return; // KV delete and purge markers
  let value: unknown;
  try {
    value = decode(data, contentType ?? sniff(data));
  } catch {
    scanText(Buffer.from(data).toString('latin1'), add);
    return;
  }
  scanValue(value, add);
}

function sniff(data: Uint8Array): string {
  const first = data[0];
  // `{`, `[` and `"` open JSON; MessagePack maps, arrays and strings start otherwise.
  return first === 0x7b || first === 0x5b || first === 0x22
    ? CONTENT_TYPES.json
    : CONTENT_TYPES.msgpack;
}

/** Walks a decoded value without recursion (a deep value must not overflow the stack). */
function scanValue(root: unknown, add: (uri: string) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') scanText(v, add);
    else if (v instanceof Uint8Array) scanText(Buffer.from(v).toString('latin1'), add);
    else if (Array.isArray(v)) stack.push(...v);
    else if (v instanceof Map) {
      for (const [k, item] of v) stack.push(k, item);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        scanText(k, add);
        if (BASE64_FIELD.test(k) && typeof item === 'string') {
          // Search the bytes the field carries, whatever their encoding; keeping more is safe.
          scanText(Buffer.from(item, 'base64').toString('latin1'), add);
        }
        stack.push(item);
      }
    }
  }
}

function scanText(text: string, add: (uri: string) => void): void {
  if (!text.includes('media://')) return;
  for (const m of text.matchAll(URI_IN_TEXT)) add(m[0]);
}

/**
 * Reads every JSON record under a worker's folder, at any depth. Temp files of an atomic write
 * (`x.json.tmp`, `.x.json.<id>.tmp`) are read too: the rename that makes them the record may
 * land between our listing and our read.
 */
async function scanRecords(dir: string, add: (uri: string) => void): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    // Symbolic links are not followed: a link to a parent would loop.
    if (entry.isDirectory()) await scanRecords(path, add);
    else if (entry.isFile() && entry.name.includes('.json')) {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        if (isNotFound(e)) continue; // renamed or removed since the listing
        throw e;
      }
      try {
        scanValue(JSON.parse(text), add);
      } catch {
        scanText(text, add); // a half-written or non-JSON file still names what it names
      }
    }
  }
}
