import { GantryError } from "@gantry/platform";
import type { PlacementPolicy } from "./app/reconcile-pass.ts";

/** The cluster's placement policy when nothing says otherwise: bin-pack, GPU agents kept for GPU work. */
export const DEFAULT_PLACEMENT_POLICY: PlacementPolicy = { scoring: "binpack", reserveGpuAgents: true };

/**
 * The placement policy from the scheduler's environment, compiled once at its edge:
 * `GANTRY_PLACEMENT_SCORING` = `binpack` (default: fill agents before starting new ones) or
 * `spread` (emptiest agent first); `GANTRY_GPU_AGENTS` = `reserved` (default: agents with GPUs
 * take only instances that need GPUs, DC/OS's behaviour) or `shared`. Throws InvalidArgument
 * naming the variable and what it accepts.
 */
export function placementPolicyFromEnv(env: NodeJS.ProcessEnv): PlacementPolicy {
  const scoring = env.GANTRY_PLACEMENT_SCORING ?? DEFAULT_PLACEMENT_POLICY.scoring;
  if (scoring !== "binpack" && scoring !== "spread") {
    throw new GantryError("InvalidArgument", `GANTRY_PLACEMENT_SCORING=${scoring} is not a scoring: use binpack or spread`, { violations: [{ path: "/GANTRY_PLACEMENT_SCORING", errors: ["must be binpack or spread"] }] });
  }
  const gpus = env.GANTRY_GPU_AGENTS ?? "reserved";
  if (gpus !== "reserved" && gpus !== "shared") {
    throw new GantryError("InvalidArgument", `GANTRY_GPU_AGENTS=${gpus} is not a GPU agent policy: use reserved or shared`, { violations: [{ path: "/GANTRY_GPU_AGENTS", errors: ["must be reserved or shared"] }] });
  }
  return { scoring, reserveGpuAgents: gpus === "reserved" };
}
