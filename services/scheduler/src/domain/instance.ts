import type { GpuDevice } from "./agent-node.ts";
import type { Allocation } from "./ledger/agent-ledger.ts";
import type { ResourceAmount } from "./resources.ts";
import type { TaskStateName } from "./task-state.ts";
import { isTerminal, PROGRESS_ORDER } from "./task-state.ts";

/** A host port assigned to one endpoint of one container of an instance. */
export interface InstancePort {
  container: string;
  endpoint: string;
  endpointIndex: number;
  hostPort: number;
  containerPort: number;
}

/**
 * One instance of an app or pod, placed once on one agent: one task per container (an app has
 * one). Its state follows its tasks (see `instanceState`). `killRequested` marks instances the
 * scheduler is stopping.
 */
export interface Instance {
  instanceId: string;
  /** The first container's task (the app's task). */
  taskId: string;
  /** The app's or pod's id. */
  appId: string;
  /** The configuration it runs (the run spec's config version). */
  appVersion: string;
  agentId: string;
  host: string;
  pod: boolean;
  /** Every task of the instance, in container order, with its own state. */
  tasks: readonly InstanceTask[];
  /** The instance's state, derived from its tasks. */
  state: TaskStateName;
  message: string;
  exitCode: number;
  /** Why its last task change was terminal, in Mesos' words ("" when none; absent in older snapshots). */
  reason?: string;
  resources: ResourceAmount;
  allocation: Allocation;
  ports: readonly InstancePort[];
  gpus: readonly GpuDevice[];
  /** Milliseconds since the epoch: when it was placed, and its last state change. */
  placedAt: number;
  updatedAt: number;
  killRequested: boolean;
  /**
   * What makes it count in a deployment, fixed by the version it was placed for (absent for
   * instances placed before this was recorded: their run spec's current checks stand in).
   */
  gates?: ServingGates;
}

/** The checks an instance must pass to serve: its health-checked containers' health, and its readiness checks. */
export interface ServingGates {
  healthCheckedContainers: readonly string[];
  readinessChecked: boolean;
}

/** One task of an instance. */
export interface InstanceTask {
  taskId: string;
  container: string;
  state: TaskStateName;
  /**
   * The last verdict of the agent's health checks of this task; absent while the task has no
   * checks or they have not decided yet. Kept after the task stops running (why it ended), but
   * only ever changed while it runs.
   */
  health?: TaskHealth;
  /** Its readiness checks all passed (absent until then, and for tasks without readiness checks). */
  ready?: TaskReadiness;
}

/** When a task's readiness checks passed, as the agent reported it. */
export interface TaskReadiness {
  message: string;
  /** RFC 3339. */
  at: string;
}

/** A task's health verdict as the agent reported it. */
export interface TaskHealth {
  healthy: boolean;
  /** Why, in the agent's words (the failing check and its cause, or the check that passed). */
  message: string;
  /** RFC 3339: when the agent saw the verdict change. */
  changedAt: string;
}

/**
 * An instance's state from its tasks': the first terminal state of any task (a pod fails as a
 * whole when one of its containers ends), else the least advanced state (a pod runs when all its
 * containers run).
 */
export function instanceState(tasks: readonly InstanceTask[]): TaskStateName {
  const ended = tasks.find((t) => isTerminal(t.state));
  if (ended) return ended.state;
  let least: TaskStateName = "TASK_KILLING";
  for (const t of tasks) if (PROGRESS_ORDER[t.state] < PROGRESS_ORDER[least]) least = t.state;
  return tasks.length === 0 ? "TASK_STAGING" : least;
}

/**
 * Whether an instance serves: it runs, the tasks of its health-checked containers are healthy,
 * and its readiness checks passed (Marathon's gates of a deployment; an instance without checks
 * serves once it runs). Its own gates decide (those of the version it was placed for), else
 * `fallbackHealthChecked`, its run spec's current health-checked containers.
 */
export function servesHealthy(inst: Instance, fallbackHealthChecked: readonly string[]): boolean {
  if (inst.state !== "TASK_RUNNING") return false;
  const checked = inst.gates?.healthCheckedContainers ?? fallbackHealthChecked;
  if (!inst.tasks.every((t) => !checked.includes(t.container) || t.health?.healthy === true)) return false;
  return !inst.gates?.readinessChecked || inst.tasks.every((t) => t.ready !== undefined);
}

/** Marathon's `TaskFailure`: the last task of an app that ended in failure, kept per app. */
export interface TaskFailure {
  appId: string;
  taskId: string;
  /** Mesos name, e.g. TASK_FAILED. */
  state: TaskStateName;
  message: string;
  host: string;
  agentId: string;
  /** The configuration the task ran. */
  version: string;
  /** RFC 3339. */
  timestamp: string;
}

const FAILURES: ReadonlySet<TaskStateName> = new Set(["TASK_FAILED", "TASK_ERROR", "TASK_LOST", "TASK_GONE"]);

/** True for the states Marathon records as a task failure (not a kill, not a finish). */
export function isFailure(state: TaskStateName): boolean {
  return FAILURES.has(state);
}
