/**
 * Timers for many simulated agents: callbacks due within the same `tickMs` window run together,
 * in ONE macrotask, so what they publish leaves in one socket write instead of one write each (a
 * write on loopback costs more than the simulated work). A callback never runs early; it may run
 * up to `tickMs` late.
 */
export class CoarseTimers {
  readonly #tickMs: number;
  readonly #due = new Map<number, Set<() => void>>();
  readonly #timers = new Map<number, NodeJS.Timeout>();

  constructor(tickMs: number) {
    this.#tickMs = tickMs;
  }

  /** Runs `fn` once, `ms` from now (rounded up to the window); returns a cancel function. */
  schedule(ms: number, fn: () => void): () => void {
    const slot = Math.ceil((Date.now() + ms) / this.#tickMs) * this.#tickMs;
    let fns = this.#due.get(slot);
    if (!fns) {
      this.#due.set(slot, (fns = new Set()));
      this.#timers.set(slot, setTimeout(() => this.#fire(slot), Math.max(0, slot - Date.now())));
    }
    const entry = () => fn();
    fns.add(entry);
    return () => {
      fns.delete(entry);
    };
  }

  /** Cancels everything scheduled. */
  clear(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#due.clear();
  }

  #fire(slot: number): void {
    const fns = this.#due.get(slot);
    this.#due.delete(slot);
    this.#timers.delete(slot);
    for (const fn of fns ?? []) fn();
  }
}
