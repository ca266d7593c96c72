import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { OmnivaError } from '../../protocols/index.ts';
import { AsyncPublisher, type PublishReply } from '../stardust/publisher.ts';

function refused(subject: string, reply: PublishReply & { ok: false }): OmnivaError {
  return new OmnivaError(
    'OMNIVA_ERR_PUBLISH_FAILED',
    `publish to ${subject} refused: ${reply.description}`,
    reply.errCode === undefined ? undefined : { errCode: reply.errCode },
  );
}

/**
 * JetStream publishes that resolve on the stream's ack, sharing one reply subscription and one
 * timeout sweep instead of a request object, a timer and an error stack per publish — on the
 * hot path that cost more than the rest of the runtime's work together.
 */
export class AckedPublisher {
  readonly #pub: AsyncPublisher;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, { deadline: number; reject: (e: Error) => void }>();
  #sweep: NodeJS.Timeout | undefined;

  constructor(nc: NatsConnection, timeoutMs = 5_000) {
    this.#pub = new AsyncPublisher(nc);
    this.#timeoutMs = timeoutMs;
  }

  /** Resolves with the stream sequence; `headers` carry Nats-Msg-Id for deduplication. */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs): Promise<number> {
    this.#armSweep();
    return new Promise((resolve, reject) => {
      const token = this.#pub.publish(subject, data, headers, (reply) => {
        this.#pending.delete(token);
        if (reply.ok) resolve(reply.seq);
        else reject(refused(subject, reply));
      });
      this.#pending.set(token, { deadline: Date.now() + this.#timeoutMs, reject });
    });
  }

  /**
   * Publishes several messages and resolves once the stream acknowledged every one (one promise
   * for the lot); rejects with the first refusal or timeout.
   */
  publishAll(
    msgs: readonly { subject: string; data: Uint8Array; headers: MsgHdrs }[],
  ): Promise<void> {
    if (msgs.length === 1) {
      const [m] = msgs as [{ subject: string; data: Uint8Array; headers: MsgHdrs }];
      return this.publish(m.subject, m.data, m.headers).then(() => undefined);
    }
    this.#armSweep();
    return new Promise((resolve, reject) => {
      let left = msgs.length;
      let failed = false;
      const tokens: string[] = [];
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        for (const t of tokens) {
          this.#pending.delete(t);
          this.#pub.forget(t);
        }
        reject(e);
      };
      const deadline = Date.now() + this.#timeoutMs;
      for (const { subject, data, headers } of msgs) {
        if (failed) return;
        let token: string;
        try {
          token = this.#pub.publish(subject, data, headers, (reply) => {
            this.#pending.delete(token);
            if (!reply.ok) fail(refused(subject, reply));
            else if (--left === 0) resolve();
          });
        } catch (e) {
          fail(e as Error);
          return;
        }
        tokens.push(token);
        this.#pending.set(token, { deadline, reject: fail });
      }
    });
  }

  #armSweep(): void {
    if (this.#sweep) return;
    this.#sweep = setInterval(() => {
      const now = Date.now();
      for (const [token, p] of this.#pending) {
        if (p.deadline > now) continue;
        this.#pending.delete(token);
        this.#pub.forget(token);
        p.reject(
          new OmnivaError('OMNIVA_ERR_TIMEOUT', `no publish ack within ${this.#timeoutMs} ms`),
        );
      }
      if (this.#pending.size === 0) {
        clearInterval(this.#sweep);
        this.#sweep = undefined;
      }
    }, 250);
    this.#sweep.unref();
  }

  close(): void {
    clearInterval(this.#sweep);
    this.#sweep = undefined;
    for (const p of this.#pending.values())
      p.reject(new OmnivaError('OMNIVA_ERR_TIMEOUT', 'publisher closed'));
    this.#pending.clear();
    this.#pub.close();
  }
}
