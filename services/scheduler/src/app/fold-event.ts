import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { eventsV1Agent, eventsV1App, eventsV1Deployment, eventsV1Instance, registryV1App } from "@gantry/proto";
import { appSpecFromDefinition, type AgentNode } from "../domain/index.ts";
import type { SchedulerState } from "./scheduler-state.ts";
import { taskStateName } from "./task-state-codec.ts";

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

/**
 * Applies one event of the log to the scheduler's state. Idempotent: an event whose stream
 * version was already applied is ignored, so redelivered app events and the fold at start
 * can overlap safely. Unknown types are ignored (other services' streams).
 */
export function foldEvent(state: SchedulerState, e: FoldableEvent, now: number = Date.now()): boolean {
  if (!state.advance(e.streamId, e.streamVersion)) return false;
  switch (e.type) {
    case "AppCreated":
    case "AppUpdated": {
      const msg = fromJson(eventsV1App.AppCreatedSchema, e.data, { ignoreUnknownFields: true });
      if (msg.app) foldAppVersion(state, msg.app);
      noteOrigin(state, msg.app?.id ?? "", msg.deploymentId, e);
      return true;
    }
    case "AppDeleted": {
      const msg = fromJson(eventsV1App.AppDeletedSchema, e.data, { ignoreUnknownFields: true });
      state.apps.delete(msg.appId);
      state.backoff.delete(msg.appId);
      noteOrigin(state, msg.appId, msg.deploymentId, e);
      return true;
    }
    case "AgentRegistered": {
      const msg = fromJson(eventsV1Agent.AgentRegisteredSchema, e.data, { ignoreUnknownFields: true });
      const r = msg.registration;
      if (!r) return true;
      const agent: AgentNode = {
        agentId: r.agentId,
        hostname: r.hostname,
        total: { cpus: r.resources?.cpus ?? 0, mem: r.resources?.mem ?? 0, disk: r.resources?.disk ?? 0, gpus: r.resources?.gpus ?? 0 },
        attributes: { ...r.attributes },
        roles: r.roles.length > 0 ? [...r.roles] : ["*"],
        capabilities: [...r.capabilities],
        active: true,
        // Heard from at fold time: a restarted scheduler gives every agent a full heartbeat window.
        lastSeenAt: now,
      };
      state.agents.set(agent.agentId, agent);
      return true;
    }
    case "AgentLost": {
      const msg = fromJson(eventsV1Agent.AgentLostSchema, e.data, { ignoreUnknownFields: true });
      const agent = state.agents.get(msg.agentId);
      if (agent) agent.active = false;
      return true;
    }
    case "InstancePlaced": {
      const m = fromJson(eventsV1Instance.InstancePlacedSchema, e.data, { ignoreUnknownFields: true });
      state.putInstance({
        instanceId: m.instanceId,
        taskId: m.taskId,
        appId: m.appId,
        appVersion: m.appVersion,
        agentId: m.agentId,
        host: m.host,
        resources: { cpus: m.resources?.cpus ?? 0, mem: m.resources?.mem ?? 0, disk: m.resources?.disk ?? 0, gpus: m.resources?.gpus ?? 0 },
        state: "TASK_STAGING",
        message: "",
        exitCode: -1,
        updatedAt: e.recordedAt.getTime(),
        killRequested: false,
      });
      return true;
    }
    case "TaskStatusChanged": {
      const m = fromJson(eventsV1Instance.TaskStatusChangedSchema, e.data, { ignoreUnknownFields: true });
      const inst = state.instances.get(m.instanceId);
      if (!inst) return true;
      state.putInstance({ ...inst, state: taskStateName(m.state), message: m.message, exitCode: m.exitCode, updatedAt: e.recordedAt.getTime() });
      return true;
    }
    case "InstanceKillRequested": {
      const m = fromJson(eventsV1Instance.InstanceKillRequestedSchema, e.data, { ignoreUnknownFields: true });
      const inst = state.instances.get(m.instanceId);
      if (inst) state.putInstance({ ...inst, killRequested: true });
      return true;
    }
    case "DeploymentPlanned": {
      const d = fromJson(eventsV1Deployment.DeploymentPlannedSchema, e.data, { ignoreUnknownFields: true }).deployment;
      if (d) state.deployments.set(d.id, { id: d.id, affectedApps: [...d.affectedApps], affectedPods: [...d.affectedPods] });
      return true;
    }
    case "DeploymentCancelled":
    case "DeploymentSucceeded":
    case "DeploymentFailed": {
      state.deployments.delete(String(e.data.deploymentId));
      return true;
    }
    default:
      return true;
  }
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
