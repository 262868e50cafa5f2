import type { JsonObject } from "@bufbuild/protobuf";
import type { registryV1App } from "@gantry/proto";

/** Marathon's deployment action JSON: `{action, app}` for app actions, `{action, pod}` for pod actions. */
export function marathonAction(a: registryV1App.DeploymentAction): JsonObject {
  return a.pod ? { action: a.action, pod: a.pod } : { action: a.action, app: a.app };
}

/** Marathon's plan steps JSON: `[{actions: [{action, app|pod}]}]` (also the body of a group `dryRun`). */
export function marathonSteps(steps: registryV1App.DeploymentStep[]): JsonObject[] {
  return steps.map((s) => ({ actions: s.actions.map(marathonAction) }));
}

/**
 * One entry of `GET /v2/deployments` (Marathon's `DeploymentStepInfo`): id, version, affected
 * apps and pods, all steps, the current step's actions (each with `readinessCheckResults`, those
 * of its app's tasks that have readiness checks: `readiness(appId)`), `currentStep` (1-based)
 * and `totalSteps`.
 */
export function marathonDeployment(d: registryV1App.Deployment, readiness: (appId: string) => JsonObject[] = () => []): JsonObject {
  return {
    id: d.id,
    version: d.version,
    affectedApps: [...d.affectedApps],
    affectedPods: [...d.affectedPods],
    steps: marathonSteps(d.steps),
    currentActions: d.currentActions.map((a) => ({ ...marathonAction(a), readinessCheckResults: a.app ? readiness(a.app) : [] })),
    currentStep: d.currentStep,
    totalSteps: d.totalSteps || d.steps.length,
  };
}
