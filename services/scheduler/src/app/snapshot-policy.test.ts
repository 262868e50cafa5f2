import assert from "node:assert/strict";
import { test } from "node:test";
import { snapshotDue } from "./snapshot-policy.ts";

const MAX_AGE = 600_000;

test("a snapshot is due after max(10,000, 4 × live instances) folded events, or after the longest interval when anything changed", () => {
  assert.equal(snapshotDue({ foldedEvents: 0, elapsedMs: 10 * MAX_AGE }, 0, MAX_AGE), false, "nothing changed: never");
  assert.equal(snapshotDue({ foldedEvents: 9_999, elapsedMs: 1_000 }, 100, MAX_AGE), false);
  assert.equal(snapshotDue({ foldedEvents: 10_000, elapsedMs: 1_000 }, 100, MAX_AGE), true, "a small state: 10,000 events");
  assert.equal(snapshotDue({ foldedEvents: 199_999, elapsedMs: 1_000 }, 50_000, MAX_AGE), false, "50,000 instances: not before 200,000 events");
  assert.equal(snapshotDue({ foldedEvents: 200_000, elapsedMs: 1_000 }, 50_000, MAX_AGE), true);
  assert.equal(snapshotDue({ foldedEvents: 1, elapsedMs: MAX_AGE }, 50_000, MAX_AGE), true, "one change, once the longest interval passed");
});
