import type { AppSpec } from "./app-spec.ts";
import type { Instance } from "./instance.ts";
import { isTerminal } from "./task-state.ts";

/** A deployment the registry planned and the scheduler is carrying out. */
export interface ActiveDeployment {
  id: string;
  affectedApps: string[];
  affectedPods: string[];
  /** Apps the plan starts, scales or restarts (any action but StopApplication): they must exist when it ends. */
  appsToRun: string[];
}

/** Where a deployment stands: still running, done, or impossible (with why). */
export type DeploymentOutcome = { state: "running" } | { state: "succeeded" } | { state: "failed"; reason: string };

/**
 * Decides whether a deployment reached its target. An affected app that still exists is done
 * when exactly `instances` live instances run its current version and no instance of another
 * version is live; a deleted app is done when none of its instances is live. An app the plan
 * runs that is not known (yet) is never read as deleted: the deployment goes on waiting. Health and
 * readiness gates come with health checks. Pods fail at once: this scheduler does not run
 * pod instances yet, and saying so beats a deployment that never ends.
 */
export function deploymentOutcome(
  deployment: ActiveDeployment,
  apps: ReadonlyMap<string, AppSpec>,
  instances: Iterable<Instance>,
): DeploymentOutcome {
  if (deployment.affectedPods.length > 0) {
    return { state: "failed", reason: `pods are not run by this scheduler yet: ${deployment.affectedPods.join(", ")}` };
  }
  const affected = new Set(deployment.affectedApps);
  const live = new Map<string, Instance[]>();
  for (const inst of instances) {
    if (isTerminal(inst.state) || !affected.has(inst.appId)) continue;
    let list = live.get(inst.appId);
    if (!list) live.set(inst.appId, (list = []));
    list.push(inst);
  }
  for (const appId of deployment.affectedApps) {
    const app = apps.get(appId);
    const mine = live.get(appId) ?? [];
    if (!app) {
      if (mine.length > 0 || deployment.appsToRun.includes(appId)) return { state: "running" };
      continue;
    }
    const current = mine.filter((i) => i.appVersion === app.version && !i.killRequested);
    if (mine.length !== current.length) return { state: "running" };
    if (current.length !== app.instances || current.some((i) => i.state !== "TASK_RUNNING")) return { state: "running" };
  }
  return { state: "succeeded" };
}
