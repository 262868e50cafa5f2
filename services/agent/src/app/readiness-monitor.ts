import type { Logger } from "@gantry/platform/logging";
import type { HealthProbe, ProbeResult } from "../domain/index.ts";
import type { HealthProber, ProbeContext } from "./ports.ts";
import { ProbeRounds, type NextRound } from "./probe-rounds.ts";

/**
 * Runs one task's readiness checks until they have all passed once (each on its own timer:
 * first at once, then `interval` after the previous probe ended), then tells `ready` once and
 * stops: Marathon's readiness is consulted by deployments, and a ready task stays ready.
 */
export class ReadinessMonitor {
  private readonly rounds: ProbeRounds;
  private readonly passed: boolean[];
  private readonly probes: readonly HealthProbe[];
  private readonly ready: (message: string) => void;
  private readonly logger: Logger;

  constructor(options: { probes: readonly HealthProbe[]; prober: HealthProber; context: ProbeContext; ready: (message: string) => void; logger: Logger }) {
    this.probes = options.probes;
    this.ready = options.ready;
    this.logger = options.logger;
    this.passed = options.probes.map(() => false);
    this.rounds = new ProbeRounds(options.probes, options.prober, options.context, (index, result) => this.record(index, result));
  }

  start(): void {
    this.rounds.start();
  }

  stop(): void {
    this.rounds.stop();
  }

  private record(index: number, result: ProbeResult): NextRound {
    const probe = this.probes[index]!;
    if (result.outcome !== "passed") {
      this.logger.debug({ check: probe.name, cause: result.outcome === "failed" ? result.cause : "ignored" }, "not ready yet");
      return "again";
    }
    this.passed[index] = true;
    if (this.passed.every(Boolean)) {
      this.stop();
      this.ready(`ready: ${this.probes.map((p) => p.name).join(", ")} passed`);
    }
    return "done";
  }
}
