import { create } from "@bufbuild/protobuf";
import { agentV1, schedulerV1Model } from "@gantry/proto";
import type { Logger } from "@gantry/platform/logging";
import { classifyTaskEnd, instanceShapeProblem, launchProblem, TaskReason, type TaskOutcome } from "../domain/index.ts";
import type { MsRange, SimulatedAgentOptions } from "./simulated-agent-options.ts";

const { TaskState } = schedulerV1Model;

/** What one simulated node needs from outside (NATS and timers stay out of it). */
export interface SimulatedNodePorts {
  /** Hands an update to the agent's status publisher, which keeps report order and retries until acknowledged. */
  report(update: agentV1.TaskStatusUpdate): void;
  /** Runs `fn` after `ms` milliseconds; the returned function cancels it. */
  schedule(ms: number, fn: () => void): () => void;
  now(): Date;
  newId(): string;
  logger: Logger;
}

/** The per-task draws of a simulation. */
export type SimulatedBehaviour = Pick<SimulatedAgentOptions, "launchDelayMs" | "failure" | "seed">;

interface SimulatedTask {
  taskId: string;
  /** Cancels the task's next scripted step (its RUNNING report, or its failure). */
  cancel: (() => void) | undefined;
}

/**
 * One simulated agent's tasks: no processes, the same reports as the real agent's
 * TaskSupervisor. A launch reports STAGING ("launch received") at once and RUNNING ("process
 * started") after a delay drawn from `launchDelayMs`; a task drawn to fail (share
 * `failure.rate`) then reports FAILED with `failure.exitCode` after a time drawn from
 * `failure.afterMs`; other tasks run until killed. A kill reports KILLING ("kill requested")
 * then KILLED ("killed on request", SIGTERM). Draws depend only on the seed and the task id,
 * so a run is repeatable whatever the arrival order.
 *
 * A LaunchInstance starts one such task per task id, apps and pods alike (nothing runs, so a
 * pod's shared sandbox and network cost nothing here); one whose shape no agent could take (no
 * run spec, not one usable task id per container) reports ERROR for each task id, remembered
 * as ended, as the real agent does.
 *
 * The real agent's decisions hold: a launch of a running id starts nothing; a launch or kill of
 * an ended id reports its final state again; a kill of an unknown id reports KILLED ("task was
 * not running on this agent") and refuses a later launch of it; a launch that cannot run
 * (bad task id, neither cmd nor args) reports ERROR. Resources and assignments are not checked
 * (the scheduler's job).
 */
export class SimulatedNode {
  readonly agentId: string;
  private readonly behaviour: SimulatedBehaviour;
  private readonly ports: SimulatedNodePorts;
  private readonly tasks = new Map<string, SimulatedTask>();
  /** Final reports of the tasks that ended, by task id (task ids are single-use). */
  private readonly ended = new Map<string, TaskOutcome>();
  private stopped = false;

  constructor(agentId: string, behaviour: SimulatedBehaviour, ports: SimulatedNodePorts) {
    this.agentId = agentId;
    this.behaviour = behaviour;
    this.ports = ports;
  }

  /** Ids of the tasks this agent runs now (starting or running), as its heartbeats list them. */
  runningTaskIds(): string[] {
    return [...this.tasks.keys()];
  }

  /** Acts on one command (commands of a batch in order); ignored once stopped. */
  handle(command: agentV1.AgentCommand): void {
    if (this.stopped) return;
    switch (command.command.case) {
      case "launch":
        return this.launch(command.command.value);
      case "launchInstance":
        return this.launchInstance(command.command.value);
      case "kill":
        return this.kill(command.command.value.taskId);
      default:
        this.ports.logger.warn("empty agent command ignored");
    }
  }

  /** Cancels every scripted step; reports nothing more (the node vanishes, as a machine that died). */
  stop(): void {
    this.stopped = true;
    for (const task of this.tasks.values()) task.cancel?.();
  }

  private launch(launch: agentV1.LaunchTask): void {
    const problem = launchProblem(launch);
    if (problem) {
      this.ports.logger.warn({ task: launch.taskId, problem }, "launch rejected");
      this.report(launch.taskId, { state: TaskState.ERROR, message: problem, exitCode: -1, signal: "", reason: TaskReason.invalid });
      return;
    }
    this.startTask(launch.taskId);
  }

  private launchInstance(launch: agentV1.LaunchInstance): void {
    if (launch.taskIds.some((id) => this.tasks.has(id) || this.ended.has(id))) {
      // As the real agent: an instance already known starts nothing; its ended tasks report again.
      for (const id of launch.taskIds) {
        const earlier = this.ended.get(id);
        if (earlier) this.report(id, earlier);
      }
      return;
    }
    const problem = instanceShapeProblem(launch);
    if (problem) {
      this.ports.logger.warn({ instance: launch.instanceId, problem }, "instance launch refused");
      for (const id of launch.taskIds) {
        const final: TaskOutcome = { state: TaskState.ERROR, message: problem, exitCode: -1, signal: "", reason: TaskReason.invalid };
        this.ended.set(id, final);
        this.report(id, final);
      }
      return;
    }
    for (const id of launch.taskIds) this.startTask(id);
  }

  /** Starts the scripted run of `taskId` unless it runs (nothing happens) or ended (its final state is reported again). */
  private startTask(taskId: string): void {
    if (this.tasks.has(taskId)) return;
    const earlier = this.ended.get(taskId);
    if (earlier) {
      this.report(taskId, earlier);
      return;
    }
    const task: SimulatedTask = { taskId, cancel: undefined };
    this.tasks.set(taskId, task);
    this.report(taskId, { state: TaskState.STAGING, message: "launch received", exitCode: -1, signal: "", reason: "" });
    const { seed, launchDelayMs, failure } = this.behaviour;
    task.cancel = this.ports.schedule(drawInRange(seed, `${taskId}/launch`, launchDelayMs), () => {
      task.cancel = undefined;
      this.report(taskId, { state: TaskState.RUNNING, message: "process started", exitCode: -1, signal: "", reason: "" });
      if (failure.rate > 0 && drawUnit(seed, `${taskId}/fail`) < failure.rate) {
        task.cancel = this.ports.schedule(drawInRange(seed, `${taskId}/fail-after`, failure.afterMs), () => {
          this.end(task, classifyTaskEnd({ status: failure.exitCode, wrapperSignal: undefined, killRequested: false, oomKilled: false, goneWhileAgentDown: false }));
        });
      }
    });
  }

  private kill(taskId: string): void {
    const task = this.tasks.get(taskId);
    if (!task) {
      const earlier = this.ended.get(taskId);
      if (earlier) return this.report(taskId, earlier);
      // As the real agent: nothing runs under this id, which is what the kill wants; remember it
      // so a launch arriving late is refused.
      const final: TaskOutcome = { state: TaskState.KILLED, message: "task was not running on this agent", exitCode: -1, signal: "", reason: TaskReason.unknown };
      this.ended.set(taskId, final);
      return this.report(taskId, final);
    }
    task.cancel?.();
    this.report(taskId, { state: TaskState.KILLING, message: "kill requested", exitCode: -1, signal: "", reason: "" });
    this.end(task, classifyTaskEnd({ status: undefined, wrapperSignal: "SIGTERM", killRequested: true, oomKilled: false, goneWhileAgentDown: false }));
  }

  private end(task: SimulatedTask, outcome: TaskOutcome): void {
    this.tasks.delete(task.taskId);
    this.ended.set(task.taskId, outcome);
    this.ports.logger.debug({ task: task.taskId, state: TaskState[outcome.state], exitCode: outcome.exitCode }, "simulated task ended");
    this.report(task.taskId, outcome);
  }

  private report(taskId: string, outcome: TaskOutcome): void {
    this.ports.report(
      create(agentV1.TaskStatusUpdateSchema, {
        taskId,
        agentId: this.agentId,
        state: outcome.state,
        message: outcome.message,
        timestamp: this.ports.now().toISOString(),
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        reason: outcome.reason,
        updateId: this.ports.newId(),
      }),
    );
  }
}

/** A number in [0, 1) that depends only on `seed` and `key` (cyrb53 hash of both). */
export function drawUnit(seed: number, key: string): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)) / 2 ** 53;
}

/** A whole number of milliseconds in `range` (inclusive), drawn from `seed` and `key`. */
export function drawInRange(seed: number, key: string, range: MsRange): number {
  return range.min + Math.floor(drawUnit(seed, key) * (range.max - range.min + 1));
}
