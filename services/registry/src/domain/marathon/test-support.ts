/**
 * Assertions and fixtures shared by the registry domain's tests (not a test file itself).
 */
import assert from "node:assert/strict";
import type { FieldViolation } from "@gantry/platform";
import { SEED_POD } from "@gantry/test/support";

type Result = { ok: true } | { ok: false; message: string; violations: FieldViolation[] };

/** Asserts the result failed with `message` at `path` (and, with `kind`, with that top-level message). */
export function assertViolation(result: Result, path: string, message: string, kind?: "Invalid JSON" | "Object is not valid"): void {
  assert.equal(result.ok, false, `expected a violation ${path}: ${message}, but the input was accepted`);
  if (result.ok) return;
  const at = result.violations.find((v) => v.path === path);
  assert.ok(at?.errors.includes(message), `expected ${path}: ${message}; got ${JSON.stringify(result.violations)}`);
  if (kind !== undefined) assert.equal(result.message, kind);
}

/** Asserts the result failed with exactly these violations (order-insensitive). */
export function assertOnlyViolations(result: Result, expected: FieldViolation[]): void {
  assert.equal(result.ok, false, "expected violations, but the input was accepted");
  if (result.ok) return;
  const norm = (vs: FieldViolation[]) => vs.map((v) => ({ path: v.path, errors: [...v.errors].sort() })).sort((a, b) => a.path.localeCompare(b.path));
  assert.deepEqual(norm(result.violations), norm(expected));
}

/** Asserts success and returns the payload. */
export function assertOk<T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> {
  assert.ok(result.ok, `expected success, got ${JSON.stringify(result)}`);
  return result as Extract<T, { ok: true }>;
}

/** Asserts the result did not report `message` at `path` (it may have other violations). */
export function assertNoViolation(result: Result, path: string, message: string): void {
  if (result.ok) return;
  const at = result.violations.find((v) => v.path === path);
  assert.ok(!at?.errors.includes(message), `did not expect ${path}: ${message}`);
}

/** The `/app` pod from the DC/OS 1.9 overview (shared/seed/dcos-1.9-deep-dive.txt). */
export { SEED_POD };

/**
 * The overview's `/app` pod with a shell command in each container (`run-nginx`, …): as the
 * overview gives it, it has none, and Gantry runs no image entrypoint.
 */
export const RUNNABLE_SEED_POD = { ...SEED_POD, containers: SEED_POD.containers.map((c) => ({ ...c, exec: { command: { shell: `run-${c.name}` } } })) };
