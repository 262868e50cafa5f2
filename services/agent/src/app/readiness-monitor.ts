import type { Logger } from "@gantry/platform/logging";
import type { HealthProbe } from "../domain/index.ts";
import type { HealthProber, ProbeContext } from "./ports.ts";
import { ProbeTimers } from "./probe-timers.ts";

/**
 * Runs one task's readiness checks until they have all passed once (each on its own timer:
 * first at once, then `interval` after the previous probe ended), then tells `ready` once and
 * stops: Marathon's readiness is consulted by deployments, and a ready task stays ready.
 */
export class ReadinessMonitor {
  private readonly timers = new ProbeTimers();
  private readonly passed: boolean[];
  private readonly probes: readonly HealthProbe[];
  private readonly prober: HealthProber;
  private readonly context: ProbeContext;
  private readonly ready: (message: string) => void;
  private readonly logger: Logger;

  constructor(options: { probes: readonly HealthProbe[]; prober: HealthProber; context: ProbeContext; ready: (message: string) => void; logger: Logger }) {
    this.probes = options.probes;
    this.prober = options.prober;
    this.context = options.context;
    this.ready = options.ready;
    this.logger = options.logger;
    this.passed = options.probes.map(() => false);
  }

  start(): void {
    for (const [i, probe] of this.probes.entries()) this.schedule(i, probe.delayMs);
  }

  stop(): void {
    this.timers.stop();
  }

  private schedule(index: number, afterMs: number): void {
    this.timers.schedule(afterMs, () => this.run(index));
  }

  private async run(index: number): Promise<void> {
    const probe = this.probes[index]!;
    const result = await this.prober.probe(probe, this.context);
    if (this.timers.stopped) return;
    if (result.outcome !== "passed") {
      this.logger.debug({ check: probe.name, cause: result.outcome === "failed" ? result.cause : "ignored" }, "not ready yet");
      this.schedule(index, probe.intervalMs);
      return;
    }
    this.passed[index] = true;
    if (this.passed.every(Boolean)) {
      this.stop();
      this.ready(`ready: ${this.probes.map((p) => p.name).join(", ")} passed`);
    }
  }
}
