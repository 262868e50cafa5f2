import { lchownSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseCheckpoint, type TaskCheckpoint } from "../domain/index.ts";
import { idDirectories, readParsed, writeJsonAtomically } from "./json-files.ts";
import type { SandboxPaths, SandboxStore } from "../app/ports.ts";

/**
 * Sandboxes on the local file system: `<workDir>/sandboxes/<taskId>/` is the task's working
 * directory with `stdout` and `stderr`; the agent's notes sit in its `.gantry/` directory
 * (`checkpoint.json`; `pid` and `exit-status`, written by the launch wrapper). Sandboxes are kept after a task ends (for logs and
 * post-mortems) until `app/sandbox-gc.ts` removes them, a week (by default) after they ended.
 */
export function fsSandboxStore(workDir: string): SandboxStore {
  const root = join(workDir, "sandboxes");
  const paths = (taskId: string): SandboxPaths => {
    const sandbox = join(root, taskId);
    return { sandbox, stdout: join(sandbox, "stdout"), stderr: join(sandbox, "stderr"), exitStatusFile: join(sandbox, ".gantry", "exit-status"), pidFile: join(sandbox, ".gantry", "pid") };
  };
  const checkpointFile = (taskId: string) => join(root, taskId, ".gantry", "checkpoint.json");
  return {
    root,
    paths,
    prepare(taskId) {
      const p = paths(taskId);
      mkdirSync(join(p.sandbox, ".gantry"), { recursive: true });
      // A sandbox left by a start that crashed before its checkpoint: its old status must not be read as this run's.
      rmSync(p.exitStatusFile, { force: true });
      rmSync(p.pidFile, { force: true });
      return p;
    },
    grant(taskId, user) {
      // lchown: a link (a volume's, or one an archive left) is given itself, never what it points to.
      const give = (path: string) => {
        lchownSync(path, user.uid, user.gid);
        if (!lstatSync(path).isDirectory()) return;
        for (const name of readdirSync(path)) if (path !== paths(taskId).sandbox || name !== ".gantry") give(join(path, name));
      };
      give(paths(taskId).sandbox);
    },
    linkVolume(taskId, mountPath, target) {
      const link = join(paths(taskId).sandbox, mountPath);
      mkdirSync(dirname(link), { recursive: true });
      rmSync(link, { force: true });
      symlinkSync(target, link);
    },
    remove(taskId) {
      rmSync(paths(taskId).sandbox, { recursive: true, force: true });
    },
    writeCheckpoint(cp: TaskCheckpoint) {
      writeJsonAtomically(checkpointFile(cp.taskId), cp);
    },
    list() {
      return idDirectories(root).map((taskId) => ({ taskId, checkpoint: readParsed(checkpointFile(taskId), parseCheckpoint) }));
    },
  };
}
