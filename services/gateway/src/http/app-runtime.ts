import type { FastifyRequest } from "fastify";
import type { schedulerV1Model } from "@gantry/proto";
import type { Backends } from "../backends.ts";
import { callerMetadata } from "./caller.ts";
import type { AppRuntime } from "./marathon-app-view.ts";

/**
 * The runtime state app views are built from, fetched together with the caller's credentials:
 * the scheduler's tasks (or, with `tasks: false`, only their counts per app: a list of 1,000 apps
 * without tasks embedded must not ship 10,000 tasks) and last task failures (only `appId`'s when
 * given), and the registry's running deployments.
 */
export async function fetchAppRuntime(backends: Backends, request: FastifyRequest, options: { appId?: string; tasks?: boolean } = {}): Promise<AppRuntime> {
  const call = callerMetadata(request);
  const only = options.appId ? { appId: options.appId } : {};
  const [tasksOrCounts, { deployments }, { failures }] = await Promise.all([
    options.tasks === false ? backends.scheduler.listTaskCounts(only, call) : options.appId ? backends.scheduler.listTasks(only, call) : everyLiveTask(backends, call),
    backends.registry.listDeployments({}, call),
    backends.scheduler.listTaskFailures(only, call),
  ]);
  if ("counts" in tasksOrCounts) return { tasks: [], counts: tasksOrCounts.counts, deployments, failures };
  return { tasks: tasksOrCounts.tasks, deployments, failures };
}

/** The last list of every live task each backend set answered, with its version. */
const lastLists = new WeakMap<Backends, { version: string; tasks: schedulerV1Model.Task[] }>();

/**
 * Every live task, asked for with the version of the list held here: when no task changed since,
 * the scheduler answers "unchanged" and the held list (the same array: views grouped from it are
 * reused too) is used, so a cluster polled by load balancers does not ship 10,000 tasks per poll.
 * The call is made with the caller's credentials every time: only the payload is reused.
 */
export async function everyLiveTask(backends: Backends, call: ReturnType<typeof callerMetadata>): Promise<{ tasks: schedulerV1Model.Task[] }> {
  const held = lastLists.get(backends);
  const answer = await backends.scheduler.listTasks({ knownVersion: held?.version ?? "" }, call);
  if (answer.unchanged && held) return held;
  if (answer.version) lastLists.set(backends, { version: answer.version, tasks: answer.tasks });
  return answer;
}
