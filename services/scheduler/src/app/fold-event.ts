import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { eventsV1Agent, eventsV1App, eventsV1Deployment, eventsV1Instance, registryV1App } from "@gantry/proto";
import { appSpecFromDefinition, type AgentNode, type TaskStateName } from "../domain/index.ts";
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
 * Ended entities are forgotten: an instance whose task ended leaves the live state with its
 * stream version, a finished deployment with its streams'. Unknown types are ignored.
 */
export function foldEvent(state: SchedulerState, e: FoldableEvent): void {
  state.setVersion(e.streamId, e.streamVersion);
  switch (e.type) {
    case "AppCreated":
    case "AppUpdated": {
      const msg = decode(eventsV1App.AppCreatedSchema, e.data);
      if (msg.app) foldAppVersion(state, msg.app);
      noteOrigin(state, msg.app?.id ?? "", msg.deploymentId, e);
      return;
    }
    case "AppDeleted": {
      const msg = decode(eventsV1App.AppDeletedSchema, e.data);
      state.apps.delete(msg.appId);
      state.backoff.delete(msg.appId);
      noteOrigin(state, msg.appId, msg.deploymentId, e);
      return;
    }
    case "AgentRegistered": {
      const r = decode(eventsV1Agent.AgentRegisteredSchema, e.data).registration;
      if (!r) return;
      const agent: AgentNode = {
        agentId: r.agentId,
        hostname: r.hostname,
        total: { cpus: r.resources?.cpus ?? 0, mem: r.resources?.mem ?? 0, disk: r.resources?.disk ?? 0, gpus: r.resources?.gpus ?? 0 },
        attributes: { ...r.attributes },
        roles: r.roles.length > 0 ? [...r.roles] : ["*"],
        capabilities: [...r.capabilities],
        active: true,
        // Heard from when it registered (a scheduler that starts leading gives every agent a full window).
        lastSeenAt: e.recordedAt.getTime(),
      };
      state.agents.set(agent.agentId, agent);
      return;
    }
    case "AgentLost":
    case "AgentReturned": {
      const agent = state.agents.get(String(e.data.agentId ?? ""));
      if (agent) agent.active = e.type === "AgentReturned";
      return;
    }
    // The instance events are most of the log: read their canonical JSON directly (field names
    // and defaults as protobuf's JSON mapping writes them) instead of decoding whole messages.
    case "InstancePlaced": {
      const d = e.data;
      const r = (d.resources ?? {}) as JsonObject;
      state.putInstance({
        instanceId: text(d.instanceId),
        taskId: text(d.taskId),
        appId: text(d.appId),
        appVersion: text(d.appVersion),
        agentId: text(d.agentId),
        host: text(d.host),
        resources: { cpus: number(r.cpus), mem: number(r.mem), disk: number(r.disk), gpus: number(r.gpus) },
        state: "TASK_STAGING",
        message: "",
        exitCode: -1,
        updatedAt: e.recordedAt.getTime(),
        killRequested: false,
      });
      return;
    }
    case "TaskStatusChanged": {
      const d = e.data;
      const sequence = d.statusSequence === undefined ? 0n : BigInt(text(d.statusSequence));
      if (sequence > state.lastStatusSequence) state.lastStatusSequence = sequence;
      const inst = state.instances.get(text(d.instanceId));
      if (inst) state.putInstance({ ...inst, state: taskStateOfJson(d.state), message: text(d.message), exitCode: number(d.exitCode), updatedAt: e.recordedAt.getTime() });
      return;
    }
    case "InstanceKillRequested": {
      const inst = state.instances.get(text(e.data.instanceId));
      if (inst) state.putInstance({ ...inst, killRequested: true });
      return;
    }
    case "LaunchBackoffChanged": {
      const m = decode(eventsV1Instance.LaunchBackoffChangedSchema, e.data);
      if (m.failures === 0 || m.notBefore === "") state.backoff.delete(m.appId);
      else state.backoff.set(m.appId, { failures: m.failures, notBefore: Date.parse(m.notBefore) });
      return;
    }
    case "DeploymentPlanned": {
      const d = decode(eventsV1Deployment.DeploymentPlannedSchema, e.data).deployment;
      if (d) state.deployments.set(d.id, activeDeployment(d));
      return;
    }
    case "DeploymentCancelled":
    case "DeploymentSucceeded":
    case "DeploymentFailed": {
      const id = String(e.data.deploymentId ?? "");
      state.deployments.delete(id);
      state.forget(`deployment-${id}`);
      state.forget(`rollout-${id}`);
      return;
    }
    default:
      return;
  }
}

const text = (v: JsonObject[string] | undefined): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));
const number = (v: JsonObject[string] | undefined): number => (typeof v === "number" ? v : 0);

/** A TaskState in protobuf JSON (`TASK_STATE_RUNNING`, or its number) as its Mesos name (`TASK_RUNNING`). */
function taskStateOfJson(v: JsonObject[string] | undefined): TaskStateName {
  if (typeof v === "string" && v.startsWith("TASK_STATE_") && v !== "TASK_STATE_UNSPECIFIED") return `TASK_${v.slice("TASK_STATE_".length)}` as TaskStateName;
  return taskStateName(typeof v === "number" ? v : 0);
}

function activeDeployment(d: registryV1App.Deployment) {
  const starting = new Set<string>();
  for (const step of d.steps) for (const a of step.actions) if (a.app && a.action !== "StopApplication") starting.add(a.app);
  return { id: d.id, affectedApps: [...d.affectedApps], affectedPods: [...d.affectedPods], appsToRun: [...starting] };
}

function foldAppVersion(state: SchedulerState, app: registryV1App.AppVersion): void {
  // google.protobuf.Struct fields are plain JSON objects in protobuf-es.
  // Tasks run a configuration, not a version: a scale or an unchanged PUT gives the app a new
  // version but keeps lastConfigChangeAt, and must not replace running tasks (Marathon's rule).
  state.apps.set(app.id, appSpecFromDefinition(app.lastConfigChangeAt || app.version, { ...(app.definition ?? {}), id: app.id }));
}

/** Remembers which deployment (and trace) last changed an app, so what the scheduler does for it joins that trace. */
function noteOrigin(state: SchedulerState, appId: string, deploymentId: string, e: FoldableEvent): void {
  state.appOrigins.set(appId, { deploymentId, ...(e.metadata?.traceparent ? { traceparent: e.metadata.traceparent } : {}) });
}
