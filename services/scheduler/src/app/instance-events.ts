import { create } from "@bufbuild/protobuf";
import { eventsV1Instance } from "@gantry/proto";
import type { Instance, TaskStateName } from "../domain/index.ts";
import type { OutgoingEvent, StreamBatch } from "./ports.ts";
import type { SchedulerContext } from "./scheduler.ts";
import { taskStateProto } from "./task-state-codec.ts";

/** A change of an instance's task state as the scheduler records it. */
export interface StatusChange {
  /** The task that changed (an instance's first task when absent). */
  taskId?: string;
  state: TaskStateName;
  message: string;
  /** RFC 3339; the scheduler's clock when absent. */
  timestamp?: string;
  exitCode?: number;
  signal?: string;
  /** Why a terminal state was reached, in Mesos' words. */
  reason?: string;
  /** The AGENT_STATUS sequence of the report recorded (0 when the scheduler decided it itself). */
  statusSequence?: bigint;
}

/** A new verdict of the agent's health checks of one running task, as the scheduler records it. */
export interface HealthChange {
  taskId: string;
  healthy: boolean;
  /** Why, in the agent's words. */
  message: string;
  /** RFC 3339; the scheduler's clock when absent. */
  timestamp?: string;
  /** The AGENT_STATUS sequence of the report recorded. */
  statusSequence: bigint;
}

/** The TaskStatusChanged append for one instance, at the version its stream is known at. */
export function statusChange(ctx: SchedulerContext, inst: Instance, change: StatusChange): StreamBatch {
  return instanceAppend(ctx, inst, {
    schema: eventsV1Instance.TaskStatusChangedSchema,
    message: create(eventsV1Instance.TaskStatusChangedSchema, {
      instanceId: inst.instanceId,
      taskId: change.taskId ?? inst.taskId,
      appId: inst.appId,
      agentId: inst.agentId,
      state: taskStateProto(change.state),
      message: change.message,
      timestamp: change.timestamp || new Date(ctx.ports.now()).toISOString(),
      exitCode: change.exitCode ?? -1,
      signal: change.signal ?? "",
      reason: change.reason ?? "",
      statusSequence: change.statusSequence ?? 0n,
    }),
  });
}

/** The same change of every task of an instance (a pod's containers together), in one append. */
export function everyTaskChange(ctx: SchedulerContext, inst: Instance, change: Omit<StatusChange, "taskId">): StreamBatch {
  const [first, ...rest] = inst.tasks.map((t) => statusChange(ctx, inst, { ...change, taskId: t.taskId }));
  if (!first) return statusChange(ctx, inst, change);
  return { ...first, events: [...first.events, ...rest.flatMap((b) => b.events)] };
}

/** The TaskHealthChanged append for one instance, at the version its stream is known at. */
export function healthChange(ctx: SchedulerContext, inst: Instance, change: HealthChange): StreamBatch {
  return instanceAppend(ctx, inst, {
    schema: eventsV1Instance.TaskHealthChangedSchema,
    message: create(eventsV1Instance.TaskHealthChangedSchema, {
      instanceId: inst.instanceId,
      taskId: change.taskId,
      appId: inst.appId,
      agentId: inst.agentId,
      healthy: change.healthy,
      message: change.message,
      timestamp: change.timestamp || new Date(ctx.ports.now()).toISOString(),
      statusSequence: change.statusSequence,
    }),
  });
}

/** The TaskReady append for one running task whose readiness checks passed. */
export function readyChange(ctx: SchedulerContext, inst: Instance, change: Omit<HealthChange, "healthy">): StreamBatch {
  return instanceAppend(ctx, inst, {
    schema: eventsV1Instance.TaskReadySchema,
    message: create(eventsV1Instance.TaskReadySchema, {
      instanceId: inst.instanceId,
      taskId: change.taskId,
      appId: inst.appId,
      agentId: inst.agentId,
      message: change.message,
      timestamp: change.timestamp || new Date(ctx.ports.now()).toISOString(),
      statusSequence: change.statusSequence,
    }),
  });
}

/** The LaunchBackoffChanged append for an app: `notBefore` undefined resets it. */
export function backoffChange(ctx: SchedulerContext, appId: string, backoff: { failures: number; notBefore: number } | undefined): StreamBatch {
  return oneEvent(ctx, `backoff-${appId}`, appId, {
    schema: eventsV1Instance.LaunchBackoffChangedSchema,
    message: create(eventsV1Instance.LaunchBackoffChangedSchema, {
      appId,
      failures: backoff?.failures ?? 0,
      notBefore: backoff ? new Date(backoff.notBefore).toISOString() : "",
    }),
  });
}

/** One event on an instance's stream. */
function instanceAppend(ctx: SchedulerContext, inst: Instance, event: Pick<OutgoingEvent, "schema" | "message">): StreamBatch {
  return oneEvent(ctx, `instance-${inst.instanceId}`, inst.appId, event);
}

/**
 * One event on one stream, at the version the stream is known at here (the fence of the append),
 * joined to the deployment and trace that last changed its app.
 */
function oneEvent(ctx: SchedulerContext, streamId: string, appId: string, event: Pick<OutgoingEvent, "schema" | "message">): StreamBatch {
  return { streamId, expectedVersion: ctx.state.versionOf(streamId), events: [{ ...event, ...ctx.originOf(appId) }] };
}

/** The scheduler stops an instance: InstanceKillRequested on its stream, with why. */
export function killRequest(ctx: SchedulerContext, instance: Instance, reason: string): StreamBatch {
  const streamId = `instance-${instance.instanceId}`;
  return {
    streamId,
    expectedVersion: ctx.state.versionOf(streamId),
    events: [
      {
        schema: eventsV1Instance.InstanceKillRequestedSchema,
        message: create(eventsV1Instance.InstanceKillRequestedSchema, { instanceId: instance.instanceId, taskId: instance.taskId, appId: instance.appId, reason }),
        ...ctx.originOf(instance.appId),
      },
    ],
  };
}
