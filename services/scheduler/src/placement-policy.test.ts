import { test } from "node:test";
import assert from "node:assert/strict";
import { hasCode } from "@gantry/platform";
import { DEFAULT_PLACEMENT_POLICY, placementPolicyFromEnv } from "./placement-policy.ts";

test("the placement policy defaults to bin-packing with GPU agents kept for GPU work", () => {
  assert.deepEqual(placementPolicyFromEnv({}), DEFAULT_PLACEMENT_POLICY);
  assert.deepEqual(placementPolicyFromEnv({ GANTRY_PLACEMENT_SCORING: "spread", GANTRY_GPU_AGENTS: "shared" }), { scoring: "spread", reserveGpuAgents: false });
});

test("a bad placement setting is refused naming the variable", () => {
  assert.throws(() => placementPolicyFromEnv({ GANTRY_PLACEMENT_SCORING: "random" }), (e: unknown) => hasCode(e, "InvalidArgument") && /GANTRY_PLACEMENT_SCORING=random/.test((e as Error).message));
  assert.throws(() => placementPolicyFromEnv({ GANTRY_GPU_AGENTS: "maybe" }), (e: unknown) => hasCode(e, "InvalidArgument") && /GANTRY_GPU_AGENTS=maybe/.test((e as Error).message));
});
