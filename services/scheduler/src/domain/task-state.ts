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

/** How far each state is along STAGING → STARTING → RUNNING → KILLING → terminal. */
export const PROGRESS_ORDER: Readonly<Record<TaskStateName, number>> = {
  TASK_STAGING: 1,
  TASK_STARTING: 2,
  TASK_RUNNING: 3,
  TASK_KILLING: 4,
  TASK_FINISHED: 5,
  TASK_FAILED: 5,
  TASK_KILLED: 5,
  TASK_LOST: 5,
  TASK_ERROR: 5,
};

/**
 * True when `next` moves a task forward from `current` (STAGING → STARTING → RUNNING →
 * KILLING → terminal). Status reports can arrive out of order (a redelivered report after a
 * later one), and a task never goes back.
 */
export function isProgress(current: TaskStateName, next: TaskStateName): boolean {
  return PROGRESS_ORDER[next] > PROGRESS_ORDER[current];
}
