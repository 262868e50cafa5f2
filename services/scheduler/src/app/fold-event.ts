import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { eventsV1Agent, eventsV1App, eventsV1Deployment, eventsV1Pod, registryV1App } from "@gantry/proto";
import { instanceState, isFailure, type ActiveDeployment, type InstancePort, type InstanceTask, type RoleShare, type StepScope, type TaskHealth, type TaskReadiness, type TaskStateName } from "../domain/index.ts";
import { agentNodeOf } from "./agent-node.codec.ts";
import { demandOf } from "./run-spec-demand.codec.ts";
import type { SchedulerState } from "./scheduler-state.ts";
import { taskStateName } from "./task-state-codec.ts";

/** The stream types the scheduler reads as desired state (written by the registry). */
export const DESIRED_STATE_STREAM_TYPES = ["app", "pod", "deployment"] as const;
/** The stream types the scheduler writes (a standby follows the leader's through the log). */
export const SCHEDULER_STREAM_TYPES = ["agent", "instance", "rollout", "backoff"] as const;
/** Everything the scheduler's state is a fold of. */
export const FOLDED_STREAM_TYPES = [...DESIRED_STATE_STREAM_TYPES, ...SCHEDULER_STREAM_TYPES] as const;

/** The part of a recorded event the scheduler folds. */
export interface FoldableEvent {
  streamId: string;
  streamVersion: number;
  type: string;
  data: JsonObject;
  recordedAt: Date;
  /** The event's metadata; the scheduler carries its trace context and correlation on. */
  metadata?: { traceparent?: string; correlationId?: string };
}

const decode = <S extends Parameters<typeof fromJson>[0]>(schema: S, data: JsonObject) => fromJson(schema, data, { ignoreUnknownFields: true });

/**
 * Applies one event to the scheduler's state and records its stream version. The caller keeps
 * the order (each stream in version order, see `foldInStreamOrder`); this function trusts it.
 * Ended entities are forgotten: an instance that ended leaves the live state with its stream
 * version, a finished deployment with its streams'. Unknown types are ignored.
 */
export function foldEvent(state: SchedulerState, e: FoldableEvent): void {
  state.setVersion(e.streamId, e.streamVersion);
  state.foldedEvents++;
  switch (e.type) {
    case "AppCreated":
    case "AppUpdated": {
      const msg = decode(eventsV1App.AppCreatedSchema, e.data);
      if (msg.app) foldRunSpecVersion(state, msg.app);
      noteOrigin(state, msg.app?.id ?? "", msg.deploymentId, e);
      return;
    }
    case "PodCreated":
    case "PodUpdated": {
      const msg = decode(eventsV1Pod.PodCreatedSchema, e.data);
      if (msg.pod) foldRunSpecVersion(state, msg.pod);
      noteOrigin(state, msg.pod?.id ?? "", msg.deploymentId, e);
      return;
    }
    case "AppDeleted":
    case "PodDeleted": {
      const id = String(e.data.appId ?? e.data.podId ?? "");
      state.deleteRunSpec(id);
      noteOrigin(state, id, String(e.data.deploymentId ?? ""), e);
      return;
    }
    case "AgentRegistered": {
      const { registration: r, heartbeatIntervalSeconds } = decode(eventsV1Agent.AgentRegisteredSchema, e.data);
      // Heard from when it registered (a scheduler that starts leading gives every agent a full window).
      if (r) state.putAgent(agentNodeOf(r, e.recordedAt.getTime(), state.agents.get(r.agentId)?.draining ?? false, heartbeatIntervalSeconds));
      return;
    }
    case "AgentLost":
    case "AgentReturned":
    case "AgentDrained":
    case "AgentUndrained": {
      const agent = state.agents.get(text(e.data.agentId));
      if (!agent) return;
      if (e.type === "AgentLost" || e.type === "AgentReturned") agent.active = e.type === "AgentReturned";
      else agent.draining = e.type === "AgentDrained";
      state.agentsChanged();
      return;
    }
    // The instance events are most of the log: read their canonical JSON directly (field names
    // and defaults as protobuf's JSON mapping writes them) instead of decoding whole messages.
    case "InstancePlaced": {
      const d = e.data;
      const taskIds = Array.isArray(d.taskIds) && d.taskIds.length > 0 ? d.taskIds.map(text) : [text(d.taskId)];
      const spec = state.runSpecs.get(text(d.appId));
      const containers = spec?.demand.containers ?? [];
      const tasks: InstanceTask[] = taskIds.map((taskId, i) => ({ taskId, container: containers[i] ?? "", state: "TASK_STAGING" }));
      const at = e.recordedAt.getTime();
      state.putInstance({
        instanceId: text(d.instanceId),
        taskId: taskIds[0]!,
        appId: text(d.appId),
        appVersion: text(d.appVersion),
        agentId: text(d.agentId),
        host: text(d.host),
        pod: d.pod === true,
        tasks,
        state: "TASK_STAGING",
        message: "",
        exitCode: -1,
        resources: resourcesOf(d.resources),
        allocation: {
          byRole: list(d.allocation).map((a): RoleShare => ({ role: text(a.role) || "*", resources: resourcesOf(a.resources) })),
          ports: list(d.ports).map((p) => number(p.hostPort)),
          gpus: list(d.gpus).map((g) => number(g.index)),
        },
        ports: list(d.ports).map((p): InstancePort => ({ container: text(p.container), endpoint: text(p.endpoint), endpointIndex: number(p.endpointIndex), hostPort: number(p.hostPort), containerPort: number(p.containerPort) })),
        gpus: list(d.gpus).map((g) => ({ index: number(g.index), uuid: text(g.uuid), model: text(g.model) })),
        placedAt: at,
        updatedAt: at,
        killRequested: false,
        // Recorded since deployments gate on them per version; older placements have neither field.
        ...("readinessChecked" in d
          ? { gates: { healthCheckedContainers: strings(d.healthCheckedContainers), readinessChecked: d.readinessChecked === true } }
          : {}),
      });
      return;
    }
    case "TaskStatusChanged": {
      const d = e.data;
      noteStatusSequence(state, d.statusSequence);
      const inst = state.instances.get(text(d.instanceId));
      if (!inst) return;
      const taskId = text(d.taskId) || inst.taskId;
      const taskState = taskStateOfJson(d.state);
      const tasks = inst.tasks.map((t) => (t.taskId === taskId ? { ...t, state: taskState } : t));
      if (isFailure(taskState)) {
        state.lastFailures.set(inst.appId, { appId: inst.appId, taskId, state: taskState, message: text(d.message), host: inst.host, agentId: inst.agentId, version: inst.appVersion, timestamp: text(d.timestamp) || e.recordedAt.toISOString() });
      }
      state.putInstance({ ...inst, tasks, state: instanceState(tasks), message: text(d.message), exitCode: number(d.exitCode), reason: text(d.reason), updatedAt: e.recordedAt.getTime() });
      return;
    }
    case "TaskHealthChanged": {
      const d = e.data;
      const health: TaskHealth = { healthy: d.healthy === true, message: text(d.message), changedAt: text(d.timestamp) };
      changeTask(state, d, (t) => ({ ...t, health }));
      return;
    }
    case "TaskReady": {
      const d = e.data;
      const ready: TaskReadiness = { message: text(d.message), at: text(d.timestamp) };
      changeTask(state, d, (t) => ({ ...t, ready }));
      return;
    }
    case "InstanceKillRequested": {
      const inst = state.instances.get(text(e.data.instanceId));
      if (inst) state.putInstance({ ...inst, killRequested: true });
      return;
    }
    case "LaunchBackoffChanged": {
      const appId = text(e.data.appId);
      const failures = number(e.data.failures);
      const notBefore = text(e.data.notBefore);
      if (failures === 0 || notBefore === "") state.backoff.delete(appId);
      else state.backoff.set(appId, { failures, notBefore: Date.parse(notBefore) });
      state.dirty.add(appId);
      return;
    }
    case "DeploymentPlanned": {
      const d = decode(eventsV1Deployment.DeploymentPlannedSchema, e.data).deployment;
      if (d) state.deployments.set(d.id, activeDeployment(d));
      return;
    }
    case "DeploymentStepStarted": {
      const d = state.deployments.get(text(e.data.deploymentId));
      if (d) d.currentStep = Math.max(d.currentStep, number(e.data.step));
      return;
    }
    case "DeploymentCancelled":
    case "DeploymentSucceeded":
    case "DeploymentFailed": {
      const id = text(e.data.deploymentId);
      state.deployments.delete(id);
      state.forget(`deployment-${id}`);
      state.forget(`rollout-${id}`);
      return;
    }
    default:
      return;
  }
}

type Json = JsonObject[string] | undefined;
const text = (v: Json): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));
const number = (v: Json): number => (typeof v === "number" ? v : 0);
/** A report about one task of a live instance (a health verdict, readiness): its sequence noted, the task changed. */
function changeTask(state: SchedulerState, d: JsonObject, change: (task: InstanceTask) => InstanceTask): void {
  noteStatusSequence(state, d.statusSequence);
  const inst = state.instances.get(text(d.instanceId));
  if (!inst) return;
  const taskId = text(d.taskId);
  state.putInstance({ ...inst, tasks: inst.tasks.map((t) => (t.taskId === taskId ? change(t) : t)) });
}

const strings = (v: Json): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const list = (v: Json): JsonObject[] => (Array.isArray(v) ? (v.filter((x) => x !== null && typeof x === "object" && !Array.isArray(x)) as JsonObject[]) : []);
const resourcesOf = (v: Json) => {
  const r = (v ?? {}) as JsonObject;
  return { cpus: number(r.cpus), mem: number(r.mem), disk: number(r.disk), gpus: number(r.gpus) };
};

/** Moves the highest recorded AGENT_STATUS sequence on (a uint64 in protobuf JSON: a string, absent when 0). */
function noteStatusSequence(state: SchedulerState, v: Json): void {
  const sequence = v === undefined ? 0n : BigInt(text(v));
  if (sequence > state.lastStatusSequence) state.lastStatusSequence = sequence;
}

/** A TaskState in protobuf JSON (`TASK_STATE_RUNNING`, or its number) as its Mesos name (`TASK_RUNNING`). */
function taskStateOfJson(v: Json): TaskStateName {
  if (typeof v === "string" && v.startsWith("TASK_STATE_") && v !== "TASK_STATE_UNSPECIFIED") return `TASK_${v.slice("TASK_STATE_".length)}` as TaskStateName;
  return taskStateName(typeof v === "number" ? v : 0);
}

function activeDeployment(d: registryV1App.Deployment): ActiveDeployment {
  const steps = d.steps.map((step) => scopeOf(step.actions));
  const instancesToKill = d.steps.flatMap((s) => s.actions.flatMap((a) => a.instancesToKill));
  return {
    id: d.id,
    affectedApps: [...d.affectedApps],
    affectedPods: [...d.affectedPods],
    appsToRun: [...new Set(steps.flatMap((s) => s.appsToRun))],
    steps,
    currentStep: 0,
    ...(instancesToKill.length > 0 ? { instancesToKill } : {}),
  };
}

/** The apps and pods some actions act on, and which of them must run afterwards (all but the stopped). */
function scopeOf(actions: readonly registryV1App.DeploymentAction[]): StepScope {
  const scope: StepScope = { affectedApps: [], affectedPods: [], appsToRun: [] };
  for (const a of actions) {
    if (a.app) scope.affectedApps.push(a.app);
    if (a.pod) scope.affectedPods.push(a.pod);
    if (a.action !== "StopApplication" && a.action !== "StopPod") scope.appsToRun.push(a.app || a.pod);
  }
  return scope;
}

/**
 * An app's or pod's new version: its RunSpec (written by the registry with every default
 * applied) is what the scheduler places and runs. A version without one (written before run
 * specs existed) cannot be run and is left out.
 */
function foldRunSpecVersion(state: SchedulerState, version: registryV1App.AppVersion | registryV1App.PodVersion): void {
  const spec = version.runSpec;
  if (!spec || spec.id === "") return;
  state.putRunSpec({ spec, demand: demandOf(spec) });
}

/** Remembers which deployment (and trace) last changed an app, so what the scheduler does for it joins that trace. */
function noteOrigin(state: SchedulerState, appId: string, deploymentId: string, e: FoldableEvent): void {
  state.appOrigins.set(appId, { deploymentId, ...(e.metadata?.traceparent ? { traceparent: e.metadata.traceparent } : {}) });
}
