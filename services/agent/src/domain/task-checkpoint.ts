import type { HealthProbe } from "./health-checks.ts";
import { parseJsonObject } from "./json-object.ts";
import { TASK_ID_PATTERN, type TaskPortAssignment } from "./launch-spec.ts";

/**
 * What the agent writes to `<sandbox>/.gantry/checkpoint.json` so a restarted agent can
 * re-attach to a task or report how it ended. Written BEFORE the process is started (`starting`,
 * with pid 0: a restarted agent finds a process that started from the pid the wrapper wrote, and
 * knows that one that did not never ran), rewritten once it started, when a kill is requested,
 * when the task ends (with `final`) and when that final status was acknowledged by the stream
 * (`finalReported`).
 */
export interface TaskCheckpoint {
  version: 1;
  taskId: string;
  instanceId: string;
  appId: string;
  appVersion: string;
  agentId: string;
  /** Written before the process was started: pid, pgid and startTicks are 0 until it is. */
  starting?: true;
  /** Pid of the launch wrapper; it leads the task's process group, so pgid === pid. */
  pid: number;
  pgid: number;
  /** Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22): guards against pid reuse. */
  startTicks: number;
  /** RFC 3339 time the task started. */
  startedAt: string;
  killGraceMs: number;
  /** RFC 3339 time a kill was requested, when one was. */
  killRequestedAt?: string;
  /** Why the agent killed the task itself (failed health checks); absent for a kill the scheduler asked for. */
  killReason?: string;
  /** The task's health checks, resumed by a restarted agent (absent in checkpoints written before them). */
  healthChecks?: HealthProbe[];
  /** Its readiness checks, resumed by a restarted agent until they passed. */
  readinessChecks?: HealthProbe[];
  /** RFC 3339 time its readiness checks all passed (and were reported). */
  readyAt?: string;
  /** The user the task runs as (absent: the agent's own). */
  user?: string;
  /** RFC 3339 time the task first passed its health checks: a restarted agent grants no new grace period. */
  healthPassedAt?: string;
  /** The task's GPUs by index: assigned by the scheduler (LaunchInstance) or picked by the agent (LaunchTask). */
  gpuIndices: number[];
  /** Host ports the scheduler assigned (empty for a LaunchTask; absent in checkpoints written before LaunchInstance). */
  assignedPorts: TaskPortAssignment[];
  /** cgroup directories of the task (empty without cgroup isolation). */
  cgroupDirs: string[];
  final?: {
    state: number;
    message: string;
    exitCode: number;
    signal: string;
    /** Mesos' reason (absent in checkpoints written before reasons). */
    reason?: string;
    timestamp: string;
    updateId: string;
  };
  finalReported?: boolean;
}

/** Reads a checkpoint from its JSON text; undefined when it is not one this agent wrote (logged by the caller, never fatal). */
export function parseCheckpoint(text: string): TaskCheckpoint | undefined {
  const v = parseJsonObject(text);
  if (v === undefined) return undefined;
  const c = v as Partial<TaskCheckpoint>;
  const ok =
    c.version === 1 &&
    typeof c.taskId === "string" && TASK_ID_PATTERN.test(c.taskId) &&
    typeof c.agentId === "string" &&
    Number.isInteger(c.pid) && ((c.pid ?? 0) > 1 || (c.starting === true && c.pid === 0)) &&
    Number.isInteger(c.pgid) &&
    Number.isInteger(c.startTicks) &&
    typeof c.startedAt === "string" &&
    Array.isArray(c.cgroupDirs) && c.cgroupDirs.every((d) => typeof d === "string") &&
    Array.isArray(c.gpuIndices);
  if (!ok) return undefined;
  return {
    ...(c as TaskCheckpoint),
    instanceId: c.instanceId ?? "",
    appId: c.appId ?? "",
    appVersion: c.appVersion ?? "",
    killGraceMs: typeof c.killGraceMs === "number" ? c.killGraceMs : 3000,
    assignedPorts: Array.isArray(c.assignedPorts) ? c.assignedPorts : [],
    healthChecks: Array.isArray(c.healthChecks) ? c.healthChecks : [],
  };
}

/** Parses state (field 3), process group (field 5) and start time (field 22) out of /proc/<pid>/stat text; the command name may hold spaces and parentheses. */
export function parseProcStat(text: string): { state: string; ppid: number; pgrp: number; startTicks: number } | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  const state = fields[0];
  const ppid = Number(fields[1]);
  const pgrp = Number(fields[2]);
  const start = Number(fields[19]);
  if (state === undefined || !Number.isInteger(start) || !Number.isInteger(pgrp) || !Number.isInteger(ppid)) return undefined;
  return { state, ppid, pgrp, startTicks: start };
}
