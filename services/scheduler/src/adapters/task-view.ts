import { create } from "@bufbuild/protobuf";
import { schedulerV1Model } from "@gantry/proto";
import type { Instance } from "../domain/index.ts";
import { taskStateProto } from "../app/task-state-codec.ts";

/** An instance's task as the gRPC API shows it. */
export function toProtoTask(inst: Instance): schedulerV1Model.Task {
  return create(schedulerV1Model.TaskSchema, {
    taskId: inst.taskId,
    instanceId: inst.instanceId,
    appId: inst.appId,
    appVersion: inst.appVersion,
    agentId: inst.agentId,
    host: inst.host,
    state: taskStateProto(inst.state),
    message: inst.message,
    updatedAt: new Date(inst.updatedAt).toISOString(),
    resources: inst.resources,
    exitCode: inst.exitCode,
  });
}
