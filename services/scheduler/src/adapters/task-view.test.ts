import { test } from "node:test";
import assert from "node:assert/strict";
import { testInstance } from "../domain/test-fixtures.ts";
import type { InstanceTask } from "../domain/index.ts";
import { taskCounts, toProtoTasks } from "./task-view.ts";

test("a task's health verdict is in its view, and absent (not false) while it has none", () => {
  const health = { healthy: false, message: "HTTP 503 from /health", changedAt: "2026-01-01T00:01:00.000Z" };
  const [checked] = toProtoTasks(testInstance("i1", { tasks: [{ taskId: "i1", container: "web", state: "TASK_RUNNING", health }] }));
  assert.deepEqual([checked!.healthy, checked!.healthMessage, checked!.healthChangedAt], [false, health.message, health.changedAt]);
  const [unchecked] = toProtoTasks(testInstance("i2"));
  assert.deepEqual([unchecked!.healthy, unchecked!.healthMessage, unchecked!.healthChangedAt], [undefined, "", ""]);
});

test("a task's view carries the host ports of its own container", () => {
  const ports = [
    { container: "web", endpoint: "http", endpointIndex: 0, hostPort: 31001, containerPort: 8080 },
    { container: "cache", endpoint: "mc", endpointIndex: 0, hostPort: 31002, containerPort: 11211 },
  ];
  const tasks = toProtoTasks(testInstance("i3", { ports, tasks: [{ taskId: "i3.web", container: "web", state: "TASK_RUNNING" }, { taskId: "i3.cache", container: "cache", state: "TASK_RUNNING" }] }));
  assert.deepEqual(tasks.map((t) => t.ports.map((p) => p.hostPort)), [[31001], [31002]]);
});

test("task counts per app are Marathon's: staged (STAGING, STARTING), running, and of those healthy or unhealthy; ended tasks not at all", () => {
  const inst = (id: string, states: InstanceTask["state"][], health?: boolean) =>
    testInstance(id, { appId: "/web", tasks: states.map((state, i) => ({ taskId: `${id}.${i}`, container: "web", state, ...(health === undefined ? {} : { health: { healthy: health, message: "", changedAt: "t" } }) })) });
  assert.deepEqual(taskCounts([inst("a", ["TASK_RUNNING"], true), inst("b", ["TASK_RUNNING"], false), inst("c", ["TASK_RUNNING"]), inst("d", ["TASK_STAGING", "TASK_STARTING"]), inst("e", ["TASK_KILLED"])]), [
    { appId: "/web", staged: 2, running: 3, healthy: 1, unhealthy: 1 },
  ]);
});
