import { OmnivaError } from '../../../protocols/index.ts';
import type { LedgerStore } from '../../../runtime/index.ts';

/** A packet's place in the ledger: enough to read it back by sequence. */
export interface StoryNode {
  stardust_id: string;
  seq: number;
}

export type TraceSource = Pick<LedgerStore, 'scan' | 'state'>;

interface Waiter {
  seq: number;
  resolve: () => void;
}

const decoder = new TextDecoder();

/**
 * trace_id → packets. The lineage index answers by id, parent and entity but not by trace,
 * and a trace is not in a packet's subject, so this reads the stream once (from the first
 * packet) and then follows it. Only ids and sequences are kept; packets are read on demand.
 * (A `byTrace` query on the runtime's LineageIndex, which already reads every packet, would
 * spare this second reader.)
 */
export class TraceIndex {
  readonly #source: TraceSource;
  readonly #byTrace = new Map<string, StoryNode[]>();
  #lastSeq = 0;
  #waiters: Waiter[] = [];
  #ready: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #stopped = false;

  constructor(source: TraceSource) {
    this.#source = source;
  }

  /** Highest stream sequence read so far. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Reads the stream and follows it; resolves once what was stored at the start is read. */
  start(): Promise<void> {
    if (this.#stopped) {
      return Promise.reject(
        new OmnivaError('OMNIVA_ERR_STARDUST_UNAVAILABLE', 'the trace index is stopped'),
      );
    }
    if (this.#ready) return this.#ready;
    const abort = new AbortController();
    this.#abort = abort;
    this.#ready = new Promise<void>((resolve, reject) => {
      let caughtUp = false;
      this.#source
        .scan(
          {
            follow: true,
            signal: abort.signal,
            onCaughtUp: () => {
              caughtUp = true;
              resolve();
            },
          },
          (m) => this.#ingest(m.seq, m.data),
        )
        .catch((e) => {
          // A failed first read is retried by the next question; a follower that dies after
          // catching up leaves the index as it was, and `sync` then times out loudly.
          if (!caughtUp) {
            this.#ready = undefined;
            reject(e);
          }
        });
    });
    return this.#ready;
  }

  /** Started, and caught up with everything stored when called. */
  async sync(timeoutMs = 10_000): Promise<void> {
    await this.start();
    const { last } = await this.#source.state();
    if (this.#lastSeq >= last) return;
    let timer: NodeJS.Timeout | undefined;
    let waiter: Waiter | undefined;
    const reached = new Promise<boolean>((resolve) => {
      waiter = { seq: last, resolve: () => resolve(true) };
      this.#waiters.push(waiter);
    });
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(this.#lastSeq >= last), timeoutMs);
    });
    try {
      if (!(await Promise.race([reached, late]))) {
        throw new OmnivaError(
          'OMNIVA_ERR_TIMEOUT',
          `the trace index did not reach ledger sequence ${last} within ${timeoutMs} ms`,
        );
      }
    } finally {
      clearTimeout(timer);
      // A waiter left behind by a timeout would stay for good if the follower has stopped.
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
    }
  }

  /** The packets recorded under a trace, in ledger order. */
  lookup(traceId: string): readonly StoryNode[] {
    return this.#byTrace.get(traceId) ?? [];
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  #ingest(seq: number, data: Uint8Array): void {
    let doc: { stardust_id?: unknown; trace_id?: unknown } | undefined;
    try {
      doc = JSON.parse(decoder.decode(data));
    } catch {
      doc = undefined;
    }
    // Whatever is not a packet is verify's to report; here it is only not indexed.
    if (typeof doc?.stardust_id === 'string' && typeof doc.trace_id === 'string') {
      const list = this.#byTrace.get(doc.trace_id);
      const node = { stardust_id: doc.stardust_id, seq };
      if (list) list.push(node);
      else this.#byTrace.set(doc.trace_id, [node]);
    }
    if (seq > this.#lastSeq) this.#lastSeq = seq;
    if (this.#waiters.length > 0) {
      const still: Waiter[] = [];
      for (const w of this.#waiters) {
        if (w.seq <= this.#lastSeq) w.resolve();
        else still.push(w);
      }
      this.#waiters = still;
    }
  }
}
