import type { JsonObject } from "@bufbuild/protobuf";
import { schedulerV1Model, type registryV1App, type schedulerV1 } from "@gantry/proto";
import { marathonTask } from "./marathon-task-view.ts";

/** Which of Marathon's optional app embeds to add (`apps.tasks`, `app.counts`, …). */
export interface AppEmbeds {
  tasks: boolean;
  counts: boolean;
  deployments: boolean;
  readiness: boolean;
  lastTaskFailure: boolean;
  taskStats: boolean;
}

const EMBED_NAMES: Record<string, keyof AppEmbeds> = {
  tasks: "tasks",
  counts: "counts",
  deployments: "deployments",
  readiness: "readiness",
  lastTaskFailure: "lastTaskFailure",
  failures: "lastTaskFailure",
  taskStats: "taskStats",
};

/**
 * The embeds a request asks for, as Marathon's `InfoEmbedResolver` reads them: `apps.<x>` or
 * `app.<x>` (either prefix on either endpoint; `failures` is the deprecated name of
 * `lastTaskFailure`), added to `always` (what the endpoint embeds regardless: counts and
 * deployments for `/v2/apps`; also tasks and lastTaskFailure for `/v2/apps/{id}`). Unknown names are ignored.
 */
export function resolveAppEmbeds(requested: Iterable<string>, always: Partial<AppEmbeds> = {}): AppEmbeds {
  const embeds: AppEmbeds = { tasks: false, counts: false, deployments: false, readiness: false, lastTaskFailure: false, taskStats: false, ...always };
  for (const name of requested) {
    const m = /^(?:apps?)\.(\w+)$/.exec(name);
    const key = m ? EMBED_NAMES[m[1]!] : undefined;
    if (key) embeds[key] = true;
  }
  return embeds;
}

/** What `GET /v2/apps/{id}` embeds whatever the request asks for (Marathon's `AppResource.show`). */
export const APP_DETAIL_EMBEDS: Readonly<Partial<AppEmbeds>> = { counts: true, deployments: true, tasks: true, lastTaskFailure: true };

/** The runtime state an app view is built from: the scheduler's tasks and the running deployments. */
export interface AppRuntime {
  /** Tasks of any apps; the view keeps those of its own app. */
  tasks: readonly schedulerV1Model.Task[];
  /** Running deployments (`{id, affectedApps}`); the view lists those that affect its app. */
  deployments: ReadonlyArray<{ id: string; affectedApps: readonly string[] }>;
  /** The last task failure of apps (absent: none known); the view shows its app's. */
  failures?: readonly schedulerV1.TaskFailure[];
  /** Task counts per app, when `tasks` was not fetched (the embeds need no task): the counts come from here. */
  counts?: readonly schedulerV1.AppTaskCounts[];
}

/** Whether views with these embeds need every task, or only the counts of each app's. */
export function needsTasks(embeds: AppEmbeds): boolean {
  return embeds.tasks || embeds.readiness || embeds.taskStats;
}

/** Nothing running: what a freshly created app reports. */
export const NO_RUNTIME: AppRuntime = { tasks: [], deployments: [] };

/**
 * Marathon's app JSON (`AppInfo`): the stored normalised definition plus `version`,
 * `versionInfo {lastScalingAt, lastConfigChangeAt}` (falling back to `version` when the
 * registry did not say), and the requested embeds. Counts come from the scheduler's tasks:
 * `tasksHealthy`/`tasksUnhealthy` count the running tasks whose health checks' verdict is
 * healthy/unhealthy (both 0 for an app without health checks, as in Marathon; a task whose checks
 * have not decided yet is in neither). `lastTaskFailure` is the app's last task that ended
 * FAILED, ERROR, LOST or GONE (left out when there is none, Marathon's form), `readinessCheckResults` has one entry per check and
 * running task with readiness checks, `taskStats` is `{}`
 * without tasks and only a `totalSummary` of counts with them.
 */
export function marathonApp(app: registryV1App.AppVersion, runtime: AppRuntime, embeds: AppEmbeds): JsonObject {
  return marathonAppFromDefinition(
    { ...(app.definition ?? {}), id: app.id, version: app.version },
    { lastScalingAt: app.lastScalingAt || app.version, lastConfigChangeAt: app.lastConfigChangeAt || app.version },
    runtime,
    embeds,
  );
}

/**
 * The same view from a bare definition (as found inside a group's JSON): `versionInfo` is kept
 * from the definition when it has one, else both times are its `version`.
 */
export function marathonAppFromDefinition(
  definition: JsonObject,
  versionInfo: { lastScalingAt: string; lastConfigChangeAt: string } | undefined,
  runtime: AppRuntime,
  embeds: AppEmbeds,
): JsonObject {
  const id = String(definition.id);
  const version = typeof definition.version === "string" ? definition.version : "";
  const view: JsonObject = {
    ...definition,
    versionInfo: versionInfo ?? (isObject(definition.versionInfo) ? definition.versionInfo : { lastScalingAt: version, lastConfigChangeAt: version }),
  };
  const tasks = tasksOfApp(runtime.tasks, id);
  const own = tasks.map(marathonTask);
  const count = (...states: string[]) => own.filter((t) => states.includes(String(t.state))).length;
  const running = tasks.filter((t) => t.state === schedulerV1Model.TaskState.RUNNING);
  // Counts from the scheduler's own count when the runtime carries no tasks (a list without them).
  const counted = runtime.counts ? byApp(runtime.counts, (c) => c.appId).get(id)?.[0] : undefined;
  const counts = runtime.counts
    ? { staged: counted?.staged ?? 0, running: counted?.running ?? 0, healthy: counted?.healthy ?? 0, unhealthy: counted?.unhealthy ?? 0 }
    : {
        staged: count("TASK_STAGING", "TASK_STARTING"),
        running: running.length,
        healthy: running.filter((t) => t.healthy === true).length,
        unhealthy: running.filter((t) => t.healthy === false).length,
      };
  if (embeds.counts) {
    view.tasksStaged = counts.staged;
    view.tasksRunning = counts.running;
    view.tasksHealthy = counts.healthy;
    view.tasksUnhealthy = counts.unhealthy;
  }
  if (embeds.deployments) view.deployments = runtime.deployments.filter((d) => d.affectedApps.includes(id)).map((d) => ({ id: d.id }));
  if (embeds.readiness) view.readinessCheckResults = readinessResults(definition, tasks);
  const failure = embeds.lastTaskFailure ? byApp(runtime.failures ?? [], (f) => f.appId).get(id)?.[0] : undefined;
  if (failure) view.lastTaskFailure = marathonTaskFailure(failure);
  if (embeds.tasks) view.tasks = own;
  if (embeds.taskStats) {
    view.taskStats =
      own.length === 0
        ? {}
        : { totalSummary: { stats: { counts: { staged: counts.staged, running: counts.running, healthy: counts.healthy, unhealthy: counts.unhealthy } } } };
  }
  return view;
}

/** Items grouped by app id, computed once per list (a view of 1,000 apps must not scan 10,000 tasks 1,000 times). */
const groupedByApp = new WeakMap<readonly object[], Map<string, object[]>>();
function byApp<T extends object>(items: readonly T[], appIdOf: (item: T) => string): Map<string, T[]> {
  let grouped = groupedByApp.get(items) as Map<string, T[]> | undefined;
  if (!grouped) {
    grouped = new Map();
    for (const item of items) {
      const list = grouped.get(appIdOf(item));
      if (list) list.push(item);
      else grouped.set(appIdOf(item), [item]);
    }
    groupedByApp.set(items, grouped);
  }
  return grouped;
}

/** The tasks of one app among a runtime's tasks. */
function tasksOfApp(tasks: readonly schedulerV1Model.Task[], appId: string): schedulerV1Model.Task[] {
  return byApp(tasks, (t) => t.appId).get(appId) ?? [];
}

/** Marathon's `TaskFailure` JSON. */
function marathonTaskFailure(f: schedulerV1.TaskFailure): JsonObject {
  return { appId: f.appId, host: f.host, message: f.message, state: schedulerV1Model.TaskState[f.state] ? `TASK_${schedulerV1Model.TaskState[f.state]}` : "TASK_UNKNOWN", taskId: f.taskId, timestamp: f.timestamp, version: f.version, slaveId: f.agentId };
}

/**
 * Marathon's `readinessCheckResults`: one per readiness check of the app and running task whose
 * checks the agent runs, `ready` once they all passed (the agent reports them together); the
 * last response is not kept (`null`).
 */
export function readinessResults(definition: JsonObject, tasks: readonly schedulerV1Model.Task[]): JsonObject[] {
  const checks = Array.isArray(definition.readinessChecks) ? definition.readinessChecks.filter(isObject) : [];
  return tasks
    .filter((t) => t.ready !== undefined && t.state === schedulerV1Model.TaskState.RUNNING)
    .flatMap((t) => checks.map((c) => ({ name: String(c.name ?? "readinessCheck"), taskId: t.taskId, ready: t.ready === true, lastResponse: null })));
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
