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
  | "TASK_ERROR"
  /** Its agent stopped answering: the task may still run there (Mesos' partition-aware state). */
  | "TASK_UNREACHABLE"
  /** Given up on: expunged after being unreachable too long (its agent may still run it). */
  | "TASK_GONE";

const TERMINAL: ReadonlySet<TaskStateName> = new Set(["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_GONE"]);

/** True for states a task never leaves: its resources are free again. */
export function isTerminal(state: TaskStateName): boolean {
  return TERMINAL.has(state);
}

/**
 * How far each state is along STAGING → STARTING → RUNNING → UNREACHABLE → KILLING → terminal.
 * An unreachable task only runs again when the scheduler sees its agent back with it running
 * (agent-membership.ts), never from a late report.
 */
export const PROGRESS_ORDER: Readonly<Record<TaskStateName, number>> = {
  TASK_STAGING: 1,
  TASK_STARTING: 2,
  TASK_RUNNING: 3,
  TASK_UNREACHABLE: 4,
  TASK_KILLING: 5,
  TASK_FINISHED: 6,
  TASK_FAILED: 6,
  TASK_KILLED: 6,
  TASK_LOST: 6,
  TASK_ERROR: 6,
  TASK_GONE: 6,
};

/**
 * True when `next` moves a task forward from `current` (STAGING → STARTING → RUNNING →
 * UNREACHABLE → KILLING → terminal). Status reports can arrive out of order (a redelivered report after a
 * later one), and a task never goes back.
 */
export function isProgress(current: TaskStateName, next: TaskStateName): boolean {
  return PROGRESS_ORDER[next] > PROGRESS_ORDER[current];
}
