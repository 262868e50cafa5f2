/**
 * The timers of one task's probes (health or readiness checks): each probe runs `afterMs` from
 * when it is scheduled; `stop()` cancels every pending one, and nothing is scheduled after it.
 */
export class ProbeTimers {
  private readonly timers = new Set<NodeJS.Timeout>();
  private halted = false;

  get stopped(): boolean {
    return this.halted;
  }

  schedule(afterMs: number, run: () => Promise<void>): void {
    if (this.halted) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void run();
    }, afterMs);
    this.timers.add(timer);
  }

  stop(): void {
    this.halted = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
