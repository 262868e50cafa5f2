import { spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { basename, dirname } from "node:path";
import { parseProcStat } from "../domain/index.ts";
import type { ProcessRuntime, ProcessSpec, StartedProcess } from "../app/ports.ts";

/** How often a task the agent is not the parent of is checked (after an agent restart). */
const WATCH_POLL_MS = 250;

/** The wrapper's $0: how its processes are told apart from everything else. */
const WRAPPER_MARK = "gantry-task";

/** A process group id a task can have: a wrapper's pid, never 0 (the caller's own group) or 1 (init; -1 means every process). */
function isTaskGroup(pgid: number): boolean {
  return Number.isInteger(pgid) && pgid > 1;
}

/** Quotes a string for /bin/sh. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * The launch wrapper: a `/bin/sh` that first writes its pid (so an agent that died before
 * recording it still finds the task), joins the task's cgroups (before anything of the task
 * runs, so every process it ever forks is accounted and limited), runs the task as its child,
 * and writes the task's exit status to a file. The file is how an agent that restarted, and so
 * is no longer the parent, still learns how the task ended. Exit 125 means the join failed.
 */
export function wrapperScript(joinFiles: readonly string[], exitStatusFile: string, pidFile: string): string {
  const join = joinFiles.map((f) => `echo $$ > ${shellQuote(f)}`).join(" && ");
  return [
    `echo $$ > ${shellQuote(pidFile)}`,
    join === "" ? "" : `${join} || exit 125`,
    `"$@"`,
    `s=$?`,
    `echo $s > ${shellQuote(exitStatusFile)}`,
    `exit $s`,
  ].filter((l) => l !== "").join("\n");
}

/**
 * Task processes on Linux: each task is `/bin/sh -c <wrapper> gantry-task <argv…>`, detached
 * (its own session and process group, pgid = pid, so a kill reaches every child), in its sandbox,
 * stdout/stderr appended to files (no pipes to the agent, so tasks outlive an agent restart).
 */
export function osProcessRuntime(): ProcessRuntime {
  const procStat = (pid: number) => {
    try {
      return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return undefined;
    }
  };
  /** The working directory of `pid` when it is a launch wrapper (`/bin/sh -c … gantry-task …`), else undefined. */
  const isWrapperIn = (pid: number): string | undefined => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (argv[0] !== "/bin/sh" || argv[1] !== "-c" || argv[3] !== WRAPPER_MARK) return undefined;
      return readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      return undefined;
    }
  };
  const isAlive = (pid: number, startTicks: number) => {
    const s = procStat(pid);
    return s !== undefined && s.state !== "Z" && s.startTicks === startTicks;
  };
  return {
    start(spec: ProcessSpec): StartedProcess {
      const out = openSync(spec.paths.stdout, "a");
      const err = openSync(spec.paths.stderr, "a");
      try {
        const child = spawn("/bin/sh", ["-c", wrapperScript(spec.joinFiles, spec.paths.exitStatusFile, spec.paths.pidFile), WRAPPER_MARK, ...spec.argv], {
          cwd: spec.paths.sandbox,
          env: spec.env,
          detached: true,
          stdio: ["ignore", out, err],
        });
        const pid = child.pid;
        if (pid === undefined) throw new Error("spawn of /bin/sh failed");
        const ended = new Promise<{ signal: string | undefined }>((resolve) => {
          child.once("exit", (_code, signal) => resolve({ signal: signal ?? undefined }));
          child.once("error", () => resolve({ signal: undefined }));
        });
        child.unref();
        // The child is not reaped before the event loop runs, so its /proc entry is there to read.
        const stat = procStat(pid);
        if (!stat) throw new Error(`cannot read /proc/${pid}/stat of the new task process`);
        return { pid, pgid: pid, startTicks: stat.startTicks, ended };
      } finally {
        closeSync(out);
        closeSync(err);
      }
    },
    isAlive,
    async watch(pid, startTicks, signal) {
      while (!signal.aborted && isAlive(pid, startTicks)) {
        await new Promise((r) => setTimeout(r, WATCH_POLL_MS));
      }
    },
    groupAlive(pgid) {
      if (!isTaskGroup(pgid)) return false;
      try {
        process.kill(-pgid, 0);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
      }
      // kill(0) also counts zombies; a re-attached task's wrapper may stay one when no init reaps it.
      for (const name of readdirSync("/proc")) {
        if (!/^\d+$/.test(name)) continue;
        const s = procStat(Number(name));
        if (s && s.pgrp === pgid && s.state !== "Z") return true;
      }
      return false;
    },
    signalGroup(pgid, signal) {
      // kill(-0) or kill(-1) would signal the agent's own group or every process: never a task's.
      if (!isTaskGroup(pgid)) throw new Error(`refusing to signal process group ${pgid}: not a task's`);
      try {
        process.kill(-pgid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
    },
    findWrapper(paths) {
      let pid: number;
      try {
        const text = readFileSync(paths.pidFile, "utf8").trim();
        if (!/^\d+$/.test(text)) return undefined;
        pid = Number(text);
      } catch {
        return undefined;
      }
      const stat = procStat(pid);
      const running = stat !== undefined && stat.state !== "Z" && isWrapperIn(pid) === paths.sandbox;
      return { pid, startTicks: running ? stat.startTicks : 0, running };
    },
    environOf(pid) {
      const env: NodeJS.ProcessEnv = {};
      try {
        for (const entry of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
          const eq = entry.indexOf("=");
          if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
        }
      } catch {
        // gone, or not ours to read
      }
      return env;
    },
    wrappersUnder(sandboxesRoot) {
      const found: { pid: number; taskId: string }[] = [];
      for (const name of readdirSync("/proc")) {
        if (!/^\d+$/.test(name)) continue;
        const cwd = isWrapperIn(Number(name));
        if (cwd !== undefined && dirname(cwd) === sandboxesRoot) found.push({ pid: Number(name), taskId: basename(cwd) });
      }
      return found;
    },
    readExitStatus(file) {
      try {
        const text = readFileSync(file, "utf8").trim();
        return /^\d+$/.test(text) ? Number(text) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
