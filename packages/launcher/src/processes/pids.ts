import { existsSync, readFileSync } from "node:fs";

/**
 * The pid in `pidFile` (its first line) when that process is alive and runs `program` (checked
 * in /proc where there is one, so that a reused pid is not taken for it); else undefined.
 */
export function livePidIn(pidFile: string, program: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]!.trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  if (existsSync("/proc/self")) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(program)) return undefined;
    } catch {
      return undefined;
    }
  }
  return pid;
}

/** Whether process `pid` exists (one of another user counts too). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Waits until process `pid` is gone; resolves false when it is still there after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/**
 * Sends `signal` to `pid` and waits until it is gone, with SIGKILL after `graceMs`. Resolves
 * false when it is still there 5 s after that (it is not this user's to kill).
 */
export async function stopPid(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<boolean> {
  const send = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // Gone already, or not ours: waitForExit tells.
    }
  };
  send(signal);
  if (await waitForExit(pid, graceMs)) return true;
  send("SIGKILL");
  return waitForExit(pid, 5_000);
}
