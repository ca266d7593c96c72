import {
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';

/** What JetStream answered to one publish, decoded. */
export type PublishReply =
  | { ok: true; seq: number; duplicate: boolean }
  | { ok: false; errCode?: number; description: string };

const decoder = new TextDecoder();

function parseReply(m: Msg): PublishReply {
  // "No responders": nothing listens on the subject (stream missing, or no leader yet).
  if (m.data.length === 0) {
    const status = m.headers?.code ?? 0;
    return { ok: false, description: `no stream answered (status ${status})` };
  }
  try {
    const r = JSON.parse(decoder.decode(m.data)) as {
      seq?: number;
      duplicate?: boolean;
      error?: { err_code?: number; description?: string };
    };
    if (r.error) {
      return {
        ok: false,
        ...(r.error.err_code === undefined ? {} : { errCode: r.error.err_code }),
        description: r.error.description ?? 'JetStream error',
      };
    }
    if (typeof r.seq !== 'number')
      return { ok: false, description: 'publish ack without a sequence' };
    return { ok: true, seq: r.seq, duplicate: r.duplicate === true };
  } catch {
    return { ok: false, description: 'publish ack is not JSON' };
  }
}

/**
 * Asynchronous JetStream publishes with one reply subscription for all of them (as the Go
 * client's PublishAsync): a publish costs a map entry, not a request object, a timer and a
 * promise each. Timeouts are the caller's (the appender sweeps its window); a reply that
 * comes after its publish was given up on is dropped.
 */
export class AsyncPublisher {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #waiting = new Map<string, (reply: PublishReply) => void>();
  #sub: Subscription | undefined;
  #next = 0;

  constructor(nc: NatsConnection, inboxPrefix?: string) {
    this.#nc = nc;
    this.#prefix = `${createInbox(inboxPrefix)}.`;
  }

  #subscribe(): void {
    if (this.#sub && !this.#sub.isClosed()) return;
    this.#sub = this.#nc.subscribe(`${this.#prefix}*`, {
      callback: (err, m) => {
        if (err) return;
        const token = m.subject.slice(this.#prefix.length);
        const done = this.#waiting.get(token);
        if (!done) return;
        this.#waiting.delete(token);
        done(parseReply(m));
      },
    });
  }

  /**
   * Publishes and calls `onReply` once with the stream's answer. Returns a token for
   * {@link forget}. Throws what `nc.publish` throws (closed connection, bad subject).
   */
  publish(
    subject: string,
    data: Uint8Array,
    headers: MsgHdrs,
    onReply: (reply: PublishReply) => void,
  ): string {
    this.#subscribe();
    const token = (this.#next++).toString(36);
    this.#waiting.set(token, onReply);
    try {
      this.#nc.publish(subject, data, { reply: this.#prefix + token, headers });
    } catch (e) {
      this.#waiting.delete(token);
      throw e;
    }
    return token;
  }

  /** Stops waiting for a reply (its publish timed out). */
  forget(token: string): void {
    this.#waiting.delete(token);
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  close(): void {
    this.#sub?.unsubscribe();
    this.#sub = undefined;
    this.#waiting.clear();
  }
}
