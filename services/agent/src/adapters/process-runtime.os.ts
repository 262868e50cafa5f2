import { existsSync, readdirSync, readFileSync, readlinkSync, statfsSync, watch as watchDir, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { parseProcStat } from "../domain/index.ts";
import type { ProcessRuntime, ProcessSpec, SandboxPaths, StartedProcess } from "../app/ports.ts";
import { LauncherServer, LauncherServerLost } from "./launcher-server.os.ts";
import { isLauncherRun, launcherPath, launcherRunArgs } from "./task-launcher.ts";
import { processEnvironment } from "./proc-environ.os.ts";

/**
 * How often a re-attached task's launcher is looked at besides the event on its exit status
 * file: only a launcher killed before it could write one (SIGKILL from someone else than the
 * agent) goes unseen by the event.
 */
const WATCH_FALLBACK_MS = 2_000;

/** After the exit status file appeared: how long the launcher is given to exit, checked every `EXIT_SETTLE_MS`. */
const EXIT_SETTLE_MS = 10;
const EXIT_SETTLE_TRIES = 200;

/** `$0` of the `/bin/sh` wrappers agents before the launcher started tasks with (still recognised: their tasks are re-attached after an upgrade). */
const LEGACY_WRAPPER_MARK = "gantry-task";

/** A process group id a task can have: a launcher's pid, never 0 (the caller's own group) or 1 (init; -1 means every process). */
function isTaskGroup(pgid: number): boolean {
  return Number.isInteger(pgid) && pgid > 1;
}

function procStat(pid: number) {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return undefined;
  }
}

/** Whether `argv` is a task launcher (`gantry-task-launcher run …`) or a legacy `/bin/sh -c <wrapper> gantry-task …`. */
function isTaskLauncher(argv: readonly string[]): boolean {
  return isLauncherRun(argv) || (argv[0] === "/bin/sh" && argv[1] === "-c" && argv[3] === LEGACY_WRAPPER_MARK);
}

/** The working directory of `pid` when it is a task launcher (its sandbox), else undefined. */
function launcherIn(pid: number): string | undefined {
  const argv = cmdline(pid);
  if (argv === undefined || !isTaskLauncher(argv)) return undefined;
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** The pids whose parent is `pid` (/proc/<pid>/task/<pid>/children). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter((s) => s.trim() !== "").map(Number);
  } catch {
    return [];
  }
}

/** The magic number of the cgroup v2 file system (statfs f_type). */
const CGROUP2_MAGIC = 0x63677270;

/** Whether a cgroup.procs file is in a cgroup v2 group. */
function onCgroup2(procsFile: string): boolean {
  try {
    return statfsSync(dirname(procsFile)).type === CGROUP2_MAGIC;
  } catch {
    return false;
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

/**
 * Task processes on Linux, started by `gantry-task-launcher run` (services/agent/launcher): the
 * launcher leads its own session (pid = pgid, recorded in the checkpoint), writes its pid file,
 * and forks the task, which joins its cgroups, enters the instance's network namespace and
 * becomes its user before it execs, in a session and process group of its own. The launcher
 * stays outside the task's cgroups, forwards SIGTERM to the task's group, and records the
 * task's exit status. Output goes to files (no pipes to the agent, so tasks outlive an agent
 * restart). Throws at creation, saying how to build it, when the launcher is missing.
 *
 * Launchers are started by the launcher server (`gantry-task-launcher serve`, see
 * `launcher-server.os.ts`), a small process the agent runs once: forking it costs a fraction of
 * forking the agent. Should it die, the next start runs another; running tasks are unaffected.
 *
 * Exits are seen without scanning /proc: the server's report of its child's exit; after an agent
 * restart (or the server's death), an inotify event (fs.watch) on the exit status file the launcher
 * writes, with a slow fallback look at the launcher for one killed before it could write it
 * (`watchFallbackMs`, default 2 s; tests set it high to see that the event alone suffices).
 */
export function osProcessRuntime(options: { launcher?: string; watchFallbackMs?: number } = {}): ProcessRuntime {
  const launcher = options.launcher ?? launcherPath();
  const fallbackMs = options.watchFallbackMs ?? WATCH_FALLBACK_MS;
  const isAlive = (pid: number, startTicks: number) => {
    const s = procStat(pid);
    return s !== undefined && s.state !== "Z" && s.startTicks === startTicks;
  };
  /** `justOrphaned`: its parent (the launcher server) just died, which kills a launcher that had not yet written its pid: looked at closely at first. */
  const watch = (pid: number, startTicks: number, signal: AbortSignal, exitStatusFile?: string, justOrphaned = false): Promise<void> => {
    return new Promise<void>((resolve) => {
      let watcher: FSWatcher | undefined;
      let timer: NodeJS.Timeout | undefined;
      let settling = false;
      const done = () => {
        watcher?.close();
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const look = () => {
        if (signal.aborted || !isAlive(pid, startTicks)) return done();
        timer = setTimeout(look, fallbackMs);
      };
      // The status file appears just before the launcher exits: give it those milliseconds
      // (then back to the fallback look, should it still run).
      const settle = (tries: number) => {
        if (signal.aborted || !isAlive(pid, startTicks)) return done();
        if (tries > 0) timer = setTimeout(() => settle(tries - 1), EXIT_SETTLE_MS);
        else {
          settling = false; // a status file appearing later wakes it again
          timer = setTimeout(look, fallbackMs);
        }
      };
      signal.addEventListener("abort", done, { once: true });
      if (exitStatusFile !== undefined) {
        try {
          watcher = watchDir(dirname(exitStatusFile), (_event, name) => {
            if (settling || name !== basename(exitStatusFile)) return;
            settling = true;
            clearTimeout(timer);
            settle(EXIT_SETTLE_TRIES);
          });
          watcher.on("error", () => watcher?.close());
        } catch {
          // No directory to watch: the fallback look alone.
        }
      }
      // Checked once the watch is in place, so that an exit just before is not missed (a status
      // already on file: the launcher is exiting, no event will come).
      if (justOrphaned || (exitStatusFile !== undefined && existsSync(exitStatusFile))) {
        settling = true;
        settle(EXIT_SETTLE_TRIES);
      } else look();
    });
  };
  const findWrapper = (paths: SandboxPaths): { pid: number; startTicks: number; running: boolean } | undefined => {
    let pid: number;
    try {
      const text = readFileSync(paths.pidFile, "utf8").trim();
      if (!/^\d+$/.test(text)) return undefined;
      pid = Number(text);
    } catch {
      return undefined;
    }
    const stat = procStat(pid);
    const running = stat !== undefined && stat.state !== "Z" && launcherIn(pid) === paths.sandbox;
    return { pid, startTicks: running ? stat.startTicks : 0, running };
  };
  const server = new LauncherServer(launcher);
  const closed = new AbortController();
  return {
    async start(spec: ProcessSpec): Promise<StartedProcess> {
      // On cgroup v2 the launcher filters devices with a BPF program; on v1 the isolator's devices group does.
      const deniedDevices = spec.deniedDevices !== undefined && spec.deniedDevices.length > 0 && spec.joinFiles.some(onCgroup2) ? spec.deniedDevices : undefined;
      const args = launcherRunArgs({ pidFile: spec.paths.pidFile, exitFile: spec.paths.exitStatusFile, cgroupProcs: spec.joinFiles, netns: spec.netnsPath, user: spec.user, deniedDevices, argv: spec.argv });
      // A launcher whose parent (the server) died is watched as after an agent restart.
      // Looked at closely only when it may die with the server: before its pid is on file.
      const orphaned = (pid: number, startTicks: number) => watch(pid, startTicks, closed.signal, spec.paths.exitStatusFile, !existsSync(spec.paths.pidFile)).then(() => ({ signal: undefined }));
      for (let attempt = 1; ; attempt++) {
        try {
          const started = await server.start({ argv: [launcher, ...args], env: spec.env, cwd: spec.paths.sandbox, stdout: spec.paths.stdout, stderr: spec.paths.stderr });
          const ended = started.ended.then((end) => (end === "lost" ? orphaned(started.pid, started.startTicks) : end));
          return { pid: started.pid, pgid: started.pid, startTicks: started.startTicks, ended };
        } catch (err) {
          if (!(err instanceof LauncherServerLost)) throw err;
          // The server died with this start in flight. A launcher runs on only once its pid is on
          // file (until then it dies with the server): the pid file says whether it began.
          const wrapper = findWrapper(spec.paths);
          if (wrapper?.running) return { pid: wrapper.pid, pgid: wrapper.pid, startTicks: wrapper.startTicks, ended: orphaned(wrapper.pid, wrapper.startTicks) };
          // Nothing began: once more, on a new server.
          if (wrapper !== undefined || attempt === 2) throw err;
        }
      }
    },
    isAlive,
    watch,
    groupAlive(pgid) {
      if (!isTaskGroup(pgid)) return false;
      // The launcher leading the group lives until its task's processes are gone (it kills and reaps them).
      const leader = procStat(pgid);
      if (leader !== undefined && leader.state !== "Z" && leader.pgrp === pgid) return true;
      try {
        process.kill(-pgid, 0);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
      }
      // Members without a live leader (a legacy wrapper's group, or a zombie leader): kill(0) also counts zombies.
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
      const argv = cmdline(pgid);
      const children = signal === "SIGKILL" && argv !== undefined && isLauncherRun(argv) ? childrenOf(pgid) : [];
      if (children.length > 0) {
        // The task's groups, not the launcher: it survives to record the status (137) and then
        // kills and reaps whatever the task left.
        for (const child of children) {
          signalQuietly(-child, "SIGKILL");
          signalQuietly(child, "SIGKILL");
        }
        return;
      }
      // A launcher without a child has not forked its task yet (or its task is gone): it goes
      // itself, and a task forked just now dies with it (it checks its parent before it execs).
      // SIGTERM: the launcher passes it on to the task's group and stays to record the status.
      signalQuietly(-pgid, signal);
    },
    findWrapper,
    close() {
      server.close();
      closed.abort();
    },
    environOf: processEnvironment,
    wrappersUnder(sandboxesRoot) {
      const found: { pid: number; taskId: string }[] = [];
      for (const name of readdirSync("/proc")) {
        if (!/^\d+$/.test(name)) continue;
        const cwd = launcherIn(Number(name));
        if (cwd !== undefined && dirname(cwd) === sandboxesRoot) found.push({ pid: Number(name), taskId: basename(cwd) });
      }
      // A launcher's child that has not exec'd its task yet still looks like a launcher: not one.
      const pids = new Set(found.map((w) => w.pid));
      return found.filter((w) => !pids.has(procStat(w.pid)?.ppid ?? 0));
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
