import type { registryV1App, schedulerV1Model } from "@gantry/proto";
import type { AppListFilters, Asker, HeldAnswers } from "./held-answers.ts";
import type { AppRuntime } from "./marathon-app-view.ts";

const NO_TASKS: readonly schedulerV1Model.Task[] = Object.freeze([]);

/**
 * The apps matching `filters` and the runtime state their views are built from, held or asked
 * for in two calls made together with the caller's credentials: the registry's apps with the running deployments,
 * and the scheduler's every live task with the last task failures (with `tasks: false` only each
 * app's task counts: a list of 1,000 apps without tasks embedded must not ship 10,000 tasks
 * whenever one changes). Unchanged answers are the held objects (`HeldAnswers`), so that bodies
 * rendered from them are reused.
 */
export async function fetchAppsAndRuntime(held: HeldAnswers, asker: Asker, filters: AppListFilters, options: { tasks?: boolean } = {}): Promise<{ apps: registryV1App.AppVersion[]; runtime: AppRuntime }> {
  const [listing, live] = await Promise.all([held.apps(filters, asker), options.tasks === false ? held.taskCounts(asker) : held.everyLiveTask(asker)]);
  const runtime = "counts" in live ? { tasks: NO_TASKS, counts: live.counts, deployments: listing.deployments, failures: live.failures } : { tasks: live.tasks, deployments: listing.deployments, failures: live.failures };
  return { apps: listing.apps, runtime };
}

const appIndexes = new WeakMap<readonly registryV1App.AppVersion[], Map<string, registryV1App.AppVersion>>();

/** The app with `id` in a listing, through an index made once per listing (the same held listing serves every app's GET). */
export function appById(apps: readonly registryV1App.AppVersion[], id: string): registryV1App.AppVersion | undefined {
  let index = appIndexes.get(apps);
  if (!index) appIndexes.set(apps, (index = new Map(apps.map((a) => [a.id, a]))));
  return index.get(id);
}
