import type { HealthProbe, ProbeResult } from "../domain/index.ts";
import type { HealthProber, ProbeContext } from "./ports.ts";

/** What to do after one probe's result: probe it again after its interval, or not. */
export type NextRound = "again" | "done";

/**
 * Runs one task's probes (health or readiness checks), each on its own timer: first after its
 * delay, then `interval` after the previous probe of it ended (probes of one check never
 * overlap), as long as `onResult` says "again". `stop()` cancels every pending probe, and a result
 * that arrives after it is dropped.
 */
export class ProbeRounds {
  private readonly timers = new Set<NodeJS.Timeout>();
  private halted = false;
  private readonly probes: readonly HealthProbe[];
  private readonly prober: HealthProber;
  private readonly context: ProbeContext;
  private readonly onResult: (index: number, result: ProbeResult) => NextRound;

  constructor(probes: readonly HealthProbe[], prober: HealthProber, context: ProbeContext, onResult: (index: number, result: ProbeResult) => NextRound) {
    this.probes = probes;
    this.prober = prober;
    this.context = context;
    this.onResult = onResult;
  }

  start(): void {
    for (const [i, probe] of this.probes.entries()) this.schedule(i, probe.delayMs);
  }

  stop(): void {
    this.halted = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(index: number, afterMs: number): void {
    if (this.halted) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.run(index);
    }, afterMs);
    this.timers.add(timer);
  }

  private async run(index: number): Promise<void> {
    const probe = this.probes[index]!;
    const result = await this.prober.probe(probe, this.context);
    if (this.halted) return;
    if (this.onResult(index, result) === "again") this.schedule(index, probe.intervalMs);
  }
}
