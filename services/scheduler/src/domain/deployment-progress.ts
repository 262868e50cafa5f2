import type { RunSpecDemand } from "./run-spec-demand.ts";
import type { Instance } from "./instance.ts";
import { isTerminal } from "./task-state.ts";

/** A deployment the registry planned and the scheduler is carrying out. */
export interface ActiveDeployment {
  id: string;
  affectedApps: string[];
  affectedPods: string[];
  /** Apps and pods the plan starts, scales or restarts (any action but a stop): they must exist when it ends. */
  appsToRun: string[];
}

/** Where a deployment stands: still running, done, or impossible (with why). */
export type DeploymentOutcome = { state: "running" } | { state: "succeeded" } | { state: "failed"; reason: string };

/**
 * Decides whether a deployment reached its target. An affected app that still exists is done
 * when exactly `instances` live instances run its current version and no instance of another
 * version is live; a deleted app is done when none of its instances is live. An instance of an
 * app with health checks runs only once the tasks of its checked containers are healthy
 * (Marathon's health gate: an app that never gets healthy holds its deployment forever). An app
 * the plan runs that is not known (yet) is never read as deleted: the deployment goes on
 * waiting. Pods are judged as apps are (an instance is a unit either way). Readiness checks do
 * not gate yet.
 */
export function deploymentOutcome(
  deployment: ActiveDeployment,
  apps: ReadonlyMap<string, Pick<RunSpecDemand, "configVersion" | "instances" | "healthCheckedContainers">>,
  instances: Iterable<Instance>,
): DeploymentOutcome {
  const runSpecs = [...deployment.affectedApps, ...deployment.affectedPods];
  const affected = new Set(runSpecs);
  const live = new Map<string, Instance[]>();
  for (const inst of instances) {
    if (isTerminal(inst.state) || !affected.has(inst.appId)) continue;
    let list = live.get(inst.appId);
    if (!list) live.set(inst.appId, (list = []));
    list.push(inst);
  }
  for (const appId of runSpecs) {
    const app = apps.get(appId);
    const mine = live.get(appId) ?? [];
    if (!app) {
      if (mine.length > 0 || deployment.appsToRun.includes(appId)) return { state: "running" };
      continue;
    }
    const current = mine.filter((i) => i.appVersion === app.configVersion && !i.killRequested);
    if (mine.length !== current.length) return { state: "running" };
    if (current.length !== app.instances || current.some((i) => !runsHealthy(i, app.healthCheckedContainers ?? []))) return { state: "running" };
  }
  return { state: "succeeded" };
}

/** Whether an instance runs, and the tasks of its health-checked containers are healthy. */
function runsHealthy(inst: Instance, healthChecked: readonly string[]): boolean {
  return inst.state === "TASK_RUNNING" && inst.tasks.every((t) => !healthChecked.includes(t.container) || t.health?.healthy === true);
}
