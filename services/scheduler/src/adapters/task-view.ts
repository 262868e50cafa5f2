import { create } from "@bufbuild/protobuf";
import { schedulerV1Model } from "@gantry/proto";
import { isTerminal, type Instance } from "../domain/index.ts";
import type { SchedulerState } from "../app/scheduler-state.ts";
import { taskStateProto } from "../app/task-state-codec.ts";

/** An instance's tasks as the gRPC API shows them: one per container (an app has one), each with its health verdict when it has one, and its readiness when its app has readiness checks. */
export function toProtoTasks(inst: Instance): schedulerV1Model.Task[] {
  return inst.tasks.map((t) =>
    create(schedulerV1Model.TaskSchema, {
      taskId: t.taskId,
      instanceId: inst.instanceId,
      appId: inst.appId,
      appVersion: inst.appVersion,
      agentId: inst.agentId,
      host: inst.host,
      state: taskStateProto(t.state),
      message: inst.message,
      updatedAt: new Date(inst.updatedAt).toISOString(),
      resources: inst.resources,
      exitCode: inst.exitCode,
      reason: inst.reason ?? "",
      ports: inst.ports.filter((p) => p.container === t.container).map((p) => ({ ...p })),
      ...(t.health ? { healthy: t.health.healthy, healthMessage: t.health.message, healthChangedAt: t.health.changedAt } : {}),
      ...(inst.gates?.readinessChecked ? { ready: t.ready !== undefined, readyMessage: t.ready?.message ?? "", readyAt: t.ready?.at ?? "" } : {}),
    }),
  );
}

/**
 * Live tasks counted per app as Marathon's app views count them: staged (STAGING, STARTING),
 * running, and of those healthy or unhealthy by their checks' verdict (neither while undecided).
 */
export function taskCounts(instances: Iterable<Instance>): { appId: string; staged: number; running: number; healthy: number; unhealthy: number }[] {
  const byApp = new Map<string, { appId: string; staged: number; running: number; healthy: number; unhealthy: number }>();
  for (const inst of instances) {
    let c = byApp.get(inst.appId);
    for (const t of inst.tasks) {
      if (t.state !== "TASK_STAGING" && t.state !== "TASK_STARTING" && t.state !== "TASK_RUNNING") continue;
      if (!c) byApp.set(inst.appId, (c = { appId: inst.appId, staged: 0, running: 0, healthy: 0, unhealthy: 0 }));
      if (t.state !== "TASK_RUNNING") c.staged++;
      else {
        c.running++;
        if (t.health?.healthy === true) c.healthy++;
        else if (t.health?.healthy === false) c.unhealthy++;
      }
    }
  }
  return [...byApp.values()];
}

type AppCounts = ReturnType<typeof taskCounts>;

/**
 * `ListTaskCounts`: one app's counts or every app's; every app's carry the same version as the
 * list of every live task, and a caller holding the current one gets "unchanged" and no counts.
 */
export function taskCountList(state: SchedulerState, request: { appId: string; knownVersion: string }): { counts: AppCounts; version: string; unchanged?: boolean } {
  const version = request.appId ? "" : state.instancesVersion;
  if (version !== "" && request.knownVersion === version) return { counts: [], version, unchanged: true };
  const live = request.appId ? [...state.instancesOf(request.appId)] : [...state.instances.values()];
  return { counts: taskCounts(live), version };
}

/**
 * `ListTasks`: one app's tasks or every task, live ones (and with `includeTerminal` the recently
 * ended too). The list of every live task carries the state's version: a caller that holds the
 * current one gets "unchanged" and no tasks (a load balancer polling every second ships nothing
 * while nothing changes).
 */
export function taskList(state: SchedulerState, request: { appId: string; includeTerminal: boolean; knownVersion: string }): { tasks: schedulerV1Model.Task[]; version: string; unchanged?: boolean } {
  const whole = request.appId === "" && !request.includeTerminal;
  const version = whole ? state.instancesVersion : "";
  if (whole && request.knownVersion === version) return { tasks: [], version, unchanged: true };
  const candidates = request.appId ? [...state.instancesOf(request.appId)] : [...state.instances.values()];
  if (request.includeTerminal) candidates.push(...state.recentlyEnded);
  const visible = candidates.filter((i) => (request.appId === "" || i.appId === request.appId) && (request.includeTerminal || !isTerminal(i.state)));
  return { tasks: visible.flatMap(toProtoTasks), version };
}
