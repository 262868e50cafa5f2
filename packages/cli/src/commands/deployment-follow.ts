import { setTimeout as sleep } from "node:timers/promises";
import { registryV1, schedulerV1Model, type registryV1RunSpec } from "@gantry/proto";
import { GantryError } from "@gantry/platform";
import type { ApiClient } from "../api-client.ts";
import { createProgressView, type DeploymentProgress } from "../render/deployment-progress.ts";

/** How often a followed deployment is looked at. */
const POLL_MS = 500;

/** How a followed deployment ended. */
export interface DeploymentEnd {
  state: "succeeded" | "failed" | "cancelled";
  reason: string;
}

/** What a run spec should end with: its instances of its configuration, healthy where checked. */
interface Target {
  instances: number;
  configVersion: string;
  healthChecked: boolean;
}

/**
 * Follows deployment `id` until it ends, showing step i/n, its actions and how many instances of
 * the affected apps and pods serve their target configuration (running, and healthy where
 * checked) out of how many are wanted: a progress bar on a terminal, a line per change
 * otherwise. Resolves with how it ended.
 */
export async function followDeployment(api: ApiClient, id: string, stream: NodeJS.WriteStream = process.stdout): Promise<DeploymentEnd> {
  const view = createProgressView(stream);
  const targets = new Map<string, Target | undefined>();
  try {
    for (;;) {
      const { deployment, state, reason } = await api.registry.getDeployment({ id });
      if (state !== registryV1.DeploymentState.RUNNING) {
        const end = outcomeOf(state, reason);
        view.finish(`deployment ${id} ${end.state}${end.reason ? `: ${end.reason}` : ""}`);
        return end;
      }
      const runSpecs = [...(deployment?.affectedApps ?? []), ...(deployment?.affectedPods ?? [])];
      for (const runSpec of runSpecs) if (!targets.has(runSpec)) targets.set(runSpec, await targetOf(api, runSpec));
      const { tasks } = await api.scheduler.listTasks({});
      view.update(progressOf(deployment!, targets, tasks));
      await sleep(POLL_MS);
    }
  } finally {
    view.stop();
  }
}

/** Exit status of a followed change: 0 when it succeeded; a failed or cancelled deployment is an error. */
export function requireSuccess(id: string, end: DeploymentEnd): void {
  if (end.state !== "succeeded") throw new GantryError("Aborted", `deployment ${id} ${end.state}${end.reason ? `: ${end.reason}` : ""}`);
}

function outcomeOf(state: registryV1.DeploymentState, reason: string): DeploymentEnd {
  if (state === registryV1.DeploymentState.SUCCEEDED) return { state: "succeeded", reason: "" };
  if (state === registryV1.DeploymentState.CANCELLED) return { state: "cancelled", reason };
  return { state: "failed", reason: reason || "failed" };
}

/** The target of an app or pod now (a deleted one wants nothing). */
async function targetOf(api: ApiClient, id: string): Promise<Target | undefined> {
  const found = await api.registry.getApp({ id }).then(
    (r) => r.app,
    () => api.registry.getPod({ id }).then((r) => r.pod, () => undefined),
  );
  const spec: registryV1RunSpec.RunSpec | undefined = found?.runSpec;
  if (!spec) return undefined;
  return { instances: spec.instances, configVersion: spec.configVersion, healthChecked: spec.containers.some((c) => c.healthChecks.length > 0) };
}

function progressOf(d: { id: string; currentStep: number; totalSteps: number; currentActions: { action: string; app: string; pod: string }[] }, targets: Map<string, Target | undefined>, tasks: schedulerV1Model.Task[]): DeploymentProgress {
  let wanted = 0;
  const serving = new Set<string>();
  for (const [runSpec, target] of targets) {
    if (!target) continue;
    wanted += target.instances;
    for (const t of tasks) {
      if (t.appId !== runSpec || t.appVersion !== target.configVersion || t.state !== schedulerV1Model.TaskState.RUNNING) continue;
      if (target.healthChecked && t.healthy !== true) continue;
      serving.add(t.instanceId);
    }
  }
  return {
    step: d.currentStep,
    steps: d.totalSteps,
    actions: d.currentActions.map((a) => `${a.action} ${a.app || a.pod}`).join(", "),
    serving: Math.min(serving.size, wanted),
    wanted,
  };
}
