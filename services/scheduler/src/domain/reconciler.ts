import type { Instance } from "./instance.ts";
import type { RunSpecDemand } from "./run-spec-demand.ts";

/** What to do for one run spec: how many instances to launch, and which live ones to kill, with why. */
export interface RunSpecPlan {
  launch: number;
  kills: { instance: Instance; reason: string }[];
}

/**
 * Compares one run spec with its live instances (Nomad's reconciler, per job): instances of a
 * deleted run spec or of another configuration are killed; extra instances are killed in the
 * run spec's kill selection order (YOUNGEST_FIRST, Marathon's default, or OLDEST_FIRST); missing
 * ones are launched unless the run spec backs off after failures (`launchAllowed`). Instances
 * already being killed are neither counted nor killed again. O(the run spec's instances).
 */
export function reconcileRunSpec(demand: RunSpecDemand | undefined, live: Iterable<Instance>, launchAllowed: boolean): RunSpecPlan {
  const plan: RunSpecPlan = { launch: 0, kills: [] };
  const current: Instance[] = [];
  for (const inst of live) {
    if (inst.killRequested) continue;
    if (!demand) plan.kills.push({ instance: inst, reason: "app deleted" });
    else if (inst.appVersion !== demand.configVersion) plan.kills.push({ instance: inst, reason: `replaced by version ${demand.version}` });
    else current.push(inst);
  }
  if (!demand) return plan;
  if (current.length > demand.instances) {
    const newestFirst = demand.killSelection === "YOUNGEST_FIRST";
    current.sort((a, b) => (newestFirst ? b.placedAt - a.placedAt : a.placedAt - b.placedAt) || (a.instanceId < b.instanceId ? (newestFirst ? 1 : -1) : newestFirst ? -1 : 1));
    for (const inst of current.slice(0, current.length - demand.instances)) plan.kills.push({ instance: inst, reason: `scaled down to ${demand.instances}` });
  } else if (current.length < demand.instances && launchAllowed) {
    plan.launch = demand.instances - current.length;
  }
  return plan;
}
