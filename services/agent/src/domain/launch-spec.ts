/**
 * What a launch command asks for, checked and turned into a process description. Pure.
 */
import type { ArtifactPlan } from "./artifacts.ts";
import type { HealthProbe } from "./health-checks.ts";
import type { TaskEnvSpec, TaskResources } from "./task-env.ts";

/** The parts of a LaunchTask the runtime needs (the protobuf message satisfies it). */
export interface LaunchRequest {
  taskId: string;
  instanceId: string;
  appId: string;
  appVersion: string;
  cmd: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  resources?: { cpus: number; mem: number; disk: number; gpus: number } | undefined;
  killGracePeriodSeconds: number;
}

/** A host port the scheduler assigned to one endpoint of a task's container (checkpointed with the task). */
export interface TaskPortAssignment {
  container: string;
  /** The endpoint's name ("" when unnamed) and its index among the container's endpoints. */
  endpoint: string;
  endpointIndex: number;
  hostPort: number;
  /** The endpoint's port inside the container network (0 on the host network). */
  containerPort: number;
}

/**
 * One task to start, checked, whichever command asked for it (LaunchTask, or the one container
 * of an app's LaunchInstance): the process, its environment's inputs, its limits and what the
 * scheduler assigned it.
 */
export interface TaskLaunch extends TaskEnvSpec {
  argv: string[];
  killGraceMs: number;
  /**
   * GPU indices the scheduler assigned (LaunchInstance): exactly these are the task's. Undefined
   * for a LaunchTask, which carries only a count: the agent then picks `resources.gpus` free ones.
   */
  assignedGpus: readonly number[] | undefined;
  /** Host ports the scheduler assigned (empty for a LaunchTask, whose ports are in its env). */
  assignedPorts: readonly TaskPortAssignment[];
  /** The container's health checks, planned (empty for a LaunchTask, which carries none). */
  healthChecks: readonly HealthProbe[];
  /** Its run spec's readiness checks (an app's task; none for pods and bare tasks). */
  readinessChecks: readonly HealthProbe[];
  /** Volumes of the instance mounted into the task's sandbox (relative mount paths; empty for a LaunchTask). */
  volumeMounts: readonly VolumeMount[];
  /** The user the task runs as (the container's, else the run spec's); "" = the agent's own. */
  user: string;
  /** What is fetched into the sandbox before the task starts (Marathon's `fetch`, a pod container's `artifacts`). */
  artifacts: readonly ArtifactPlan[];
}

/** A volume of the instance seen at `mountPath` inside the task's sandbox. */
export interface VolumeMount {
  volume: string;
  /** Relative to the sandbox. */
  mountPath: string;
  readOnly: boolean;
}

/** Task ids become directory and cgroup names: no `/`, no leading `.`, nothing a shell or path could misread. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}$/;

/** Kill grace used when a command says 0 (as Marathon's default taskKillGracePeriodSeconds is 3 s). */
export const DEFAULT_KILL_GRACE_SECONDS = 3;

/** Why a launch cannot run at all (reported as TASK_ERROR), or undefined when it can. */
export function launchProblem(launch: LaunchRequest): string | undefined {
  if (!TASK_ID_PATTERN.test(launch.taskId)) return `task id "${launch.taskId}" is not usable as a sandbox name`;
  if (launch.cmd.trim() === "" && launch.args.length === 0) return "the task has neither cmd nor args";
  const r = launch.resources;
  if (r && (!(r.cpus >= 0) || !(r.mem >= 0) || !(r.gpus >= 0))) return "the task's resources must be non-negative";
  return undefined;
}

/** The program and its arguments: `cmd` through `/bin/sh -c` (Marathon's shell form), else `args` as given. */
export function taskArgv(launch: Pick<LaunchRequest, "cmd" | "args">): string[] {
  return launch.cmd.trim() !== "" ? ["/bin/sh", "-c", launch.cmd] : [...launch.args];
}

/** The task a LaunchTask asks for; call only once `launchProblem` found nothing wrong. */
export function taskLaunchFromLaunchTask(launch: LaunchRequest): TaskLaunch {
  const r = launch.resources;
  const resources: TaskResources = { cpus: r?.cpus ?? 0, mem: r?.mem ?? 0, disk: r?.disk ?? 0, gpus: r?.gpus ?? 0 };
  return {
    taskId: launch.taskId,
    instanceId: launch.instanceId,
    appId: launch.appId,
    appVersion: launch.appVersion,
    env: launch.env,
    resources,
    labels: {},
    ports: undefined,
    image: "",
    host: "",
    argv: taskArgv(launch),
    killGraceMs: killGraceMs(launch.killGracePeriodSeconds),
    assignedGpus: undefined,
    assignedPorts: [],
    healthChecks: [],
    readinessChecks: [],
    volumeMounts: [],
    user: "",
    artifacts: [],
  };
}

/** Kill grace in milliseconds: the kill command's own, else the launch's, else the default. */
export function killGraceMs(...seconds: (number | undefined)[]): number {
  const s = seconds.find((v) => v !== undefined && v > 0);
  return (s ?? DEFAULT_KILL_GRACE_SECONDS) * 1000;
}

/**
 * Picks `count` GPU indices not in `inUse` from the inventory, lowest first; undefined when
 * too few are free. (Index allocation is the agent's until the scheduler assigns devices.)
 */
export function pickGpus(inventory: readonly { index: number }[], inUse: ReadonlySet<number>, count: number): number[] | undefined {
  if (count <= 0) return [];
  const free = inventory.map((g) => g.index).filter((i) => !inUse.has(i));
  return free.length >= count ? free.slice(0, count) : undefined;
}
