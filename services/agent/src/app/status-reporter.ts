import { create } from "@bufbuild/protobuf";
import { agentV1, type schedulerV1Model } from "@gantry/proto";
import type { TaskCheckpoint, TaskOutcome } from "../domain/index.ts";
import type { SupervisorPorts } from "./ports.ts";

/** A task's final state as checkpointed and published. */
export type FinalReport = NonNullable<TaskCheckpoint["final"]>;

/** What a non-final report may add: a health verdict change, or readiness passed. */
export interface ReportExtras {
  healthy?: boolean;
  ready?: boolean;
}

/**
 * How the agent tells the scheduler about its tasks (TaskStatusUpdate on the status sink): a
 * non-final state under a new update id; a final state under the id and time it was recorded
 * with, so a re-publish after a restart is recognised as the same report.
 */
export class StatusReporter {
  private readonly agentId: string;
  private readonly ports: Pick<SupervisorPorts, "status" | "logger" | "now" | "newId">;

  constructor(agentId: string, ports: Pick<SupervisorPorts, "status" | "logger" | "now" | "newId">) {
    this.agentId = agentId;
    this.ports = ports;
  }

  /** A final report of an outcome, stamped now with a new update id (to checkpoint, then publish). */
  finalOf(outcome: TaskOutcome): FinalReport {
    return { ...outcome, timestamp: this.ports.now().toISOString(), updateId: this.ports.newId() };
  }

  /** Reports a non-final state; failures are logged (a later state supersedes it). */
  report(taskId: string, state: schedulerV1Model.TaskState, message: string): void {
    this.reportFor(taskId, state, message).catch((err) => this.ports.logger.debug({ err, task: taskId }, "status not reported"));
  }

  /** Reports a state that is not final (STAGING, RUNNING, KILLING, a health or readiness change), under a new update id. */
  reportFor(taskId: string, state: schedulerV1Model.TaskState, message: string, extra: ReportExtras = {}): Promise<void> {
    return this.send(taskId, { state, message, exitCode: -1, signal: "", reason: "", updateId: this.ports.newId(), timestamp: this.ports.now().toISOString(), ...extra });
  }

  /** Reports a final state as recorded. */
  reportFinal(taskId: string, final: FinalReport): Promise<void> {
    return this.send(taskId, { ...final, reason: final.reason ?? "" });
  }

  private send(taskId: string, u: { state: schedulerV1Model.TaskState; message: string; exitCode: number; signal: string; reason: string; updateId: string; timestamp: string } & ReportExtras): Promise<void> {
    return this.ports.status.report(create(agentV1.TaskStatusUpdateSchema, { taskId, agentId: this.agentId, ...u }));
  }
}
