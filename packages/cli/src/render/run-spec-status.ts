import type { JsonObject } from "@bufbuild/protobuf";
import { schedulerV1 } from "@gantry/proto";
import { taskStateLabel } from "./enum-labels.ts";
import { messageJson } from "./message-json.ts";

/**
 * How an app or pod is doing, as the scheduler sees it: its live tasks, why instances wait to be
 * placed (the scheduler's placement explanation, `gantry app debug` in one line) and its last
 * failed task. What `app show`, `pod show` and `deployment list` print, so that something the
 * cluster cannot run is seen failing or waiting, and why, not only "created".
 */
export interface RunSpecStatus {
  id: string;
  pod: boolean;
  /** Live tasks counted by state; absent when there is none. */
  tasks?: schedulerV1.AppTaskCounts;
  /** The placement explanation while instances wait. */
  waiting?: schedulerV1.PlacementExplanation;
  lastTaskFailure?: schedulerV1.TaskFailure;
  /** Why the status could not be read (the scheduler did not answer), instead of the above. */
  unknown?: string;
}

/** The parts of a status the scheduler answered for one run spec. */
export interface StatusParts {
  counts?: readonly schedulerV1.AppTaskCounts[];
  /** Explanations of every run spec that waits, or of this one (`waiting` 0 when none does). */
  queue?: readonly schedulerV1.PlacementExplanation[];
  failures?: readonly schedulerV1.TaskFailure[];
}

/** The status of run spec `id` out of the scheduler's answers. Pure. */
export function runSpecStatus(id: string, pod: boolean, parts: StatusParts): RunSpecStatus {
  const tasks = parts.counts?.find((c) => c.appId === id);
  const waiting = parts.queue?.find((e) => e.runSpecId === id && e.waiting > 0);
  const lastTaskFailure = parts.failures?.find((f) => f.appId === id);
  return { id, pod, ...(tasks ? { tasks } : {}), ...(waiting ? { waiting } : {}), ...(lastTaskFailure ? { lastTaskFailure } : {}) };
}

/**
 * What holds up deployment `d`: each affected app or pod that has instances waiting, or a task
 * that failed since the deployment began (its version), with why. Pure.
 */
export function deploymentProblems(
  d: { version: string; affectedApps: readonly string[]; affectedPods: readonly string[] },
  queue: readonly schedulerV1.PlacementExplanation[],
  failures: readonly schedulerV1.TaskFailure[],
): RunSpecStatus[] {
  const began = Date.parse(d.version);
  const recent = failures.filter((f) => !(Date.parse(f.timestamp) < began));
  const affected = [...d.affectedApps.map((id) => [id, false] as const), ...d.affectedPods.map((id) => [id, true] as const)];
  return affected.map(([id, pod]) => runSpecStatus(id, pod, { queue, failures: recent })).filter((s) => s.waiting !== undefined || s.lastTaskFailure !== undefined);
}

/** What holds up each deployment (see `deploymentProblems`), by deployment id, or why that is unknown. */
export type DeploymentProblems = { byDeployment: ReadonlyMap<string, RunSpecStatus[]> } | { unknown: string };

/** `a`, `2 b`: a count with its noun, plural when not one. */
function count(n: number | bigint, noun: string): string {
  return `${n} ${noun}${n === 1 || n === 1n ? "" : "s"}`;
}

/**
 * Why instances wait, in one line: the launch backoff left after failures, else no agent checked
 * yet, else each refusal (reason code, on how many of the agents checked, its first message)
 * from each agent's first failed check, the most frequent first. Pure.
 */
export function waitingReason(e: schedulerV1.PlacementExplanation): string {
  if (e.delaySecondsLeft > 0) return `launch delayed ${Math.ceil(e.delaySecondsLeft)}s after failed tasks (backoff)`;
  if (e.agents.length === 0) return "no agent checked yet: none is registered and reachable (see `gantry node list`)";
  const refusals = new Map<string, { agents: number; message: string }>();
  for (const agent of e.agents) {
    const first = agent.dimensions.find((d) => !d.ok);
    if (!first) continue;
    const code = first.code || "refused";
    const seen = refusals.get(code) ?? { agents: 0, message: first.message };
    seen.agents++;
    refusals.set(code, seen);
  }
  if (refusals.size === 0) return "an agent fits; waiting for the next placement pass";
  const reasons = [...refusals]
    .sort((a, b) => b[1].agents - a[1].agents)
    .map(([code, r]) => `${code} on ${r.agents} of ${count(e.agents.length, "agent")}${r.message ? ` (${r.message})` : ""}`);
  return `no agent fits: ${reasons.join("; ")}`;
}

/** `2 instances since T: <reason>; see gantry app debug /x`. */
function describeWaiting(s: RunSpecStatus, e: schedulerV1.PlacementExplanation): string {
  return `${count(e.waiting, "instance")}${e.since ? ` since ${e.since}` : ""}: ${waitingReason(e)}; see \`gantry ${s.pod ? "pod" : "app"} debug ${s.id}\``;
}

/** `TASK_ERROR on h1 at T: <message>`. */
function describeFailure(f: schedulerV1.TaskFailure): string {
  return `${taskStateLabel(f.state)}${f.host ? ` on ${f.host}` : ""}${f.timestamp ? ` at ${f.timestamp}` : ""}${f.message ? `: ${f.message}` : ""}`;
}

/** Live tasks by state, zeros included (0 running is a value, not a missing field). */
function taskCounts(tasks: schedulerV1.AppTaskCounts | undefined): { running: number; staged: number; healthy: number; unhealthy: number } {
  return { running: tasks?.running ?? 0, staged: tasks?.staged ?? 0, healthy: tasks?.healthy ?? 0, unhealthy: tasks?.unhealthy ?? 0 };
}

/** `1/3 running, 1 staging, 1 healthy`: live tasks of the instances wanted. */
function describeTasks(tasks: schedulerV1.AppTaskCounts | undefined, instances: number): string {
  const t = taskCounts(tasks);
  const more = [t.staged > 0 && `${t.staged} staging`, t.healthy > 0 && `${t.healthy} healthy`, t.unhealthy > 0 && `${t.unhealthy} unhealthy`].filter(Boolean);
  return [`${t.running}/${instances} running`, ...more].join(", ");
}

/** `app show` / `pod show`: TASKS, WAITING and LAST FAILURE lines (the last two only when there is one). Pure. */
export function statusPairs(s: RunSpecStatus, instances: number): [string, string | undefined][] {
  if (s.unknown !== undefined) return [["tasks", `unknown: ${s.unknown}`]];
  return [
    ["tasks", describeTasks(s.tasks, instances)],
    ["waiting", s.waiting && describeWaiting(s, s.waiting)],
    ["last failure", s.lastTaskFailure && describeFailure(s.lastTaskFailure)],
  ];
}

/** `deployment list`: one line per thing in the way of a run spec (waiting instances, a failed task); none when nothing is. Pure. */
export function describeProblems(s: RunSpecStatus): string[] {
  return [s.waiting && `${s.id} waits: ${describeWaiting(s, s.waiting)}`, s.lastTaskFailure && `${s.id} failed: ${describeFailure(s.lastTaskFailure)}`].filter((l) => typeof l === "string");
}

/** What waits and what failed, as `--json` prints it (enums and sentinels as `messageJson` writes them). */
function problemJson(s: RunSpecStatus): JsonObject {
  const e = s.waiting;
  return {
    ...(e ? { waiting: { instances: e.waiting, ...(e.since ? { since: e.since } : {}), reason: waitingReason(e) } } : {}),
    ...(s.lastTaskFailure ? { lastTaskFailure: messageJson(schedulerV1.TaskFailureSchema, s.lastTaskFailure) } : {}),
  };
}

/** `app show --json`'s `status`: what the text shows (tasks, waiting, last failure), or why it is unknown. */
export function statusJson(s: RunSpecStatus): JsonObject {
  if (s.unknown !== undefined) return { unknown: s.unknown };
  return { tasks: taskCounts(s.tasks), ...problemJson(s) };
}

/** `deployment list --json`: an affected run spec in trouble, by id. */
export function affectedProblemJson(s: RunSpecStatus): JsonObject {
  return { id: s.id, ...problemJson(s) };
}
