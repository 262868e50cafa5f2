import type { JsonObject } from "@bufbuild/protobuf";
import type { registryV1App, schedulerV1Model } from "@gantry/proto";
import { marathonTask } from "./marathon-task-view.ts";

/** Marathon's pod JSON (`raml.Pod`): the stored normalised definition with its id and `version`. */
export function marathonPod(pod: registryV1App.PodVersion): JsonObject {
  return { ...(pod.definition ?? {}), id: pod.id, version: pod.version };
}

const TERMINAL_STATES = new Set(["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_GONE", "TASK_KILLING"]);

/**
 * Marathon's `PodInstanceStatus.status` from its containers' task states (as Marathon maps an
 * instance condition): any container staging/starting ⇒ STAGING; all running ⇒ STABLE, unless a
 * container's health checks say it is unhealthy ⇒ DEGRADED; all terminal (or killing) ⇒
 * TERMINAL; a mix of running and terminal ⇒ DEGRADED.
 */
export function podInstanceState(taskStates: string[], unhealthy = false): "PENDING" | "STAGING" | "STABLE" | "DEGRADED" | "TERMINAL" {
  if (taskStates.length === 0) return "PENDING";
  if (taskStates.some((s) => s === "TASK_STAGING" || s === "TASK_STARTING")) return "STAGING";
  if (taskStates.every((s) => s === "TASK_RUNNING")) return unhealthy ? "DEGRADED" : "STABLE";
  if (taskStates.every((s) => TERMINAL_STATES.has(s))) return "TERMINAL";
  return "DEGRADED";
}

function latest(times: string[], fallback: string): string {
  return times.filter((t) => t !== "").sort().at(-1) ?? fallback;
}

/**
 * Marathon's `PodStatus` (`GET /v2/pods/{id}::status`): the pod's spec, its instances built from
 * the scheduler's tasks of the pod (grouped by instance id; a container's name is the part of its
 * task id after `<instanceId>.`), and the pod status: TERMINAL while a deployment deletes it,
 * STABLE when at least `scaling.instances` instances are STABLE, DEGRADED otherwise. With no
 * instances, `statusSince` is `now`, as in Marathon; `terminationHistory` is always `[]`.
 */
export function marathonPodStatus(
  pod: registryV1App.PodVersion,
  tasks: schedulerV1Model.Task[],
  options: { now: string; beingDeleted: boolean },
): JsonObject {
  const byInstance = new Map<string, schedulerV1Model.Task[]>();
  for (const t of tasks.filter((t) => t.appId === pod.id)) {
    const list = byInstance.get(t.instanceId) ?? [];
    list.push(t);
    byInstance.set(t.instanceId, list);
  }
  const instances = [...byInstance].map(([instanceId, own]) => podInstanceStatus(pod, instanceId, own, options.now));
  const scaling = (pod.definition?.scaling ?? {}) as JsonObject;
  const wanted = typeof scaling.instances === "number" ? scaling.instances : 1;
  const stable = instances.filter((i) => i.status === "STABLE").length;
  const status = options.beingDeleted ? "TERMINAL" : stable >= wanted ? "STABLE" : "DEGRADED";
  const statusSince = instances.length === 0 ? options.now : latest(instances.map((i) => String(i.statusSince)), options.now);
  return {
    id: pod.id,
    spec: marathonPod(pod),
    status,
    statusSince,
    instances,
    terminationHistory: [],
    lastUpdated: options.now,
    lastChanged: statusSince,
  };
}

/** Marathon's status of one pod instance, from its tasks. */
export function podInstanceStatus(pod: registryV1App.PodVersion, instanceId: string, tasks: schedulerV1Model.Task[], now: string): JsonObject {
  const views = tasks.map(marathonTask);
  const since = latest(tasks.map((t) => t.updatedAt), now);
  const sum = (pick: (r: schedulerV1Model.Resources) => number) => tasks.reduce((acc, t) => acc + (t.resources ? pick(t.resources) : 0), 0);
  return {
    id: instanceId,
    status: podInstanceState(
      views.map((v) => String(v.state)),
      tasks.some((t) => t.healthy === false),
    ),
    statusSince: since,
    conditions: [],
    agentHostname: tasks[0]?.host ?? "",
    agentId: tasks[0]?.agentId ?? "",
    resources: { cpus: sum((r) => r.cpus), mem: sum((r) => r.mem), disk: sum((r) => r.disk), gpus: sum((r) => r.gpus) },
    networks: [],
    containers: tasks.map((t, i) => {
      const state = String(views[i]!.state);
      const container: JsonObject = {
        name: t.taskId.startsWith(`${instanceId}.`) ? t.taskId.slice(instanceId.length + 1) : t.taskId,
        status: state,
        statusSince: t.updatedAt,
        conditions: [],
        containerId: t.taskId,
        // Marathon puts a container's health on each of its endpoints.
        endpoints: t.ports.map((p) => ({ name: p.endpoint, allocatedHostPort: p.hostPort, ...(t.healthy === undefined ? {} : { healthy: t.healthy }) })),
        resources: t.resources ? { cpus: t.resources.cpus, mem: t.resources.mem, disk: t.resources.disk, gpus: t.resources.gpus } : {},
        lastUpdated: now,
        lastChanged: t.updatedAt,
      };
      if (TERMINAL_STATES.has(state) && t.exitCode >= 0) container.termination = { exitCode: t.exitCode, message: t.message };
      if (t.message) container.message = t.message;
      return container;
    }),
    specReference: `/v2/pods${pod.id}::versions/${pod.version}`,
    lastUpdated: now,
    lastChanged: since,
  };
}
