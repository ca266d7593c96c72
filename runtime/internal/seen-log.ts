/** One remembered message id (or timer cause) and when it was processed. */
export type SeenEntry = [id: string, at: number];

/** What to keep: at most `window` ids, none older than `horizonMs` (JetStream no longer redelivers those). */
export interface SeenLimits {
  window: number;
  horizonMs: number;
}

/** A dedupe set as it is stored: binary (msgpack records) or entries (JSON records). */
export interface StoredSeen {
  binary(): Uint8Array;
  entries(): SeenEntry[];
}

/** The dedupe set as it would be after a write, applied to the log once the write succeeded. */
export interface SeenUpdate extends StoredSeen {
  commit(): void;
}

/** The ids one write added, all processed at `at`, and their stored form. */
interface Chunk {
  at: number;
  ids: readonly string[];
  bytes: Uint8Array;
}

/**
 * An instance's dedupe set: the message ids it processed, oldest first, with the time of
 * processing. It is rewritten with every snapshot, so it is kept in its stored form too: one
 * binary chunk per write (`[f64 at][u16 count]`, then `[u16 byte length][utf-8 id]` per id, or
 * `[0xffff][16 bytes]` for a lower-case UUID), stored one after the other. A write adds a chunk
 * and drops old ones instead of encoding every remembered id again.
 */
export class SeenLog implements StoredSeen {
  #chunks: readonly Chunk[] = [];
  readonly #set = new Set<string>();

  static fromEntries(entries: readonly SeenEntry[]): SeenLog {
    const groups: { at: number; ids: string[] }[] = [];
    for (const [id, at] of entries) {
      const last = groups.at(-1);
      if (last?.at === at && last.ids.length < 0xffff) last.ids.push(id);
      else groups.push({ at, ids: [id] });
    }
    const log = new SeenLog();
    log.#replace(groups.map((g) => ({ ...g, bytes: chunkBytes(g.at, g.ids) })));
    return log;
  }

  get size(): number {
    return this.#set.size;
  }

  has(id: string): boolean {
    return this.#set.has(id);
  }

  binary(): Uint8Array {
    return joined(this.#chunks);
  }

  entries(): SeenEntry[] {
    return entriesOf(this.#chunks);
  }

  /**
   * The log after processing `ids` at `now`, left unapplied until `commit` (the write that
   * stores it may still fail). Ids past the horizon, then the oldest beyond the window, are
   * dropped; chunks are in processing order, so the window cuts from the front.
   */
  update(ids: readonly string[], now: number, limits: SeenLimits): SeenUpdate {
    const window = Math.max(0, limits.window);
    const fresh = new Set(ids);
    if (fresh.size !== ids.length || ids.some((id) => this.#set.has(id))) {
      // An id remembered again: exact, and rare enough to rebuild.
      const all = [
        ...this.entries().filter(([id, at]) => !fresh.has(id) && now - at < limits.horizonMs),
        ...[...fresh].map((id): SeenEntry => [id, now]),
      ];
      const rebuilt = SeenLog.fromEntries(all.slice(Math.max(0, all.length - window)));
      return new PendingSeen(this, rebuilt.#chunks, { rebuilt: true });
    }
    // Chunks are in processing order, so both prunes cut from the front (with a clock that
    // went back, an expired chunk behind a younger one waits its turn: kept longer, never less).
    const old = this.#chunks;
    let count = ids.length;
    for (const c of old) count += c.ids.length;
    let from = 0;
    while (from < old.length && now - (old[from] as Chunk).at >= limits.horizonMs) {
      count -= (old[from] as Chunk).ids.length;
      from++;
    }
    let trimmed: Chunk | undefined;
    while (count > window && from < old.length) {
      const oldest = old[from] as Chunk;
      const excess = count - window;
      if (excess < oldest.ids.length) {
        const rest = oldest.ids.slice(excess);
        trimmed = { at: oldest.at, ids: rest, bytes: chunkBytes(oldest.at, rest) };
        count = window;
        break;
      }
      count -= oldest.ids.length;
      from++;
    }
    const next = old.slice(trimmed ? from + 1 : from);
    if (trimmed) next.unshift(trimmed);
    const own = ids.slice(Math.max(0, count - window));
    if (own.length > 0) next.push({ at: now, ids: own, bytes: chunkBytes(now, own) });
    return new PendingSeen(this, next, { added: own, dropped: from, trimmed });
  }

  /** Applies an update: forgets the ids of dropped chunks, remembers the new ones. */
  static apply(log: SeenLog, next: readonly Chunk[], how: Applied): void {
    if ('rebuilt' in how) {
      log.#replace(next);
      return;
    }
    const old = log.#chunks;
    for (let i = 0; i < how.dropped; i++)
      for (const id of (old[i] as Chunk).ids) log.#set.delete(id);
    if (how.trimmed) {
      const ids = (old[how.dropped] as Chunk).ids;
      for (let i = 0; i < ids.length - how.trimmed.ids.length; i++)
        log.#set.delete(ids[i] as string);
    }
    for (const id of how.added) log.#set.add(id);
    log.#chunks = next;
  }

  #replace(chunks: readonly Chunk[]): void {
    this.#chunks = chunks;
    this.#set.clear();
    for (const c of chunks) for (const id of c.ids) this.#set.add(id);
  }

  /** Reads the stored binary form back; throws on a truncated one. */
  static fromBinary(stored: Uint8Array): SeenLog {
    const b = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
    const chunks: Chunk[] = [];
    for (let pos = 0; pos < b.length; ) {
      const { at, ids, end } = decodeChunk(b, pos);
      chunks.push({ at, ids, bytes: b.subarray(pos, end) });
      pos = end;
    }
    const log = new SeenLog();
    log.#replace(chunks);
    return log;
  }
}

type Applied =
  | { rebuilt: true }
  | { added: readonly string[]; dropped: number; trimmed: Chunk | undefined };

/** An update not yet applied (a class rather than closures: one is made per snapshot write). */
class PendingSeen implements SeenUpdate {
  constructor(
    private readonly log: SeenLog,
    private readonly next: readonly Chunk[],
    private readonly how: Applied,
  ) {}

  binary(): Uint8Array {
    return joined(this.next);
  }

  entries(): SeenEntry[] {
    return entriesOf(this.next);
  }

  commit(): void {
    SeenLog.apply(this.log, this.next, this.how);
  }
}

function entriesOf(chunks: readonly Chunk[]): SeenEntry[] {
  return chunks.flatMap((c) => c.ids.map((id): SeenEntry => [id, c.at]));
}

// A lower-case UUID (every msg_id is one) is stored as its 16 bytes, marked by this length.
const UUID_MARK = 0xffff;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Chunks are written into this scratch space first, then copied out at their exact size.
let scratch = Buffer.allocUnsafe(4096);

function chunkBytes(at: number, ids: readonly string[]): Uint8Array {
  if (ids.length > 0xffff) throw new Error(`${ids.length} ids are too many for one chunk`);
  let bound = 10;
  for (const id of ids) bound += 2 + 3 * id.length;
  if (bound > scratch.length) scratch = Buffer.allocUnsafe(bound);
  scratch.writeDoubleLE(at, 0);
  scratch.writeUInt16LE(ids.length, 8);
  let pos = 10;
  for (const id of ids) {
    if (UUID.test(id)) {
      scratch.writeUInt16LE(UUID_MARK, pos);
      scratch.write(id.replaceAll('-', ''), pos + 2, 'hex');
      pos += 18;
      continue;
    }
    const len = scratch.write(id, pos + 2, 'utf8');
    if (len >= UUID_MARK) throw new Error(`an id of ${len} bytes is too long to remember`);
    scratch.writeUInt16LE(len, pos);
    pos += 2 + len;
  }
  const out = Buffer.allocUnsafe(pos); // small: from Node's pool, not an allocation of its own
  scratch.copy(out, 0, 0, pos);
  return out;
}

function joined(chunks: readonly Chunk[]): Uint8Array {
  return Buffer.concat(chunks.map((c) => c.bytes));
}

function decodeChunk(b: Buffer, start: number): { at: number; ids: string[]; end: number } {
  if (b.length < start + 10) throw new Error('truncated dedupe log');
  const count = b.readUInt16LE(start + 8);
  const ids: string[] = [];
  let pos = start + 10;
  while (ids.length < count) {
    const mark = pos + 2 <= b.length ? b.readUInt16LE(pos) : -1;
    const len = mark === UUID_MARK ? 16 : mark;
    if (len < 0 || pos + 2 + len > b.length) throw new Error('truncated dedupe log');
    if (mark === UUID_MARK) {
      const h = b.toString('hex', pos + 2, pos + 18);
      ids.push(
        `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
      );
    } else {
      ids.push(b.toString('utf8', pos + 2, pos + 2 + len));
    }
    pos += 2 + len;
  }
  return { at: b.readDoubleLE(start), ids, end: pos };
}

/** The stored binary form read back as entries. */
export function decodeSeen(stored: Uint8Array): SeenEntry[] {
  return SeenLog.fromBinary(stored).entries();
}
