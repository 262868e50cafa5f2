import { rm, writeFile } from "node:fs/promises";
import { GantryError } from "@gantry/platform";
import { livePidIn } from "./pids.ts";

/** The launcher (a node process) recorded in `pidFile` while it lives; undefined otherwise. */
export function runningLauncherPid(pidFile: string): number | undefined {
  const pid = livePidIn(pidFile, "node");
  return pid === process.pid ? undefined : pid;
}

/**
 * Records this process as the launcher of a data dir. Throws FailedPrecondition when another
 * live launcher holds it (two would share one PostgreSQL data dir). Resolves with the release.
 */
export async function claimPidFile(pidFile: string, stopHint: string): Promise<() => Promise<void>> {
  const other = runningLauncherPid(pidFile);
  if (other !== undefined) throw new GantryError("FailedPrecondition", `this cluster already runs (pid ${other}, pid file ${pidFile}): ${stopHint}`);
  await writeFile(pidFile, `${process.pid}\n`);
  return () => rm(pidFile, { force: true });
}
