import type { Logger } from "@gantry/platform/logging";
import { HealthVerdict, taskHealth, type HealthProbe } from "../domain/index.ts";
import type { HealthProber, ProbeContext } from "./ports.ts";
import { ProbeTimers } from "./probe-timers.ts";

/** What a health monitor tells its task's supervisor. */
export interface HealthMonitorEvents {
  /** The task's verdict changed (never called with undefined: undecided is where it starts). */
  changed(healthy: boolean, message: string): void;
  /** A check failed too many times in a row: the task must be killed, for `reason`. Called once. */
  kill(reason: string): void;
  /** The task passed all its checks for the first time (remembered across agent restarts: its grace period is over). */
  firstPassed(): void;
}

/**
 * Runs one task's health checks until stopped: each check on its own timer (first after its
 * delay, then `interval` after the previous probe ended, so probes of one check never overlap),
 * each result through the check's `HealthVerdict`, and the task's verdict (all checks) reported
 * when it changes. After a kill verdict nothing more is probed.
 */
export class HealthMonitor {
  private readonly timers = new ProbeTimers();
  private readonly verdicts: HealthVerdict[];
  private reported: boolean | undefined;
  private passed: boolean;
  private readonly probes: readonly HealthProbe[];
  private readonly prober: HealthProber;
  private readonly context: ProbeContext;
  private readonly events: HealthMonitorEvents;
  private readonly logger: Logger;
  private readonly nowMs: () => number;

  constructor(options: {
    probes: readonly HealthProbe[];
    taskStartedAtMs: number;
    /** The task passed its checks before (under an earlier agent process). */
    passedBefore: boolean;
    prober: HealthProber;
    context: ProbeContext;
    events: HealthMonitorEvents;
    logger: Logger;
    nowMs: () => number;
  }) {
    this.probes = options.probes;
    this.prober = options.prober;
    this.context = options.context;
    this.events = options.events;
    this.logger = options.logger;
    this.nowMs = options.nowMs;
    this.verdicts = options.probes.map((p) => new HealthVerdict(p, options.taskStartedAtMs, options.passedBefore));
    this.passed = options.passedBefore;
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
    const step = this.verdicts[index]!.record(result, this.nowMs());
    if (result.outcome === "failed") this.logger.debug({ check: probe.name, cause: result.cause, inARow: this.verdicts[index]!.failuresInARow }, "health check failed");
    const healthy = taskHealth(this.verdicts.map((v) => v.healthy));
    if (healthy !== undefined && healthy !== this.reported) {
      this.reported = healthy;
      const message = healthy ? `healthy: ${this.probes.map((p) => p.name).join(", ")} passed` : `unhealthy: ${probe.name} failed${result.outcome === "failed" ? `: ${result.cause}` : ""}`;
      this.events.changed(healthy, message);
    }
    if (healthy === true && !this.passed) {
      this.passed = true;
      this.events.firstPassed();
    }
    if (step.kill !== undefined) {
      this.stop();
      this.events.kill(step.kill);
      return;
    }
    this.schedule(index, probe.intervalMs);
  }
}
