import { join } from "node:path";
import { parseCheckpoint, TASK_ID_PATTERN } from "../domain/index.ts";
import type { UserDirectory } from "../app/ports.ts";
import { readParsed } from "./json-files.ts";
import { taskProcessOf, type ExecTarget } from "./exec-join.os.ts";

/** A running task's world, with the environment its process has; or why there is none. */
export type ExecTargetLookup = { ok: true; target: ExecTarget; env: NodeJS.ProcessEnv } | { ok: false; reason: string };


/**
 * Finds where an exec into `taskId` runs, from the task's checkpoint (what the agent recorded
 * when it started it: pid, user, sandbox; the launcher's join finds its cgroups and namespaces): only a task this agent runs now
 * (`isRunning`) whose process started. Its environment is read from its process (`environOf`).
 */
export function execTargets(workDir: string, users: UserDirectory, isRunning: (taskId: string) => boolean, environOf: (pid: number) => NodeJS.ProcessEnv): (taskId: string) => ExecTargetLookup {
  return (taskId) => {
    if (!TASK_ID_PATTERN.test(taskId) || !isRunning(taskId)) return { ok: false, reason: `task ${taskId} is not running on this agent` };
    const sandbox = join(workDir, "sandboxes", taskId);
    const cp = readParsed(join(sandbox, ".gantry", "checkpoint.json"), parseCheckpoint);
    if (!cp || cp.starting || cp.final) return { ok: false, reason: `task ${taskId} is not running on this agent` };
    let user: ExecTarget["user"];
    if (cp.user !== undefined && cp.user !== users.current()) {
      user = users.lookup(cp.user);
      if (!user) return { ok: false, reason: `user "${cp.user}" of task ${taskId} does not exist on this agent` };
    }
    const pid = taskProcessOf(cp.pid);
    return { ok: true, target: { pid, user, sandbox }, env: environOf(pid) };
  };
}
