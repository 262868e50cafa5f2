/** Mesos task states, as Marathon and DC/OS users know them. */
export type TaskStateName =
  | "TASK_STAGING"
  | "TASK_STARTING"
  | "TASK_RUNNING"
  | "TASK_FINISHED"
  | "TASK_FAILED"
  | "TASK_KILLING"
  | "TASK_KILLED"
  | "TASK_LOST"
  | "TASK_ERROR";

const TERMINAL: ReadonlySet<TaskStateName> = new Set(["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR"]);

/** True for states a task never leaves: its resources are free again. */
export function isTerminal(state: TaskStateName): boolean {
  return TERMINAL.has(state);
}
