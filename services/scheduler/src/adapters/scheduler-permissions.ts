import { onApps, RESOURCES, type Permission, type Permissions } from "@gantry/platform";
import type { schedulerV1 } from "@gantry/proto";
import type { SchedulerState } from "../app/scheduler-state.ts";

/** Read on one app's path when a request names one; nothing (the handler filters) when it asks for all. */
const readOf = (appId: string): Permission[] => (appId ? [onApps("read", appId)] : []);

/**
 * What each SchedulerService method requires: tasks, queue entries and placements are their
 * app's (`gantry:apps` at its path; killing one is an update of it), agents are `gantry:nodes`,
 * parked bus messages `gantry:events`. Lists of every app's require nothing and show what the
 * caller may read (see the handlers).
 */
export function schedulerPermissions(state: SchedulerState): Permissions<typeof schedulerV1.SchedulerService> {
  return {
    listTasks: (r) => readOf(r.appId),
    listAgents: () => ({ resource: RESOURCES.nodes, action: "read" }),
    listParkedMessages: () => ({ resource: RESOURCES.events, action: "read" }),
    explainPlacement: (r) => onApps("read", r.id),
    listQueue: () => [],
    resetLaunchDelay: (r) => onApps("update", r.id),
    // An id that names nothing live kills nothing (it is only reported back): it requires nothing.
    killTasks: (r) =>
      [...r.taskIds, ...r.instanceIds].flatMap((id) => {
        const inst = state.instanceOfTask(id) ?? state.instances.get(id);
        return inst ? [onApps("update", inst.appId)] : [];
      }),
    listTaskFailures: (r) => readOf(r.appId),
    listTaskCounts: (r) => readOf(r.appId),
    drainAgent: () => ({ resource: RESOURCES.nodes, action: "update" }),
    undrainAgent: () => ({ resource: RESOURCES.nodes, action: "update" }),
    watchTasks: (r) => readOf(r.appId),
  };
}
