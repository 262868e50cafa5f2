import { accessSync, constants } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GantryError } from "@gantry/platform/errors";

/** The launcher's file name (also its $0: how recovery tells launchers from other processes). */
export const LAUNCHER_NAME = "gantry-task-launcher";

/** Environment variable naming the launcher binary to use instead of the built one. */
export const LAUNCHER_ENV = "GANTRY_TASK_LAUNCHER";

/**
 * Where the launcher is looked for, in order: beside this module (the bundled agent,
 * `dist/gantry-agent.mjs`, has it copied beside it by scripts/build-agent.ts), then where
 * `npm run build:launcher` puts it in the source tree.
 */
function candidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, LAUNCHER_NAME), resolve(here, "..", "..", "launcher", "bin", LAUNCHER_NAME)];
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of `gantry-task-launcher`, the small native program that starts every task (see
 * services/agent/launcher/README.md): `$GANTRY_TASK_LAUNCHER` when set (it must be executable),
 * else the built one. Throws FailedPrecondition saying how to build it when there is none: the
 * agent cannot start a task without it.
 */
export function launcherPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[LAUNCHER_ENV];
  if (override !== undefined && override !== "") {
    if (isExecutable(override)) return override;
    throw new GantryError("FailedPrecondition", `${LAUNCHER_ENV}=${override} is not an executable file: point it at a built ${LAUNCHER_NAME}, or unset it to use the one \`npm run build:launcher\` builds`);
  }
  const places = candidates();
  const found = places.find(isExecutable);
  if (found !== undefined) return found;
  throw new GantryError(
    "FailedPrecondition",
    `${LAUNCHER_NAME} is missing (looked for ${places.join(" and ")}): build it with \`npm run build:launcher\` (needs gcc and libc6-dev), or set ${LAUNCHER_ENV} to its path`,
  );
}

/** What `gantry-task-launcher run` is given: see `launcherRunArgs`. */
export interface LauncherRun {
  pidFile: string;
  exitFile: string;
  /** cgroup.procs files the task joins before anything of it runs. */
  cgroupProcs: readonly string[];
  /** The network namespace the task enters (a path such as /run/netns/<name>); undefined: the agent's. */
  netns?: string | undefined;
  /** The user the task becomes (its groups too); undefined: the launcher's own. */
  user?: string | undefined;
  /**
   * Devices the task may not use, as v1's devices.deny writes them (`c 195:1 rwm`): filtered by a
   * BPF device program on the task's cgroup v2 group (one must be among `cgroupProcs`). Not for
   * v1, where the devices hierarchy's own group does it.
   */
  deniedDevices?: readonly string[] | undefined;
  argv: readonly string[];
}

/** The arguments (after the program) of `gantry-task-launcher run` for one task. */
export function launcherRunArgs(run: LauncherRun): string[] {
  return [
    "run",
    "--pid-file", run.pidFile,
    "--exit-file", run.exitFile,
    ...run.cgroupProcs.flatMap((f) => ["--cgroup-procs", f]),
    ...(run.netns === undefined ? [] : ["--netns", run.netns]),
    ...(run.user === undefined ? [] : ["--user", run.user]),
    ...(run.deniedDevices ?? []).flatMap((d) => ["--deny-device", d]),
    "--",
    ...run.argv,
  ];
}

/** What `gantry-task-launcher join` is given: see `launcherJoinArgs`. */
export interface LauncherJoin {
  /** A process of the task: its cgroups and namespaces are joined. */
  pid: number;
  user?: string | undefined;
  cwd?: string | undefined;
  argv: readonly string[];
}

/**
 * The arguments (after the program) of `gantry-task-launcher join`: the command runs in the
 * cgroups and the net/ipc/uts/mnt namespaces of `pid`, as `user`, in `cwd`, with the environment
 * the launcher is given. The launcher exits 125 (message on stderr) when a join fails.
 */
export function launcherJoinArgs(join: LauncherJoin): string[] {
  return [
    "join",
    "--pid", String(join.pid),
    ...(join.user === undefined ? [] : ["--user", join.user]),
    ...(join.cwd === undefined ? [] : ["--cwd", join.cwd]),
    "--",
    ...join.argv,
  ];
}

/** Whether a process's command line (/proc/<pid>/cmdline split at NULs) is a launcher in `run` mode. */
export function isLauncherRun(argv: readonly string[]): boolean {
  const program = argv[0] ?? "";
  return (program === LAUNCHER_NAME || program.endsWith(`/${LAUNCHER_NAME}`)) && argv[1] === "run";
}
