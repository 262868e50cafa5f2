import type { Logger } from "@gantry/platform/logging";
import { HealthVerdict, taskHealth, type HealthProbe, type ProbeResult } from "../domain/index.ts";
import type { HealthProber, ProbeContext } from "./ports.ts";
import { ProbeRounds, type NextRound } from "./probe-rounds.ts";

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
  private readonly rounds: ProbeRounds;
  private readonly verdicts: HealthVerdict[];
  private reported: boolean | undefined;
  private passed: boolean;
  private readonly probes: readonly HealthProbe[];
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
    this.events = options.events;
    this.logger = options.logger;
    this.nowMs = options.nowMs;
    this.verdicts = options.probes.map((p) => new HealthVerdict(p, options.taskStartedAtMs, options.passedBefore));
    this.passed = options.passedBefore;
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
    if (step.kill === undefined) return "again";
    this.stop();
    this.events.kill(step.kill);
    return "done";
  }
}
