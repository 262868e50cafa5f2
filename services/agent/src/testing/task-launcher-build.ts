/**
 * Builds gantry-task-launcher for the tests that run it (incremental: `make` rebuilds only
 * when a source changed, so a test never runs a stale launcher). Test support only.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launcherPath } from "../adapters/task-launcher.ts";

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", "scripts", "build-launcher.sh");

/** Builds the launcher (throws with the compiler's output when that fails) and returns its path. */
export function buildTaskLauncher(): string {
  const r = spawnSync("bash", [SCRIPT], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building gantry-task-launcher failed:\n${r.stdout}${r.stderr}`);
  return launcherPath();
}
