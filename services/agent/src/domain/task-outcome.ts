import { schedulerV1Model } from "@gantry/proto";

const { TaskState } = schedulerV1Model;

/** How a task's process ended, as far as the agent could see. */
export interface TaskEnd {
  /** Exit status the task's command ended with (written by the launch wrapper); undefined when unknown. */
  status: number | undefined;
  /** Signal that ended the wrapper process when the agent saw it (its own child only). */
  wrapperSignal: string | undefined;
  /** A kill command was received for the task, or the agent killed it itself (see `killReason`). */
  killRequested: boolean;
  /** Why the agent killed the task itself (failed health checks); undefined for a requested kill. */
  killReason?: string | undefined;
  /** The task's memory cgroup recorded an OOM kill. */
  oomKilled: boolean;
  /** The process was found gone when the agent restarted, with no exit status on record. */
  goneWhileAgentDown: boolean;
}

/** The final report of a task: a terminal state, a message for humans, and what ended it. */
export interface TaskOutcome {
  state: schedulerV1Model.TaskState;
  message: string;
  /** -1 when unknown. */
  exitCode: number;
  /** Signal name, "" when none. */
  signal: string;
  /** Why, in Mesos' words (`TaskReason`); "" when there is nothing to say (exit 0, a kill asked for). */
  reason: string;
}

/** Mesos' `TaskStatus.Reason` names the agent reports (Marathon and DC/OS tooling know them). */
export const TaskReason = {
  /** The command exited non-zero, or was ended by a signal no one asked for. */
  commandFailed: "REASON_COMMAND_EXECUTOR_FAILED",
  /** The memory cgroup killed it. */
  memoryLimit: "REASON_CONTAINER_LIMITATION_MEMORY",
  /** It could not be started (sandbox, cgroups, user, fetch, network). */
  launchFailed: "REASON_CONTAINER_LAUNCH_FAILED",
  /** Its health checks failed too often: the agent killed it. */
  unhealthy: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
  /** It was killed before it started. */
  killedDuringLaunch: "REASON_TASK_KILLED_DURING_LAUNCH",
  /** The launch could not run at all (bad ids, no command, an assignment the agent cannot apply). */
  invalid: "REASON_TASK_INVALID",
  /** Its process vanished while the agent was down, with no exit status. */
  executorTerminated: "REASON_EXECUTOR_TERMINATED",
  /** A kill of a task this agent does not run. */
  unknown: "REASON_TASK_UNKNOWN",
} as const;

/** Message of an OOM-killed task (Mesos' wording, which Marathon users search for). */
export const OOM_MESSAGE = "Memory limit exceeded";
/** Message of a task whose process vanished while the agent was not running. */
export const GONE_MESSAGE = "process gone while agent was down";

const SIGNALS: Record<number, string> = {
  1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
  9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
};

/** The signal a shell-style status above 128 stands for ("" when it stands for none). */
export function signalOfStatus(status: number): string {
  return status > 128 ? (SIGNALS[status - 128] ?? `signal ${status - 128}`) : "";
}

/**
 * Decides a task's terminal state. Order matters: a requested kill is KILLED whatever the exit
 * looked like (the scheduler asked for it); an OOM kill is FAILED with OOM_MESSAGE even though
 * it looks like SIGKILL; exit 0 is FINISHED; anything else is FAILED saying what ended it.
 */
export function classifyTaskEnd(end: TaskEnd): TaskOutcome {
  const exitCode = end.status ?? -1;
  const signal = end.status !== undefined ? signalOfStatus(end.status) : (end.wrapperSignal ?? "");
  if (end.killRequested) return { state: TaskState.KILLED, message: end.killReason ?? "killed on request", exitCode, signal, reason: end.killReason === undefined ? "" : TaskReason.unhealthy };
  if (end.oomKilled) return { state: TaskState.FAILED, message: OOM_MESSAGE, exitCode, signal: signal || "SIGKILL", reason: TaskReason.memoryLimit };
  if (end.status === 0) return { state: TaskState.FINISHED, message: "exited with code 0", exitCode: 0, signal: "", reason: "" };
  if (end.status !== undefined) {
    const message = signal ? `terminated by ${signal} (exit code ${end.status})` : `exited with code ${end.status}`;
    return { state: TaskState.FAILED, message, exitCode, signal, reason: TaskReason.commandFailed };
  }
  if (end.goneWhileAgentDown) return { state: TaskState.FAILED, message: GONE_MESSAGE, exitCode, signal, reason: TaskReason.executorTerminated };
  return { state: TaskState.FAILED, message: `task process ended by ${signal || "an unknown cause"} without an exit status`, exitCode, signal, reason: TaskReason.commandFailed };
}
