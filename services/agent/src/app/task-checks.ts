import { schedulerV1Model } from "@gantry/proto";
import type { HealthProbe, TaskCheckpoint } from "../domain/index.ts";
import { HealthMonitor } from "./health-monitor.ts";
import type { ProbeContext, SupervisorPorts } from "./ports.ts";
import { ReadinessMonitor } from "./readiness-monitor.ts";
import type { StatusReporter } from "./status-reporter.ts";

const { TaskState } = schedulerV1Model;

/** What the checks need of a running task, and where they keep their monitors. */
export interface CheckedTask {
  taskId: string;
  appId: string;
  paths: { sandbox: string };
  killGraceMs: number;
  killRequestedAt?: string;
  checkpoint?: TaskCheckpoint;
  health?: HealthMonitor;
  readiness?: ReadinessMonitor;
}

/** Where a task's probes run: its environment, its instance's address, how a command enters it. */
export type ProbeWhere = Omit<ProbeContext, "sandbox">;

/**
 * Runs a task's health and readiness checks (`HealthMonitor`, `ReadinessMonitor`) and carries
 * out what they decide: a change of health verdict is reported (RUNNING with `healthy`), a
 * first pass checkpointed (a restarted agent grants no new grace period), a check failing too
 * often kills the task (through `kill`, with the failure as reason); readiness passed is
 * reported once (RUNNING with `ready`) and checkpointed (not run again after a restart).
 */
export class TaskChecks {
  private readonly ports: Pick<SupervisorPorts, "health" | "logger" | "now" | "sandboxes">;
  private readonly reporter: StatusReporter;
  private readonly kill: (task: CheckedTask, reason: string) => void;

  constructor(ports: Pick<SupervisorPorts, "health" | "logger" | "now" | "sandboxes">, reporter: StatusReporter, kill: (task: CheckedTask, reason: string) => void) {
    this.ports = ports;
    this.reporter = reporter;
    this.kill = kill;
  }

  /** Starts the health checks (from `startedAtMs`, the task's start) and, unless already passed, the readiness checks. */
  start(task: CheckedTask, checks: { health: readonly HealthProbe[]; readiness: readonly HealthProbe[] }, startedAtMs: number, where: ProbeWhere): void {
    this.startHealth(task, checks.health, startedAtMs, where);
    if (task.checkpoint?.readyAt === undefined) this.startReadiness(task, checks.readiness, where);
  }

  /** Stops both (the task is ending, or the agent stopping). */
  stop(task: CheckedTask): void {
    task.health?.stop();
    task.readiness?.stop();
  }

  private startHealth(task: CheckedTask, probes: readonly HealthProbe[], startedAtMs: number, where: ProbeWhere): void {
    if (probes.length === 0) return;
    const log = this.ports.logger.child({ task: task.taskId, app: task.appId });
    task.health = new HealthMonitor({
      probes,
      taskStartedAtMs: startedAtMs,
      passedBefore: task.checkpoint?.healthPassedAt !== undefined,
      prober: this.ports.health,
      // Read when a probe runs: a re-attached task's instance is recovered after its checks start.
      context: { sandbox: task.paths.sandbox, ...where },
      logger: log,
      nowMs: () => this.ports.now().getTime(),
      events: {
        changed: (healthy, message) => {
          log.info({ healthy, why: message }, "task health changed");
          this.reporter.reportFor(task.taskId, TaskState.RUNNING, message, { healthy }).catch((err) => log.debug({ err }, "health change not reported"));
        },
        firstPassed: () => this.checkpoint(task, (cp) => (cp.healthPassedAt = this.ports.now().toISOString())),
        kill: (reason) => this.kill(task, reason),
      },
    });
    task.health.start();
  }

  private startReadiness(task: CheckedTask, probes: readonly HealthProbe[], where: ProbeWhere): void {
    if (probes.length === 0) return;
    const log = this.ports.logger.child({ task: task.taskId, app: task.appId });
    task.readiness = new ReadinessMonitor({
      probes,
      prober: this.ports.health,
      context: { sandbox: task.paths.sandbox, ...where },
      logger: log,
      ready: (message) => {
        log.info({ why: message }, "task ready");
        this.checkpoint(task, (cp) => (cp.readyAt = this.ports.now().toISOString()));
        this.reporter.reportFor(task.taskId, TaskState.RUNNING, message, { ready: true }).catch((err) => log.debug({ err }, "readiness not reported"));
      },
    });
    task.readiness.start();
  }

  /** Records something in the checkpoint of a task that has not ended. */
  private checkpoint(task: CheckedTask, change: (cp: TaskCheckpoint) => void): void {
    if (task.checkpoint === undefined || task.checkpoint.final !== undefined) return;
    change(task.checkpoint);
    this.ports.sandboxes.writeCheckpoint(task.checkpoint);
  }
}
