import type { JsonObject } from "@bufbuild/protobuf";
import { schedulerV1Model } from "@gantry/proto";

const STATE_NAMES = Object.fromEntries(
  Object.entries(schedulerV1Model.TaskState).filter(([, v]) => typeof v === "number").map(([k, v]) => [v, `TASK_${k}`]),
) as Record<number, string>;

/** Marathon's task JSON (GET /v2/tasks): id, appId, host, state, version, slaveId, ports and times. */
export function marathonTask(t: schedulerV1Model.Task): JsonObject {
  return {
    id: t.taskId,
    appId: t.appId,
    host: t.host,
    state: STATE_NAMES[t.state] ?? "TASK_UNKNOWN",
    version: t.appVersion,
    slaveId: t.agentId,
    ports: [],
    servicePorts: [],
    stagedAt: t.updatedAt,
    startedAt: t.updatedAt,
    ipAddresses: [],
  };
}
