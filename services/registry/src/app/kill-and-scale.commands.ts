import type { DeploymentRef } from "./app.commands.ts";
import { decideChange } from "./change.decider.ts";
import type { ChangeRunner, CommandContext } from "./change-runner.ts";
import { desiredFrom } from "./group-tree.ts";
import { notFound } from "./request-checks.ts";

/** Instances of one app or pod to kill. */
export interface RunSpecInstances {
  id: string;
  instanceIds: readonly string[];
}

/**
 * Marathon's task kills with `scale=true` (`/v2/tasks/delete`, `DELETE /v2/apps/{id}/tasks…`):
 * each app or pod is scaled down by the number of its instances named, in ONE change whose
 * scale actions carry those instances, which the scheduler kills before any other
 * (`instancesToKill`). With `force`, running deployments of the same apps are cancelled.
 */
export class KillAndScaleCommands {
  private readonly runner: ChangeRunner;

  constructor(runner: ChangeRunner) {
    this.runner = runner;
  }

  async killAndScale(runSpecs: readonly RunSpecInstances[], force: boolean, ctx: CommandContext): Promise<DeploymentRef> {
    const out = await this.runner.run(ctx, (state, env) => {
      const desired = desiredFrom(state);
      const instancesToKill = new Map<string, string[]>();
      for (const { id, instanceIds } of runSpecs) {
        const ids = [...new Set([...(instancesToKill.get(id) ?? []), ...instanceIds])];
        instancesToKill.set(id, ids);
      }
      for (const [id, ids] of instancesToKill) {
        const app = desired.apps.get(id);
        const pod = desired.pods.get(id);
        if (app) desired.apps.set(id, { ...app, instances: Math.max(0, app.instances - ids.length) });
        else if (pod) desired.pods.set(id, { ...pod, scaling: { ...pod.scaling, instances: Math.max(0, pod.scaling.instances - ids.length) } });
        else throw notFound.app(id);
      }
      const decision = decideChange(state, desired, { ...env, force, touched: new Set(instancesToKill.keys()), instancesToKill });
      return { decision };
    });
    return { deploymentId: out.decision.deployment.id, version: out.decision.version };
  }
}
