import { schedulerV1Model } from "@gantry/proto";
import type { TaskStateName } from "../domain/index.ts";

const { TaskState } = schedulerV1Model;

const TO_NAME: Record<number, TaskStateName> = {
  [TaskState.STAGING]: "TASK_STAGING",
  [TaskState.STARTING]: "TASK_STARTING",
  [TaskState.RUNNING]: "TASK_RUNNING",
  [TaskState.FINISHED]: "TASK_FINISHED",
  [TaskState.FAILED]: "TASK_FAILED",
  [TaskState.KILLING]: "TASK_KILLING",
  [TaskState.KILLED]: "TASK_KILLED",
  [TaskState.LOST]: "TASK_LOST",
  [TaskState.ERROR]: "TASK_ERROR",
  [TaskState.UNREACHABLE]: "TASK_UNREACHABLE",
  [TaskState.GONE]: "TASK_GONE",
};

const TO_PROTO = Object.fromEntries(Object.entries(TO_NAME).map(([k, v]) => [v, Number(k)])) as Record<TaskStateName, schedulerV1Model.TaskState>;

/** The Mesos name of a protobuf task state; UNSPECIFIED (never sent by a correct agent) reads as TASK_ERROR. */
export function taskStateName(state: schedulerV1Model.TaskState): TaskStateName {
  return TO_NAME[state] ?? "TASK_ERROR";
}

/** The protobuf task state of a Mesos name. */
export function taskStateProto(name: TaskStateName): schedulerV1Model.TaskState {
  return TO_PROTO[name];
}
