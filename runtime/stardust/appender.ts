import { OmnivaError } from '../../protocols/index.ts';
import type { Logger } from '../logger.ts';
import {
  type AppendInput,
  type PreparedAppend,
  packetHeaders,
  type StardustPacket,
  sealPrepared,
  stardustPacketSubject,
} from './packet.ts';
import type { AsyncPublisher, PublishReply } from './publisher.ts';
import type { ChainHead, LedgerStore, StoredEntry } from './store.ts';

export interface AppendResult {
  packet: StardustPacket;
  /** Stream sequence of the packet. */
  seq: number;
  /** True when kind + ref was already recorded: `packet` is the stored one, not a new one. */
  existing: boolean;
}

/** Counters since the appender was created. */
export interface AppenderStats {
  /** Packets this appender stored. */
  appended: number;
  /** Appends answered with a packet already recorded for their kind + ref. */
  existing: number;
  /** Windows that failed a check and were settled against the stream. */
  recoveries: number;
  /** Attempts that failed an optimistic-concurrency check (cascades included). */
  conflicts: number;
  /** Attempts without an answer in time. */
  timeouts: number;
}

export interface AppenderOptions {
  /** Appends on the wire at once; the window halves to 1 on a conflict and grows back. */
  maxInFlight?: number;
  /** An append without an answer after this long is reconciled against the stream. */
  ackTimeoutMs?: number;
  /**
   * How long one append keeps being rebuilt while other writers win the chain head before it
   * fails with OMNIVA_ERR_STARDUST_CONFLICT (retryable).
   */
  conflictTimeoutMs?: number;
  /** How long a resync keeps trying to reach the stream (leader election, reconnect). */
  recoverTimeoutMs?: number;
  now?: () => Date;
}

export interface AppenderDeps {
  store: LedgerStore;
  publisher: AsyncPublisher;
  log: Logger;
  /** Every packet this appender stored or found, in the order they were settled. */
  onStored?: (packet: StardustPacket, seq: number) => void;
  /** A job refused by the ledger (bad content, or a ref taken by an invalid message). */
  onRefused?: (input: AppendInput, error: OmnivaError, entry?: StoredEntry) => void;
}

interface Job {
  prepared: PreparedAppend;
  attempts: number;
  since: number;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

type Outcome = 'pending' | 'ok' | 'conflict' | 'suspect' | 'timeout' | 'error';

interface Attempt {
  job: Job;
  packet: StardustPacket;
  subject: string;
  expectSeq: number;
  sentAt: number;
  token: string;
  outcome: Outcome;
  error?: string;
}

// JetStream API error codes for a failed optimistic-concurrency check.
const WRONG_LAST_SEQUENCE = 10071;
const WRONG_LAST_MSG_ID = 10070;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Builds the hash chain and appends packets to it, one instance per site connection.
 *
 * Every append states what it expects the stream to look like — its last sequence
 * (`Nats-Expected-Last-Sequence`), its last packet id when that packet is still in flight
 * (`Nats-Expected-Last-Msg-Id`), and no message yet for kind + ref
 * (`Nats-Expected-Last-Subject-Sequence: 0`) — so the server itself refuses a packet whose
 * `prev` is not the packet right before it. That lets appends be pipelined on predicted
 * sequences: when any check fails (another writer, an existing ref, a lost ack) the window
 * is let to settle, what landed is found by subject, the head is re-read and the rest are
 * rebuilt on it.
 */
export class Appender {
  readonly site: string;
  readonly #deps: AppenderDeps;
  readonly #maxInFlight: number;
  readonly #ackTimeoutMs: number;
  readonly #conflictTimeoutMs: number;
  readonly #recoverTimeoutMs: number;
  readonly #now: () => Date;

  #queue: Job[] = [];
  #queueHead = 0;
  #inflight: Attempt[] = [];
  #unsettled = 0;
  #head: ChainHead | undefined;
  #mode: 'idle' | 'run' | 'settle' | 'recover' = 'idle';
  #cwnd: number;
  #recoveries = 0;
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #stats: AppenderStats = {
    appended: 0,
    existing: 0,
    recoveries: 0,
    conflicts: 0,
    timeouts: 0,
  };
  #idleWaiters: (() => void)[] = [];

  constructor(site: string, deps: AppenderDeps, opts: AppenderOptions = {}) {
    this.site = site;
    this.#deps = deps;
    this.#maxInFlight = Math.max(1, opts.maxInFlight ?? 512);
    this.#ackTimeoutMs = opts.ackTimeoutMs ?? 5_000;
    this.#conflictTimeoutMs = opts.conflictTimeoutMs ?? 30_000;
    this.#recoverTimeoutMs = opts.recoverTimeoutMs ?? 30_000;
    this.#now = opts.now ?? (() => new Date());
    this.#cwnd = this.#maxInFlight;
  }

  /** Queues a prepared input; resolves once the packet (or the existing one) is stored. */
  append(prepared: PreparedAppend): Promise<AppendResult> {
    if (this.#closed) {
      return Promise.reject(
        new OmnivaError('OMNIVA_ERR_STARDUST_UNAVAILABLE', 'the ledger appender is closed'),
      );
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ prepared, attempts: 0, since: Date.now(), resolve, reject });
      this.#kick();
    });
  }

  get stats(): Readonly<AppenderStats> {
    return { ...this.#stats };
  }

  /** Appends queued or in flight right now. */
  get pending(): number {
    return this.#queue.length - this.#queueHead + this.#unsettled;
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.pending === 0 && this.#mode !== 'recover') return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  /** Refuses new appends and waits for the queued ones to settle. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
    this.#stopSweeper();
  }

  #kick(): void {
    if (this.#mode === 'idle') {
      this.#mode = 'recover';
      void this.#recover([]);
      return;
    }
    if (this.#mode === 'run') this.#pump();
  }

  #pump(): void {
    const head = this.#head;
    if (this.#mode !== 'run' || !head) return;
    while (
      this.#mode === 'run' &&
      this.#unsettled < this.#cwnd &&
      this.#queueHead < this.#queue.length
    ) {
      const job = this.#queue[this.#queueHead] as Job;
      this.#queue[this.#queueHead++] = undefined as unknown as Job;
      this.#send(job, head);
    }
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    this.#notifyIdle();
  }

  // Mutates `head` to the predicted tail once the attempt is on the wire.
  #send(job: Job, head: ChainHead): void {
    const { packet, data } = sealPrepared(job.prepared, head.id, this.#now().toISOString());
    const subject = stardustPacketSubject(this.site, packet.kind, packet.ref);
    // The previous packet is still in flight: only its id tells it apart from a packet another
    // writer might have put at the sequence we predicted for it.
    const inFlightPrev = this.#unsettled > 0 && head.id !== null;
    const headers = packetHeaders(packet, {
      lastSeq: head.seq,
      ...(inFlightPrev ? { lastMsgId: head.id as string } : {}),
    });
    const attempt: Attempt = {
      job,
      packet,
      subject,
      expectSeq: head.seq,
      sentAt: Date.now(),
      token: '',
      outcome: 'pending',
    };
    head.seq += 1;
    head.id = packet.stardust_id;
    this.#inflight.push(attempt);
    this.#unsettled++;
    this.#startSweeper();
    try {
      attempt.token = this.#deps.publisher.publish(subject, data, headers, (r) =>
        this.#onReply(attempt, r),
      );
    } catch (e) {
      // Settled on the next tick so the pump loop that sent it is not re-entered.
      const description = (e as Error).message;
      queueMicrotask(() => this.#onReply(attempt, { ok: false, description }));
    }
  }

  #onReply(a: Attempt, r: PublishReply): void {
    if (a.outcome !== 'pending') return;
    if (r.ok) {
      // A duplicate at the predicted sequence is this very packet (same id, same content).
      if (r.seq === a.expectSeq + 1) {
        a.outcome = 'ok';
        this.#stats.appended++;
        if (this.#cwnd < this.#maxInFlight) this.#cwnd++;
        this.#deps.onStored?.(a.packet, r.seq);
        a.job.resolve({ packet: a.packet, seq: r.seq, existing: false });
      } else {
        a.outcome = 'suspect';
      }
    } else {
      a.outcome =
        r.errCode === WRONG_LAST_SEQUENCE || r.errCode === WRONG_LAST_MSG_ID ? 'conflict' : 'error';
      if (a.outcome === 'conflict') this.#stats.conflicts++;
      a.error = r.description;
    }
    this.#settled(a);
  }

  #settled(a: Attempt): void {
    this.#unsettled--;
    if (a.outcome !== 'ok' && this.#mode === 'run') this.#mode = 'settle';
    if (a.outcome === 'ok') this.#pruneSettled();
    if (this.#unsettled === 0) {
      this.#stopSweeper();
      const window = this.#inflight;
      this.#inflight = [];
      if (this.#mode === 'settle') {
        this.#mode = 'recover';
        void this.#recover(window);
        return;
      }
    }
    this.#pump();
  }

  // Acks arrive in order, so acknowledged attempts gather at the front; a recovery only needs
  // the window from the first failure on.
  #pruneSettled(): void {
    let i = 0;
    while (i < this.#inflight.length && this.#inflight[i]?.outcome === 'ok') i++;
    if (i >= 64) this.#inflight.splice(0, i);
  }

  #startSweeper(): void {
    if (this.#sweeper) return;
    const every = Math.max(50, Math.floor(this.#ackTimeoutMs / 4));
    this.#sweeper = setInterval(() => {
      const limit = Date.now() - this.#ackTimeoutMs;
      for (const a of this.#inflight) {
        if (a.outcome === 'pending' && a.sentAt < limit) {
          a.outcome = 'timeout';
          this.#stats.timeouts++;
          a.error = 'no acknowledgement in time';
          this.#deps.publisher.forget(a.token);
          this.#settled(a);
        }
      }
    }, every);
    this.#sweeper.unref();
  }

  #stopSweeper(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  /**
   * Settles a failed window: finds out which attempts landed after all, requeues the rest in
   * their order, re-reads the head. Also the first sync (an empty window).
   */
  async #recover(window: Attempt[]): Promise<void> {
    const deadline = Date.now() + this.#recoverTimeoutMs;
    const store = this.#deps.store;
    if (window.length > 0) this.#stats.recoveries++;
    const redo: (Job | undefined)[] = [];
    let contended = false;
    try {
      let firstFailure = true;
      const checks: Promise<void>[] = [];
      for (const a of window) {
        if (a.outcome === 'ok') continue;
        // After the first failure every later attempt fails its sequence check by design: it
        // did not land and needs no lookup; a second look happens on its next attempt.
        if (a.outcome === 'conflict' && !firstFailure) {
          redo.push(a.job);
          continue;
        }
        if (firstFailure) a.job.attempts++;
        firstFailure = false;
        const slot = redo.length;
        redo.push(a.job);
        checks.push(
          store
            .retrying('look up a ref', deadline, () => store.byRef(a.packet.kind, a.packet.ref))
            .then((entry) => {
              if (this.#settleFromStream(a, entry)) redo[slot] = undefined;
              else contended = true;
            }),
        );
      }
      await Promise.all(checks);
      if (contended) {
        this.#cwnd = 1;
        this.#recoveries++;
        // Two writers that keep colliding back off by different amounts and stop colliding.
        await sleep(Math.random() * Math.min(100, 2 ** this.#recoveries));
      } else if (window.length > 0) {
        this.#recoveries = 0;
      }
      this.#head = await store.retrying('read the chain head', deadline, () => store.head());
    } catch (e) {
      this.#failAll(redo, e);
      return;
    }
    const retry = redo.filter((job): job is Job => job !== undefined && this.#stillTrying(job));
    this.#queue = [...retry, ...this.#queue.slice(this.#queueHead)];
    this.#queueHead = 0;
    this.#mode = 'run';
    this.#pump();
  }

  /** True when the stream already settles this attempt (landed, or the ref is taken). */
  #settleFromStream(a: Attempt, entry: StoredEntry | undefined): boolean {
    if (!entry) return false;
    if (!entry.parsed.ok) {
      const error = new OmnivaError(
        'OMNIVA_ERR_STARDUST_CORRUPT',
        `ref ${a.packet.kind}.${a.packet.ref} is taken by an invalid message at sequence ${entry.seq}: ${entry.parsed.reason}`,
        { seq: entry.seq },
      );
      this.#refuse(a.job, error, entry);
      return true;
    }
    const stored = entry.parsed.packet;
    const mine = stored.stardust_id === a.packet.stardust_id;
    if (mine) this.#stats.appended++;
    else this.#stats.existing++;
    this.#deps.onStored?.(stored, entry.seq);
    a.job.resolve({ packet: stored, seq: entry.seq, existing: !mine });
    return true;
  }

  #stillTrying(job: Job): boolean {
    if (Date.now() - job.since < this.#conflictTimeoutMs) return true;
    const { kind, ref } = job.prepared.fields;
    job.reject(
      new OmnivaError(
        'OMNIVA_ERR_STARDUST_CONFLICT',
        `gave up appending ${kind}.${ref} after ${job.attempts} attempts in ${Date.now() - job.since} ms: other writers kept moving the chain head`,
        { kind, ref, attempts: job.attempts },
      ),
    );
    return false;
  }

  #refuse(job: Job, error: OmnivaError, entry?: StoredEntry): void {
    this.#deps.onRefused?.(job.prepared.input, error, entry);
    job.reject(error);
  }

  // The stream stayed out of reach past the deadline: fail what waits, start afresh next time.
  #failAll(redo: (Job | undefined)[], error: unknown): void {
    const queued = this.#queue.slice(this.#queueHead);
    this.#queue = [];
    this.#queueHead = 0;
    for (const job of [...redo, ...queued]) job?.reject(error);
    this.#head = undefined;
    this.#mode = 'idle';
    this.#deps.log.warn({ err: error, site: this.site }, 'stardust appender lost the stream');
    this.#notifyIdle();
  }

  #notifyIdle(): void {
    if (this.pending !== 0 || this.#mode === 'recover') return;
    for (const r of this.#idleWaiters.splice(0)) r();
  }
}
