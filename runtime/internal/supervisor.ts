/**
 * Restart budget in the manner of OTP's intensity/period: at most `intensity`
 * restarts within `periodMs`; one more and the actor kind escalates.
 */
export class RestartBudget {
  readonly #intensity: number;
  readonly #periodMs: number;
  #restarts: number[] = [];

  constructor(intensity: number, periodMs: number) {
    this.#intensity = intensity;
    this.#periodMs = periodMs;
  }

  /** Records a crash at `now`; returns true when the budget is exhausted. */
  crash(now: number): boolean {
    this.#restarts = this.#restarts.filter((t) => now - t < this.#periodMs);
    this.#restarts.push(now);
    return this.#restarts.length > this.#intensity;
  }

  get recent(): number {
    return this.#restarts.length;
  }

  reset(): void {
    this.#restarts = [];
  }
}
