import type { FastifyRequest } from "fastify";
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
    options.tasks === false ? backends.scheduler.listTaskCounts(only, call) : backends.scheduler.listTasks(only, call),
    backends.registry.listDeployments({}, call),
    backends.scheduler.listTaskFailures(only, call),
  ]);
  if ("counts" in tasksOrCounts) return { tasks: [], counts: tasksOrCounts.counts, deployments, failures };
  return { tasks: tasksOrCounts.tasks, deployments, failures };
}
