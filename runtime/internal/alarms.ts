import type { TimerEntry } from './record.ts';

// setTimeout cannot wait longer than ~24.8 days; a longer deadline is re-armed when it wakes.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * In-process timers for the absolute deadlines stored in instance records. Arming the same
 * deadline twice is a no-op; a changed deadline replaces the old timer. Due deadlines are
 * handed to `onDue`; early wake-ups (long timers) to `onEarly` for re-arming.
 */
export class Alarms {
  readonly #armed = new Map<string, { at: number; handle: NodeJS.Timeout }>();

  constructor(
    private readonly now: () => number,
    private readonly onDue: (key: string, id: string, at: number) => void,
    private readonly onEarly: (key: string) => void,
  ) {}

  arm(key: string, timers: Readonly<Record<string, TimerEntry>>): void {
    for (const [id, t] of Object.entries(timers)) {
      const tk = `${key}\u0000${id}`;
      const armed = this.#armed.get(tk);
      if (armed?.at === t.at) continue;
      if (armed) clearTimeout(armed.handle);
      const delay = Math.min(Math.max(0, t.at - this.now()), MAX_TIMER_MS);
      const handle = setTimeout(() => {
        this.#armed.delete(tk);
        if (t.at > this.now()) this.onEarly(key);
        else this.onDue(key, id, t.at);
      }, delay);
      // The connection keeps a running host alive; a timer alone must not keep a stopped one.
      handle.unref();
      this.#armed.set(tk, { at: t.at, handle });
    }
  }

  clear(): void {
    for (const t of this.#armed.values()) clearTimeout(t.handle);
    this.#armed.clear();
  }
}
