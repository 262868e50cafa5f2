import type { schedulerV1Model } from "@gantry/proto";
import type { Backends } from "../backends.ts";
import type { callerMetadata } from "./caller.ts";
import { badRequest, booleanParam, type Query } from "./request-params.ts";

/** Marathon's query parameters of a task kill. */
export interface KillOptions {
  /** Scale the app down by the instances killed (a deployment) instead of replacing them. */
  scale: boolean;
  /** Expunge the instances (their reservations too): every kill here, no instance is resident. */
  wipe: boolean;
  /** With scale: cancel running deployments of the same apps instead of failing with the lock error. */
  force: boolean;
}

/** Reads `scale`, `wipe` and `force`; scale and wipe together are Marathon's 400. */
export function killOptions(query: Query): KillOptions {
  const options = { scale: booleanParam(query, "scale", false), wipe: booleanParam(query, "wipe", false), force: booleanParam(query, "force", false) };
  if (options.scale && options.wipe) throw badRequest("You cannot use scale and wipe at the same time.");
  return options;
}

/** What a kill did: the deployment that scales down, or the tasks of the instances being killed. */
export type KillResult = { kind: "deployment"; deployment: { deploymentId: string; version: string } } | { kind: "killed"; tasks: schedulerV1Model.Task[] };

/**
 * Kills the instances of `tasks` (a task names its whole instance). With `scale`, ONE registry
 * change scales each app or pod down by its instances killed (`scaleIds` also get a deployment
 * when none of their tasks is named, as Marathon does); otherwise the scheduler kills them and
 * replaces them as any ended instance.
 */
export async function killTasks(
  backends: Backends,
  call: ReturnType<typeof callerMetadata>,
  tasks: readonly schedulerV1Model.Task[],
  options: KillOptions,
  scaleIds: readonly string[] = [],
): Promise<KillResult> {
  if (options.scale) {
    const byRunSpec = new Map<string, Set<string>>(scaleIds.map((id) => [id, new Set()]));
    for (const t of tasks) {
      const ids = byRunSpec.get(t.appId) ?? new Set();
      byRunSpec.set(t.appId, ids.add(t.instanceId));
    }
    const { deployment } = await backends.registry.killAndScale({ runSpecs: [...byRunSpec].map(([id, ids]) => ({ id, instanceIds: [...ids] })), force: options.force }, call);
    return { kind: "deployment", deployment: deployment ?? { deploymentId: "", version: "" } };
  }
  if (tasks.length === 0) return { kind: "killed", tasks: [] };
  const killed = await backends.scheduler.killTasks({ taskIds: tasks.map((t) => t.taskId) }, call);
  return { kind: "killed", tasks: killed.tasks };
}
