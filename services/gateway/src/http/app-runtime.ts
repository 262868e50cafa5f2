import type { FastifyRequest } from "fastify";
import type { schedulerV1Model } from "@gantry/proto";
import type { Backends } from "../backends.ts";
import { callerMetadata } from "./caller.ts";
import type { HeldAnswers } from "./held-answers.ts";
import type { AppRuntime } from "./marathon-app-view.ts";

const NO_TASKS: readonly schedulerV1Model.Task[] = Object.freeze([]);

/**
 * The runtime state app views are built from, fetched together with the caller's credentials:
 * every live task (the held list while unchanged; with `tasks: false` only their counts per app:
 * a list of 1,000 apps without tasks embedded must not ship 10,000 tasks whenever one changes),
 * the last task failures (only `appId`'s when given) and the registry's running deployments.
 * Answers equal to the last ones are the same objects (`HeldAnswers`), so that bodies rendered
 * from them are reused.
 */
export async function fetchAppRuntime(backends: Backends, held: HeldAnswers, request: FastifyRequest, options: { appId?: string; tasks?: boolean } = {}): Promise<AppRuntime> {
  const call = callerMetadata(request);
  const only = options.appId ? { appId: options.appId } : {};
  const [tasksOrCounts, { deployments }, { failures }] = await Promise.all([
    options.tasks === false ? held.taskCounts(call).then((counts) => ({ counts })) : held.everyLiveTask(call),
    backends.registry.listDeployments({}, call),
    backends.scheduler.listTaskFailures(only, call),
  ]);
  const runtime = { deployments: held.keep("deployments", deployments), failures: held.keep(`failures:${options.appId ?? "*"}`, failures) };
  if ("counts" in tasksOrCounts) return { tasks: NO_TASKS, counts: tasksOrCounts.counts, ...runtime };
  return { tasks: tasksOrCounts, ...runtime };
}
