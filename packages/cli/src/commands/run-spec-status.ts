import type { registryV1App } from "@gantry/proto";
import { GantryError } from "@gantry/platform";
import type { ApiClient } from "../api-client.ts";
import { deploymentProblems, runSpecStatus, type DeploymentProblems, type RunSpecStatus } from "../render/run-spec-status.ts";

/** The message of an error, for a status that could not be read. */
function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * How app or pod `id` is doing, asked of the scheduler: its live tasks, why instances wait (its
 * placement explanation; none while the scheduler has not seen the app yet) and its last failed
 * task. Never fails: when the scheduler does not answer, the status says so (`unknown`), so that
 * `app show` still shows the definition.
 */
export async function fetchRunSpecStatus(api: ApiClient, id: string, pod: boolean): Promise<RunSpecStatus> {
  try {
    const [counts, explanation, failures] = await Promise.all([
      api.scheduler.listTaskCounts({ appId: id }),
      api.scheduler.explainPlacement({ id }).then(
        (r) => r.explanation,
        (err) => {
          if (err instanceof GantryError && err.code === "NotFound") return undefined;
          throw err;
        },
      ),
      api.scheduler.listTaskFailures({ appId: id }),
    ]);
    return runSpecStatus(id, pod, { counts: counts.counts, queue: explanation ? [explanation] : [], failures: failures.failures });
  } catch (err) {
    return { id, pod, unknown: messageOf(err) };
  }
}

/** Asks the scheduler once for the queue and the last failures, and finds what holds up each deployment. Never fails. */
export async function fetchDeploymentProblems(api: ApiClient, deployments: readonly registryV1App.Deployment[]): Promise<DeploymentProblems> {
  if (deployments.length === 0) return { byDeployment: new Map() };
  try {
    const [queue, failures] = await Promise.all([api.scheduler.listQueue({}), api.scheduler.listTaskFailures({})]);
    return { byDeployment: new Map(deployments.map((d) => [d.id, deploymentProblems(d, queue.items, failures.failures)])) };
  } catch (err) {
    return { unknown: messageOf(err) };
  }
}
