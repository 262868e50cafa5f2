import { readFileSync } from "node:fs";
import type { TaskUser } from "../app/ports.ts";
import { launcherJoinArgs, launcherPath } from "./task-launcher.ts";

/** Where a command of an exec session must run: the world of one running task. */
export interface ExecTarget {
  /** A process of the task (the launcher's child, which is in its namespaces; else the launcher). */
  pid: number;
  /** The task's user; undefined: the agent's own. */
  user: TaskUser | undefined;
  sandbox: string;
}

/** The process that runs the task's command: the first child of the process the checkpoint names (its launcher), else that process. */
export function taskProcessOf(launcherPid: number): number {
  try {
    const children = readFileSync(`/proc/${launcherPid}/task/${launcherPid}/children`, "utf8").trim().split(/\s+/).filter((s) => /^\d+$/.test(s));
    return children.length > 0 ? Number(children[0]) : launcherPid;
  } catch {
    return launcherPid;
  }
}

/**
 * The argv that runs `command` inside `target`'s world: `gantry-task-launcher join --pid …`,
 * which joins every cgroup hierarchy of the task's process and its net/ipc/uts/mnt namespaces
 * where they differ from the agent's, becomes the task's user, changes to its sandbox and
 * execvp's the command with the environment it is given (exit 125 with a message on stderr when
 * a join fails). Throws FailedPrecondition when the launcher is not built.
 */
export function joinArgv(target: ExecTarget, command: readonly string[]): string[] {
  return [launcherPath(), ...launcherJoinArgs({ pid: target.pid, user: target.user?.name, cwd: target.sandbox, argv: command })];
}
