import type { JsMsg } from '@nats-io/jetstream';

/**
 * Tells JetStream that messages still being worked on are not lost (`+WPI`), so a long effect
 * (a render, an upload) does not look like a dead worker and get its message redelivered
 * elsewhere. One timer for all batches in flight rather than one per batch.
 */
export class KeepAlive {
  readonly #held = new Set<readonly { kind: string; m?: JsMsg }[]>();
  readonly #periodMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(ackWaitMs: number) {
    this.#periodMs = Math.max(500, ackWaitMs / 2);
  }

  hold(items: readonly { kind: string; m?: JsMsg }[]): void {
    this.#held.add(items);
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      for (const batch of this.#held) for (const item of batch) item.m?.working();
    }, this.#periodMs);
    this.#timer.unref();
  }

  release(items: readonly { kind: string; m?: JsMsg }[]): void {
    this.#held.delete(items);
    if (this.#held.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
