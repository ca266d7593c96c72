// Helpers for lease tests that need a process to stall the way a GC pause or SIGSTOP does.

/** Blocks this thread for `ms`: no timer, I/O callback or microtask runs meanwhile. */
export function freeze(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
