import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type StoredMsg,
} from '@nats-io/jetstream';
import { HEADERS, OmnivaError } from '../../protocols/index.ts';
import {
  type ParsedPacket,
  parseStoredPacket,
  STARDUST_STREAM,
  type StardustPacket,
  stardustPacketSubject,
} from './packet.ts';

/** A message read back from the ledger, checked on its own (not against its neighbours). */
export interface StoredEntry {
  seq: number;
  subject: string;
  parsed: ParsedPacket;
}

/** Where the chain continues: the stream's last sequence and the last valid packet's id. */
export interface ChainHead {
  /** `Nats-Expected-Last-Sequence` for the next append. */
  seq: number;
  /** `prev` for the next append: the last valid packet at or before `seq`, or null. */
  id: string | null;
}

export interface ScanMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
  /** `Nats-Msg-Id`; read on demand, decoding headers costs more than the body (cold index). */
  msgId(): string | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads of the STARDUST stream; every read goes to the stream leader, never a stale replica. */
export class LedgerStore {
  readonly site: string;
  readonly jsm: JetStreamManager;
  readonly js: JetStreamClient;

  readonly #closed: () => boolean;

  /** `closed` tells when retrying is pointless (the connection is gone for good). */
  constructor(
    site: string,
    jsm: JetStreamManager,
    js: JetStreamClient,
    closed: () => boolean = () => false,
  ) {
    this.site = site;
    this.jsm = jsm;
    this.js = js;
    this.#closed = closed;
  }

  /**
   * The stream's bounds, as its leader sees them. A replica that has just restarted and has
   * not found the leader yet answers stream info too, with its own (stale) state: such an
   * answer names no leader and is asked again.
   */
  async state(): Promise<{ first: number; last: number; messages: number }> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const info = await this.jsm.streams.info(STARDUST_STREAM);
      if (info.config.num_replicas <= 1 || info.cluster?.leader || Date.now() > deadline) {
        return {
          first: info.state.first_seq,
          last: info.state.last_seq,
          messages: info.state.messages,
        };
      }
      await sleep(100);
    }
  }

  #entry(m: StoredMsg): StoredEntry {
    return {
      seq: m.seq,
      subject: m.subject,
      parsed: parseStoredPacket(this.site, m.subject, m.data, m.header?.get(HEADERS.msgId)),
    };
  }

  async bySeq(seq: number): Promise<StoredEntry | undefined> {
    const m = await this.jsm.streams.getMessage(STARDUST_STREAM, { seq });
    return m ? this.#entry(m) : undefined;
  }

  /** The message recorded for kind + ref, if any (there is at most one unless tampered). */
  async byRef(kind: string, ref: string): Promise<StoredEntry | undefined> {
    const last_by_subj = stardustPacketSubject(this.site, kind, ref);
    const m = await this.jsm.streams.getMessage(STARDUST_STREAM, { last_by_subj });
    return m ? this.#entry(m) : undefined;
  }

  /**
   * The chain head. Normally the last message is the last packet; after tampering (a deleted
   * or forged last message) the chain continues from the last valid packet, and `verify`
   * reports the break.
   */
  async head(): Promise<ChainHead> {
    const { first, last } = await this.state();
    for (let seq = last; seq >= first && seq > 0; seq--) {
      const e = await this.bySeq(seq);
      if (e?.parsed.ok) return { seq: last, id: e.parsed.packet.stardust_id };
    }
    return { seq: last, id: null };
  }

  /** Retries `fn` through a leader election or reconnect, until `deadline` (epoch ms). */
  async retrying<T>(what: string, deadline: number, fn: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await fn();
      } catch (e) {
        if (Date.now() + 50 > deadline || this.#closed()) {
          throw new OmnivaError(
            'OMNIVA_ERR_STARDUST_UNAVAILABLE',
            `ledger stream unavailable while trying to ${what}: ${(e as Error).message}`,
            { site: this.site },
            { cause: e },
          );
        }
        await sleep(Math.min(1_000, 25 * 2 ** i));
      }
    }
  }

  /**
   * Reads every message in sequence order, from the first, with an ordered consumer: until the
   * messages stored when it started are read (a snapshot scan), or on, following the stream,
   * when `follow` is set (until `signal`). `onCaughtUp` fires once, when that snapshot is read.
   *
   * An ephemeral consumer of a replicated stream may sit on a replica that is still catching
   * up (just restarted) and skip what it has not got yet; the gaps it leaves are filled from
   * the stream leader, so a scan sees exactly what the leader holds.
   */
  async scan(
    opts: { follow?: boolean; signal?: AbortSignal; onCaughtUp?: () => void },
    onMessage: (m: ScanMessage) => void,
  ): Promise<void> {
    const { first, last, messages } = await this.state();
    let next = Math.max(1, first);
    let caughtUp = false;
    const markCaughtUp = () => {
      if (caughtUp) return;
      caughtUp = true;
      opts.onCaughtUp?.();
    };
    const deliver = (m: ScanMessage) => {
      onMessage(m);
      next = m.seq + 1;
      if (m.seq >= last) markCaughtUp();
    };
    if (messages === 0 || last < next) {
      markCaughtUp();
      if (!opts.follow) return;
    }
    const consumer = await this.js.consumers.get(STARDUST_STREAM, {
      deliver_policy: DeliverPolicy.All,
    });
    const it = await consumer.consume({ max_messages: 4096, threshold_messages: 2048 });
    const stop = () => it.stop();
    opts.signal?.addEventListener('abort', stop, { once: true });
    try {
      if (opts.signal?.aborted) return;
      for await (const m of it) {
        const seq = m.info.streamSequence;
        if (seq < next) continue;
        if (seq > next) await this.#fill(next, seq - 1, deliver);
        deliver({
          seq,
          subject: m.subject,
          data: m.data,
          msgId: () => m.headers?.get(HEADERS.msgId),
        });
        // The consumer has nothing more: what is missing up to the snapshot, the leader has.
        if (m.info.pending === 0 && !caughtUp) {
          await this.#fill(next, last, deliver);
          // Whatever is still missing up to the snapshot was deleted.
          markCaughtUp();
        }
        if (caughtUp && !opts.follow) break;
        if (opts.signal?.aborted) break;
      }
    } finally {
      opts.signal?.removeEventListener('abort', stop);
      it.stop();
    }
  }

  // Reads `from..to` one message at a time from the leader; deleted sequences stay absent.
  async #fill(from: number, to: number, deliver: (m: ScanMessage) => void): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (let seq = from; seq <= to; seq++) {
      const m = await this.retrying('read a message', deadline, () =>
        this.jsm.streams.getMessage(STARDUST_STREAM, { seq }),
      );
      if (!m) continue;
      deliver({ seq, subject: m.subject, data: m.data, msgId: () => m.header?.get(HEADERS.msgId) });
    }
  }
}

export type { StardustPacket };
