import { test } from "node:test";
import assert from "node:assert/strict";
import { testInstance } from "../domain/test-fixtures.ts";
import { toProtoTasks } from "./task-view.ts";

test("a task's health verdict is in its view, and absent (not false) while it has none", () => {
  const health = { healthy: false, message: "HTTP 503 from /health", changedAt: "2026-01-01T00:01:00.000Z" };
  const [checked] = toProtoTasks(testInstance("i1", { tasks: [{ taskId: "i1", container: "web", state: "TASK_RUNNING", health }] }));
  assert.deepEqual([checked!.healthy, checked!.healthMessage, checked!.healthChangedAt], [false, health.message, health.changedAt]);
  const [unchecked] = toProtoTasks(testInstance("i2"));
  assert.deepEqual([unchecked!.healthy, unchecked!.healthMessage, unchecked!.healthChangedAt], [undefined, "", ""]);
});
