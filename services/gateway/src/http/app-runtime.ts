import type { FastifyRequest } from "fastify";
import type { Backends } from "../backends.ts";
import { callerMetadata } from "./caller.ts";
import type { AppRuntime } from "./marathon-app-view.ts";

/**
 * The runtime state app views are built from, fetched together with the caller's credentials:
 * the scheduler's tasks and last task failures (only `appId`'s when given) and the registry's
 * running deployments.
 */
export async function fetchAppRuntime(backends: Backends, request: FastifyRequest, appId?: string): Promise<AppRuntime> {
  const call = callerMetadata(request);
  const [{ tasks }, { deployments }, { failures }] = await Promise.all([
    backends.scheduler.listTasks(appId ? { appId } : {}, call),
    backends.registry.listDeployments({}, call),
    backends.scheduler.listTaskFailures(appId ? { appId } : {}, call),
  ]);
  return { tasks, deployments, failures };
}
