/**
 * One FIFO per instance key: an instance handles its messages one at a time and in
 * order, while different instances run concurrently.
 */
export class Mailboxes {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail = next.catch(() => undefined);
    this.#tails.set(key, tail);
    tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }

  get busy(): number {
    return this.#tails.size;
  }

  /** Resolves true once every queued task finished, false if `timeoutMs` passed first. */
  async settled(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#tails.size > 0) {
      if (Date.now() > deadline) return false;
      await Promise.race([
        Promise.all(this.#tails.values()),
        new Promise((r) => setTimeout(r, 50)),
      ]);
    }
    return true;
  }
}
