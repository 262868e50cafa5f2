/**
 * Helpers shared by the run-spec tests (not a test file itself): validated definitions and
 * messages as plain data for `deepEqual`.
 */
import assert from "node:assert/strict";
import type { registryV1RunSpec as rs } from "@gantry/proto";
import { DCOS_1_9_FEATURES } from "../marathon/common-rules.ts";
import { validateApp } from "../marathon/app-validator.ts";
import { validatePod } from "../marathon/pod-validator.ts";
import type { AppDefinition } from "../marathon/app.model.ts";
import type { PodDefinition } from "../marathon/pod.model.ts";
import { appRunSpec } from "./app-run-spec.ts";
import { podRunSpec } from "./pod-run-spec.ts";

/** Version info used by every test: a scale after a config change. */
export const INFO = { version: "2026-01-02T00:00:00.000Z", lastConfigChangeAt: "2026-01-01T00:00:00.000Z" } as const;

/** DC/OS 1.9 features plus `secrets`, so tests may use secret references. */
const OPTIONS = { features: [...DCOS_1_9_FEATURES, "secrets"] };

/** The run spec of the app `raw` (with `id: "/shop/web"` unless given) after validation (and `edit`, for shapes the validator refuses). */
export function appSpec(raw: Record<string, unknown>, edit?: (app: AppDefinition) => void): rs.RunSpec {
  const r = validateApp({ id: "/shop/web", ...raw }, OPTIONS);
  assert.ok(r.ok, `invalid app: ${JSON.stringify(r)}`);
  edit?.(r.app);
  return appRunSpec(r.app, INFO);
}

/** The run spec of the pod `raw` after validation (and `edit`, for shapes the validator refuses). */
export function podSpec(raw: Record<string, unknown>, edit?: (pod: PodDefinition) => void): rs.RunSpec {
  const r = validatePod(raw, OPTIONS);
  assert.ok(r.ok, `invalid pod: ${JSON.stringify(r)}`);
  edit?.(r.pod);
  return podRunSpec(r.pod, INFO);
}

/** A message (or messages) as plain data: `$typeName` and unset optional fields dropped; enums stay numbers. */
export function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === "$typeName" ? undefined : v)));
}
