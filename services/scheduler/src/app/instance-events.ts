import { create } from "@bufbuild/protobuf";
import { eventsV1Instance } from "@gantry/proto";
import type { Instance, TaskStateName } from "../domain/index.ts";
import type { StreamBatch } from "./ports.ts";
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
  /** The AGENT_STATUS sequence of the report recorded (0 when the scheduler decided it itself). */
  statusSequence?: bigint;
}

/** The TaskStatusChanged append for one instance, at the version its stream is known at. */
export function statusChange(ctx: SchedulerContext, inst: Instance, change: StatusChange): StreamBatch {
  const streamId = `instance-${inst.instanceId}`;
  return {
    streamId,
    expectedVersion: ctx.state.versionOf(streamId),
    events: [
      {
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
          statusSequence: change.statusSequence ?? 0n,
        }),
        ...ctx.originOf(inst.appId),
      },
    ],
  };
}

/** The LaunchBackoffChanged append for an app: `notBefore` undefined resets it. */
export function backoffChange(ctx: SchedulerContext, appId: string, backoff: { failures: number; notBefore: number } | undefined): StreamBatch {
  const streamId = `backoff-${appId}`;
  return {
    streamId,
    expectedVersion: ctx.state.versionOf(streamId),
    events: [
      {
        schema: eventsV1Instance.LaunchBackoffChangedSchema,
        message: create(eventsV1Instance.LaunchBackoffChangedSchema, {
          appId,
          failures: backoff?.failures ?? 0,
          notBefore: backoff ? new Date(backoff.notBefore).toISOString() : "",
        }),
        ...ctx.originOf(appId),
      },
    ],
  };
}
