import type { Logger } from '../logger.ts';
import type { StardustPacket } from './packet.ts';
import type { LedgerStore, ScanMessage } from './store.ts';

/** What the index keeps of a packet: the graph and the labels a tree view shows. */
export interface LineageNode {
  stardust_id: string;
  seq: number;
  kind: string;
  ref: string;
  actor: string;
  trace_id: string;
  recorded_at: string;
  parents: readonly string[];
  entities: Readonly<Record<string, readonly string[]>>;
}

/** A node reached by a walk, with its distance (1 = a direct parent or child). */
export interface LineageHit {
  node: LineageNode;
  depth: number;
}

const decoder = new TextDecoder();

interface Waiter {
  seq: number;
  resolve: () => void;
}

// One id, or several: most entity ids and most parents name a single packet, and a bare
// string instead of a one-element array is a large share of a cold build's allocations.
type IdList = string | string[];

function pushId(map: Map<string, IdList>, key: string, id: string): void {
  const have = map.get(key);
  if (have === undefined) map.set(key, id);
  else if (typeof have === 'string') map.set(key, [have, id]);
  else have.push(id);
}

function listOf(v: IdList | undefined): readonly string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

/**
 * The ledger's graph in memory: id → packet summary, parents, children, and entity → packets.
 * Built by reading the stream with an ordered consumer from the first packet, then kept
 * current by following it. Structural only: whether the chain is intact is `verify`'s job.
 */
export class LineageIndex {
  readonly #nodes = new Map<string, LineageNode>();
  readonly #children = new Map<string, IdList>();
  // entity type → entity id → packets
  readonly #byEntity = new Map<string, Map<string, IdList>>();
  #lastSeq = 0;
  #waiters: Waiter[] = [];
  #ready: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #skipped = 0;

  /** Packets indexed. */
  get size(): number {
    return this.#nodes.size;
  }

  /** Highest stream sequence the follower has read. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** True once {@link start} was called: the index then follows the stream. */
  get started(): boolean {
    return this.#ready !== undefined;
  }

  /** Stored messages that were not packets (tampering): left out of the graph. */
  get skipped(): number {
    return this.#skipped;
  }

  /**
   * Reads the stream from the start and follows it. Resolves once the packets stored when it
   * started are indexed. Calling it again returns the same promise.
   */
  start(store: LedgerStore, log: Logger): Promise<void> {
    if (this.#ready) return this.#ready;
    const abort = new AbortController();
    this.#abort = abort;
    this.#ready = new Promise<void>((resolve, reject) => {
      let caughtUp = false;
      store
        .scan(
          {
            follow: true,
            signal: abort.signal,
            onCaughtUp: () => {
              caughtUp = true;
              resolve();
            },
          },
          (m) => this.#ingest(m),
        )
        .catch((e) => {
          if (caughtUp) {
            log.warn({ err: e }, 'stardust lineage follower stopped');
            return;
          }
          // Let the next query try again rather than keep a failed build forever.
          this.#ready = undefined;
          reject(e);
        });
    });
    return this.#ready;
  }

  stop(): void {
    this.#abort?.abort();
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  /** Resolves when every message up to `seq` has been read (or after `timeoutMs`). */
  async waitForSeq(seq: number, timeoutMs = 10_000): Promise<boolean> {
    if (this.#lastSeq >= seq) return true;
    let timer: NodeJS.Timeout | undefined;
    const reached = new Promise<boolean>((resolve) => {
      this.#waiters.push({ seq, resolve: () => resolve(true) });
    });
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(this.#lastSeq >= seq), timeoutMs);
    });
    try {
      return await Promise.race([reached, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  #ingest(m: ScanMessage): void {
    let doc: unknown;
    try {
      doc = JSON.parse(decoder.decode(m.data));
    } catch {
      doc = undefined;
    }
    if (!this.#add(doc, m.seq)) this.#skipped++;
    if (m.seq > this.#lastSeq) this.#lastSeq = m.seq;
    if (this.#waiters.length > 0) {
      const still: Waiter[] = [];
      for (const w of this.#waiters) {
        if (w.seq <= this.#lastSeq) w.resolve();
        else still.push(w);
      }
      this.#waiters = still;
    }
  }

  /** Adds a packet this process appended, ahead of the follower; idempotent. */
  add(packet: StardustPacket, seq: number): void {
    this.#add(packet, seq);
  }

  // Shape checks only (cheap): the index must not throw on a forged message.
  #add(doc: unknown, seq: number): boolean {
    const p = doc as Partial<StardustPacket> | undefined;
    if (
      typeof p?.stardust_id !== 'string' ||
      !Array.isArray(p._meta_parents) ||
      !p._meta_parents.every((x) => typeof x === 'string') ||
      typeof p.entities !== 'object' ||
      p.entities === null
    ) {
      return false;
    }
    if (this.#nodes.has(p.stardust_id)) return true;
    const id = p.stardust_id;
    const parents = p._meta_parents as string[];
    this.#nodes.set(id, {
      stardust_id: id,
      seq,
      kind: String(p.kind),
      ref: String(p.ref),
      actor: String(p.actor),
      trace_id: String(p.trace_id),
      recorded_at: String(p.recorded_at),
      parents,
      entities: p.entities as Record<string, string[]>,
    });
    for (const parent of parents) pushId(this.#children, parent, id);
    for (const type in p.entities) {
      const ids = (p.entities as Record<string, unknown>)[type];
      if (!Array.isArray(ids)) continue;
      let byId = this.#byEntity.get(type);
      if (!byId) {
        byId = new Map();
        this.#byEntity.set(type, byId);
      }
      for (const eid of ids) pushId(byId, String(eid), id);
    }
    return true;
  }

  has(id: string): boolean {
    return this.#nodes.has(id);
  }

  node(id: string): LineageNode | undefined {
    return this.#nodes.get(id);
  }

  parents(id: string): LineageNode[] {
    return this.#resolve(this.#nodes.get(id)?.parents ?? []);
  }

  children(id: string): LineageNode[] {
    return this.#resolve(listOf(this.#children.get(id)));
  }

  /** Ids among `id`'s parents that the ledger does not hold. */
  unknownParents(id: string): string[] {
    return (this.#nodes.get(id)?.parents ?? []).filter((p) => !this.#nodes.has(p));
  }

  /** Every packet `id` descends from, nearest first, then in ledger order; each once. */
  ancestors(id: string): LineageHit[] {
    return this.#walk(id, (n) => this.#nodes.get(n)?.parents ?? []);
  }

  /** Every packet descending from `id`, nearest first. */
  descendants(id: string): LineageHit[] {
    return this.#walk(id, (n) => listOf(this.#children.get(n)));
  }

  /** Packets naming the entity, in ledger order. */
  byEntity(type: string, id: string): LineageNode[] {
    return this.#resolve(listOf(this.#byEntity.get(type)?.get(id)));
  }

  #resolve(ids: readonly string[]): LineageNode[] {
    const out: LineageNode[] = [];
    for (const id of ids) {
      const n = this.#nodes.get(id);
      if (n) out.push(n);
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  #walk(start: string, next: (id: string) => readonly string[]): LineageHit[] {
    const seen = new Set<string>([start]);
    const out: LineageHit[] = [];
    let frontier = [start];
    for (let depth = 1; frontier.length > 0; depth++) {
      const following: string[] = [];
      for (const id of frontier) {
        for (const n of next(id)) {
          if (seen.has(n)) continue;
          seen.add(n);
          const node = this.#nodes.get(n);
          if (node) out.push({ node, depth });
          following.push(n);
        }
      }
      frontier = following;
    }
    // Nearest first, and within a distance in ledger order, whatever order parents were named in.
    return out.sort((a, b) => a.depth - b.depth || a.node.seq - b.node.seq);
  }
}
