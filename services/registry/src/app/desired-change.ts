import type { DeploymentRef } from "./app.commands.ts";
import { decideChange, type ChangeDecision, type ChangeOptions } from "./change.decider.ts";
import type { ChangeRunner, CommandContext } from "./change-runner.ts";
import { desiredFrom, type DesiredState } from "./group-tree.ts";
import type { RegistryState } from "./registry-state.ts";

/** What a run-spec command asks of `decideChange` besides the runner's clock and deployment id. */
export type DesiredChangeOptions = Omit<ChangeOptions, "deploymentId" | "now">;

/**
 * One app/pod command as one transaction through `runner`: `edit` checks the current state
 * (throwing refuses the change) and edits a copy of the desired state, which `decideChange`
 * turns into the decision that is written and returned.
 */
export async function changeDesired(
  runner: ChangeRunner,
  ctx: CommandContext,
  options: DesiredChangeOptions,
  edit: (state: RegistryState, desired: DesiredState) => void,
): Promise<ChangeDecision> {
  const { decision } = await runner.run(ctx, (state, env) => {
    const desired = desiredFrom(state);
    edit(state, desired);
    return { decision: decideChange(state, desired, { ...env, ...options }) };
  });
  return decision;
}

/** The deployment a decision starts and the root version it writes. */
export function deploymentRef(decision: ChangeDecision): DeploymentRef {
  return { deploymentId: decision.deployment.id, version: decision.version };
}
