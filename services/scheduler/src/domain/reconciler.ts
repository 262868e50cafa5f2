import type { AppSpec } from "./app-spec.ts";
import type { Instance } from "./instance.ts";
import { isTerminal } from "./task-state.ts";

/** What the scheduler must do to bring runtime state to the desired state. */
export interface ReconcilePlan {
  /** Apps that need more instances, and how many. */
  launches: { app: AppSpec; count: number }[];
  /** Live instances to stop, with why. */
  kills: { instance: Instance; reason: string }[];
}

/**
 * Compares desired apps with live instances (Nomad's reconciler, in small): an instance is
 * live while its task is not terminal and no kill was requested. Instances of deleted apps or
 * of an older version are killed; extra instances are killed newest first (Marathon's default
 * killSelection YOUNGEST_FIRST); missing instances are launched unless the app is backing off
 * after failures (`launchAllowed`).
 */
export function reconcile(
  apps: ReadonlyMap<string, AppSpec>,
  instances: Iterable<Instance>,
  launchAllowed: (appId: string) => boolean,
): ReconcilePlan {
  const plan: ReconcilePlan = { launches: [], kills: [] };
  const liveByApp = new Map<string, Instance[]>();
  for (const inst of instances) {
    if (isTerminal(inst.state) || inst.killRequested) continue;
    const app = apps.get(inst.appId);
    if (!app) {
      plan.kills.push({ instance: inst, reason: "app deleted" });
      continue;
    }
    if (inst.appVersion !== app.version) {
      plan.kills.push({ instance: inst, reason: `replaced by version ${app.version}` });
      continue;
    }
    const list = liveByApp.get(inst.appId) ?? [];
    list.push(inst);
    liveByApp.set(inst.appId, list);
  }
  for (const app of apps.values()) {
    const live = liveByApp.get(app.id) ?? [];
    if (live.length > app.instances) {
      const youngestFirst = [...live].sort((a, b) => b.updatedAt - a.updatedAt || (a.instanceId < b.instanceId ? 1 : -1));
      for (const inst of youngestFirst.slice(0, live.length - app.instances)) {
        plan.kills.push({ instance: inst, reason: `scaled down to ${app.instances}` });
      }
    } else if (live.length < app.instances && launchAllowed(app.id)) {
      plan.launches.push({ app, count: app.instances - live.length });
    }
  }
  return plan;
}
