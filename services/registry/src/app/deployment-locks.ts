import { GantryError } from "@gantry/platform";
import type { DeploymentPlan } from "../domain/index.ts";
import type { RunningDeployment } from "./registry-state.ts";

/**
 * The running deployments a plan conflicts with: those touching any app or pod the plan touches
 * (Marathon's `isAffectedBy`). Pure; order of `running` is kept.
 */
export function conflictingDeployments(plan: Pick<DeploymentPlan, "affectedApps" | "affectedPods">, running: readonly RunningDeployment[]): RunningDeployment[] {
  const apps = new Set(plan.affectedApps);
  const pods = new Set(plan.affectedPods);
  return running.filter(
    (r) => r.deployment.affectedApps.some((id) => apps.has(id)) || r.deployment.affectedPods.some((id) => pods.has(id)),
  );
}

/**
 * Marathon's `AppLockedException` (HTTP 409): FailedPrecondition naming the conflicting
 * deployments in the message and in `details.deployments` (`[{id}]`).
 */
export function lockedError(ids: readonly string[]): GantryError {
  return new GantryError(
    "FailedPrecondition",
    `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/${ids.join(",")}'.`,
    { details: { deployments: ids.map((id) => ({ id })) } },
  );
}
