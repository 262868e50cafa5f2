import type { JsonObject } from "@bufbuild/protobuf";
import { registryV1, type registryV1App } from "@gantry/proto";
import { messageJson } from "./message-json.ts";
import { affectedProblemJson, describeProblems, type DeploymentProblems } from "./run-spec-status.ts";
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

/**
 * `gantry deployment list`: one row per running deployment with its progress and current
 * actions, then what holds each up (instances waiting to be placed and why, tasks that failed
 * since it began); "no deployments running" when there is none. Pure.
 */
export function renderDeployments(deployments: readonly Deployment[], problems: DeploymentProblems): string {
  const rows = deployments.map((d) => [
    d.id,
    d.version,
    [...d.affectedApps, ...d.affectedPods].join(","),
    `${d.currentStep}/${d.totalSteps}`,
    d.currentActions.map(describeAction).join(", "),
  ]);
  const table = renderTable(["id", "version", "affected", "step", "current actions"], rows, "no deployments running");
  if (deployments.length === 0) return table;
  if ("unknown" in problems) return `${table}\n\nwhat holds them up is unknown: ${problems.unknown}`;
  const lines = deployments.flatMap((d) => (problems.byDeployment.get(d.id) ?? []).flatMap(describeProblems).map((line) => `${d.id}  ${line}`));
  return lines.length === 0 ? table : `${table}\n\nproblems:\n${lines.join("\n")}`;
}

/** `deployment list --json`: the ListDeploymentsResponse, each deployment with its `problems` (affected run specs in trouble), as the text shows them. */
export function deploymentsJson(response: registryV1.ListDeploymentsResponse, problems: DeploymentProblems): JsonObject {
  const json = messageJson(registryV1.ListDeploymentsResponseSchema, response);
  const listed = json.deployments as JsonObject[];
  if ("unknown" in problems) return { ...json, problemsUnknown: problems.unknown };
  response.deployments.forEach((d, i) => {
    const found = problems.byDeployment.get(d.id) ?? [];
    if (found.length > 0) listed[i]!.problems = found.map(affectedProblemJson);
  });
  return json;
}
