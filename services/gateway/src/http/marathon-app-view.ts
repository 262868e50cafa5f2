import type { JsonObject } from "@bufbuild/protobuf";
import type { registryV1App, schedulerV1Model } from "@gantry/proto";
import { marathonTask } from "./marathon-task-view.ts";

/**
 * Marathon's app JSON (GET /v2/apps/{id}): the stored normalised definition plus the runtime
 * fields Marathon adds: `version`, `versionInfo`, task counts, `deployments`, and `tasks`
 * when embedded.
 */
export function marathonApp(app: registryV1App.AppVersion, tasks: schedulerV1Model.Task[], options: { embedTasks: boolean }): JsonObject {
  const own = tasks.filter((t) => t.appId === app.id).map(marathonTask);
  const count = (state: string) => own.filter((t) => t.state === state).length;
  const view: JsonObject = {
    ...(app.definition ?? {}),
    id: app.id,
    version: app.version,
    versionInfo: { lastScalingAt: app.version, lastConfigChangeAt: app.version },
    tasksStaged: count("TASK_STAGING") + count("TASK_STARTING"),
    tasksRunning: count("TASK_RUNNING"),
    tasksHealthy: 0,
    tasksUnhealthy: 0,
    deployments: [],
  };
  if (options.embedTasks) view.tasks = own;
  return view;
}
