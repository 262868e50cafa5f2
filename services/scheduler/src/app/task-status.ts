import type { agentV1 } from "@gantry/proto";
import { afterFailure, instanceState, isProgress, isTerminal, type BackoffState, type Instance, type TaskStateName } from "../domain/index.ts";
import { CommandBatches, killTaskCommand } from "./agent-commands.ts";
import { DecisionBuilder } from "./decision-builder.ts";
import { deploymentProgress } from "./deployment-rollout.ts";
import { backoffChange, healthChange, readyChange, statusChange, type HealthChange } from "./instance-events.ts";
import type { SchedulerContext } from "./scheduler.ts";
import { taskStateName } from "./task-state-codec.ts";

/** One agent report and its place in the AGENT_STATUS stream. */
export interface StatusReport {
  update: agentV1.TaskStatusUpdate;
  sequence: bigint;
}

/**
 * Agents' status reports, one of the scheduler's inputs (read in AGENT_STATUS order, only by the
 * leader), recorded in batches: every report of the batch that moves a live task forward becomes
 * a TaskStatusChanged (with its stream sequence: where a new leader resumes), and with it the
 * run spec's launch backoff (raised after a failure, reset once an instance runs); a report that
 * carries a health verdict (`healthy`) for a task then RUNNING, other than the one recorded,
 * becomes a TaskHealthChanged (after the TaskStatusChanged when the same report started it); all
 * in ONE transaction. Reports that change nothing (duplicates, late ones, tasks that ended or
 * were never placed) are not recorded: the heartbeat repairs whatever an agent still runs that
 * the scheduler does not want. A pod instance ends as a whole: when one task ends, the others
 * are killed. The deployments these reports complete (a step, or the whole plan) are recorded
 * in the same transaction, judged on the instances as the reports leave them.
 */
export async function onTaskStatuses(ctx: SchedulerContext, reports: readonly StatusReport[]): Promise<void> {
  ctx.leading();
  const { state, ports } = ctx;
  const decision = new DecisionBuilder();
  // What the batch changes, seen by its later reports before anything is written.
  const taskStates = new Map<string, TaskStateName>();
  const verdicts = new Map<string, boolean>();
  const backoffs = new Map<string, BackoffState | undefined>();
  const changed: { inst: Instance; taskId: string; next: TaskStateName; message: string }[] = [];
  const healthChanged: { inst: Instance; change: HealthChange }[] = [];
  const readied = new Set<string>();
  const becameReady: Instance[] = [];
  for (const { update, sequence } of reports) {
    const inst = state.instanceOfTask(update.taskId);
    const next = taskStateName(update.state);
    if (!inst) {
      ports.logger.debug({ task: update.taskId, state: next, sequence: sequence.toString() }, "status of a task that is not live; ignored");
      continue;
    }
    const task = inst.tasks.find((t) => t.taskId === update.taskId);
    const current = taskStates.get(update.taskId) ?? task?.state;
    if (current === undefined) continue;
    if (isProgress(current, next)) {
      taskStates.set(update.taskId, next);
      const after = instanceState(inst.tasks.map((t) => ({ ...t, state: taskStates.get(t.taskId) ?? t.state })));
      decision.add(statusChange(ctx, inst, { taskId: update.taskId, state: next, message: update.message, timestamp: update.timestamp, exitCode: update.exitCode, signal: update.signal, reason: update.reason, statusSequence: sequence }));
      const known = state.runSpecs.get(inst.appId);
      const backoff = backoffs.has(inst.appId) ? backoffs.get(inst.appId) : state.backoff.get(inst.appId);
      if (after === "TASK_RUNNING" && backoff) {
        backoffs.set(inst.appId, undefined);
        decision.add(backoffChange(ctx, inst.appId, undefined));
      }
      if (known && isTerminal(next) && !inst.killRequested && next !== "TASK_FINISHED") {
        const raised = afterFailure(backoff, ports.now(), known.demand.backoff);
        backoffs.set(inst.appId, raised);
        decision.add(backoffChange(ctx, inst.appId, raised));
      }
      changed.push({ inst, taskId: update.taskId, next, message: update.message });
    }
    // Readiness is reported once, for a running task; once ready, a task stays so.
    const running = (taskStates.get(update.taskId) ?? current) === "TASK_RUNNING";
    if (update.ready === true && running && task?.ready === undefined && !readied.has(update.taskId)) {
      readied.add(update.taskId);
      decision.add(readyChange(ctx, inst, { taskId: update.taskId, message: update.message, timestamp: update.timestamp, statusSequence: sequence }));
      becameReady.push(inst);
    }
    const healthy = update.healthy;
    // Only a running task's verdict counts: one reported for a task that is stopping or stopped is late.
    if (healthy === undefined || (taskStates.get(update.taskId) ?? current) !== "TASK_RUNNING") continue;
    if (healthy === (verdicts.get(update.taskId) ?? task?.health?.healthy)) continue;
    verdicts.set(update.taskId, healthy);
    const change: HealthChange = { taskId: update.taskId, healthy, message: update.message, timestamp: update.timestamp, statusSequence: sequence };
    decision.add(healthChange(ctx, inst, change));
    healthChanged.push({ inst, change });
  }
  if (decision.size === 0) return;
  const touched = new Map<string, Instance>();
  for (const inst of [...changed.map((c) => c.inst), ...healthChanged.map((h) => h.inst), ...becameReady]) touched.set(inst.instanceId, inst);
  const after = new Map([...touched.values()].map((inst) => [inst.instanceId, afterReports(inst, taskStates, verdicts, readied)]));
  const progress = deploymentProgress(ctx, function* (appId) {
    for (const inst of state.instancesOf(appId)) yield after.get(inst.instanceId) ?? inst;
  });
  for (const batch of progress.batches) decision.add(batch);
  await ctx.append(decision.batches());
  const kills = new CommandBatches();
  for (const { inst, taskId, next, message } of changed) {
    ports.logger.info({ task: taskId, agent: inst.agentId, app: inst.appId, instance: inst.instanceId, state: next, message }, "task state changed");
    if (inst.pod && isTerminal(next)) {
      for (const t of inst.tasks) if (t.taskId !== taskId && !isTerminal(taskStates.get(t.taskId) ?? t.state)) kills.add(inst.agentId, killTaskCommand(ctx, { taskId: t.taskId, appId: inst.appId }));
    }
  }
  for (const { inst, change } of healthChanged) {
    ports.logger.info({ task: change.taskId, agent: inst.agentId, app: inst.appId, instance: inst.instanceId, healthy: change.healthy, message: change.message }, "task health changed");
  }
  if (kills.agents > 0) kills.send(ctx);
  // A terminal task may need replacing; a running or newly healthy one may complete its
  // deployment, or let a rolling upgrade kill an old instance.
  const serving = [...changed.filter((c) => c.next === "TASK_RUNNING"), ...healthChanged.filter((h) => h.change.healthy), ...becameReady.map((inst) => ({ inst }))];
  for (const { inst } of serving) if (state.rolling.has(inst.appId)) state.dirty.add(inst.appId);
  if (serving.length > 0 || progress.stepStarted || changed.some((c) => isTerminal(c.next))) ctx.reconcileSoon();
}

/** An instance as the batch's TaskStatusChanged, TaskHealthChanged and TaskReady events leave it once folded (what deployments are judged on). */
function afterReports(inst: Instance, taskStates: ReadonlyMap<string, TaskStateName>, verdicts: ReadonlyMap<string, boolean>, readied: ReadonlySet<string>): Instance {
  const tasks = inst.tasks.map((t) => {
    const verdict = verdicts.get(t.taskId);
    return {
      ...t,
      state: taskStates.get(t.taskId) ?? t.state,
      ...(verdict === undefined ? {} : { health: { healthy: verdict, message: "", changedAt: "" } }),
      ...(readied.has(t.taskId) ? { ready: { message: "", at: "" } } : {}),
    };
  });
  return { ...inst, tasks, state: instanceState(tasks) };
}
