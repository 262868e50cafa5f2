import type { JsonObject } from "@bufbuild/protobuf";
import { schedulerV1Model } from "@gantry/proto";

const STATE_NAMES = Object.fromEntries(
  Object.entries(schedulerV1Model.TaskState).filter(([, v]) => typeof v === "number").map(([k, v]) => [v, `TASK_${k}`]),
) as Record<number, string>;

/**
 * Marathon's task JSON (GET /v2/tasks): id, appId, host, state, version, slaveId, ports and times,
 * and `healthCheckResults` when the agent's health checks gave the task a verdict (left out
 * otherwise, as Marathon does for a task without health checks).
 */
export function marathonTask(t: schedulerV1Model.Task): JsonObject {
  return {
    id: t.taskId,
    appId: t.appId,
    host: t.host,
    state: STATE_NAMES[t.state] ?? "TASK_UNKNOWN",
    version: t.appVersion,
    slaveId: t.agentId,
    ports: t.ports.map((p) => p.hostPort),
    servicePorts: [],
    stagedAt: t.updatedAt,
    startedAt: t.updatedAt,
    ipAddresses: [],
    ...(t.healthy === undefined ? {} : { healthCheckResults: [healthCheckResult(t, t.healthy)] }),
  };
}

/**
 * Marathon 1.4's `Health` of a task, as one result for all its checks: the agent reports one
 * verdict per task, when it changes, so the time of the change stands for the first and last
 * success of a healthy task and the last failure of an unhealthy one (its message for the
 * cause); what the verdict does not say (the other side's times, how many failures in a row) is
 * null or 0.
 */
function healthCheckResult(t: schedulerV1Model.Task, alive: boolean): JsonObject {
  const at = t.healthChangedAt || null;
  return {
    alive,
    consecutiveFailures: 0,
    firstSuccess: alive ? at : null,
    lastSuccess: alive ? at : null,
    lastFailure: alive ? null : at,
    lastFailureCause: alive ? null : t.healthMessage || null,
    instanceId: t.instanceId,
    taskId: t.taskId,
  };
}
