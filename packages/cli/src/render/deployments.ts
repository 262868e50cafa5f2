import type { registryV1App } from "@gantry/proto";
import { renderTable } from "./table.ts";

type Deployment = registryV1App.Deployment;
type DeploymentAction = registryV1App.DeploymentAction;

/** A deployment result as the registry returns it (DeploymentRef, or the flat fields of older responses). */
export interface DeploymentRefLike {
  deploymentId: string;
  version?: string;
}

/** `deployment D, version V` for a change's confirmation line; "no deployment" when there is none. */
export function describeRef(ref: DeploymentRefLike | undefined): string {
  if (!ref?.deploymentId) return "no deployment";
  return ref.version ? `deployment ${ref.deploymentId}, version ${ref.version}` : `deployment ${ref.deploymentId}`;
}

/** `StartApplication /shop/web`: one action and the app or pod it acts on. */
export function describeAction(action: DeploymentAction): string {
  return `${action.action} ${action.app || action.pod}`;
}

/** A plan's steps as a table (STEP, ACTION, RUN SPEC), one row per action; "no changes" for an empty plan. */
export function renderPlan(plan: Deployment | undefined): string {
  const rows = (plan?.steps ?? []).flatMap((step, i) => step.actions.map((a) => [i + 1, a.action, a.app || a.pod]));
  if (rows.length === 0) return "no changes";
  return renderTable(["step", "action", "run spec"], rows);
}

/** `gantry deployment list`: one row per running deployment with its progress and current actions. */
export function renderDeployments(deployments: Deployment[]): string {
  const rows = deployments.map((d) => [
    d.id,
    d.version,
    [...d.affectedApps, ...d.affectedPods].join(","),
    `${d.currentStep}/${d.totalSteps}`,
    d.currentActions.map(describeAction).join(", "),
  ]);
  return renderTable(["id", "version", "affected", "step", "current actions"], rows);
}
