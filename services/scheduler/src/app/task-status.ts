import type { agentV1 } from "@gantry/proto";
import { afterFailure, isProgress, isTerminal } from "../domain/index.ts";
import { backoffChange, statusChange } from "./instance-events.ts";
import type { StreamBatch } from "./ports.ts";
import type { SchedulerContext } from "./scheduler.ts";
import { taskStateName } from "./task-state-codec.ts";

/**
 * Agents' status reports, one of the scheduler's inputs (read in AGENT_STATUS order, only by the
 * leader). A report that moves a live task forward is recorded with its stream sequence (where a
 * new leader resumes), and with it the app's launch backoff: raised after a failure, reset once a
 * task runs, both in the log so that a new leader keeps them. Reports that do not move a task
 * forward (duplicates, late ones, tasks that ended or were never placed) change nothing: the
 * heartbeat repairs whatever an agent still runs that the scheduler does not want.
 */
export async function onTaskStatus(ctx: SchedulerContext, update: agentV1.TaskStatusUpdate, sequence: bigint): Promise<void> {
  ctx.leading();
  const { state, ports } = ctx;
  const inst = state.instanceOfTask(update.taskId);
  const next = taskStateName(update.state);
  if (!inst) {
    ports.logger.debug({ task: update.taskId, state: next, sequence: sequence.toString() }, "status of a task that is not live; ignored");
    return;
  }
  if (!isProgress(inst.state, next)) return;
  const appends: StreamBatch[] = [
    statusChange(ctx, inst, { state: next, message: update.message, timestamp: update.timestamp, exitCode: update.exitCode, signal: update.signal, statusSequence: sequence }),
  ];
  const app = state.apps.get(inst.appId);
  if (next === "TASK_RUNNING" && state.backoff.has(inst.appId)) appends.push(backoffChange(ctx, inst.appId, undefined));
  if (app && isTerminal(next) && !inst.killRequested && next !== "TASK_FINISHED") {
    appends.push(backoffChange(ctx, app.id, afterFailure(state.backoff.get(app.id), ports.now(), app)));
  }
  await ctx.append(appends);
  ports.logger.info({ task: inst.taskId, agent: inst.agentId, app: inst.appId, instance: inst.instanceId, state: next, message: update.message }, "task state changed");
  // A terminal task may need replacing; a running one may complete its deployment.
  if (isTerminal(next) || next === "TASK_RUNNING") ctx.reconcileSoon();
}
