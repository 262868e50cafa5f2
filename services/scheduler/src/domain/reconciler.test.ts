import { test } from "node:test";
import assert from "node:assert/strict";
import { reconcile } from "./reconciler.ts";
import { appSpecFromDefinition } from "./app-spec.ts";
import type { Instance } from "./instance.ts";

const app = appSpecFromDefinition("v2", { id: "/web", cmd: "sleep 1000", instances: 2 });

function inst(id: string, over: Partial<Instance> = {}): Instance {
  return {
    instanceId: id,
    taskId: `t-${id}`,
    appId: "/web",
    appVersion: "v2",
    agentId: "a1",
    host: "h",
    resources: app.resources,
    state: "TASK_RUNNING",
    message: "",
    exitCode: -1,
    updatedAt: 0,
    killRequested: false,
    ...over,
  };
}

test("launches the missing instances of an app", () => {
  const plan = reconcile(new Map([["/web", app]]), [inst("i1"), inst("i0", { state: "TASK_FAILED" })], () => true);
  assert.deepEqual(plan.launches.map((l) => [l.app.id, l.count]), [["/web", 1]]);
  assert.equal(plan.kills.length, 0);
});

test("does not launch while the app is backing off", () => {
  const plan = reconcile(new Map([["/web", app]]), [], () => false);
  assert.equal(plan.launches.length, 0);
});

test("kills every live instance of a deleted app, but not terminal or already-killed ones", () => {
  const plan = reconcile(new Map(), [inst("i1"), inst("i2", { state: "TASK_STAGING" }), inst("i3", { state: "TASK_FINISHED" }), inst("i4", { killRequested: true })], () => true);
  assert.deepEqual(plan.kills.map((k) => [k.instance.instanceId, k.reason]), [["i1", "app deleted"], ["i2", "app deleted"]]);
});

test("scales down youngest first and replaces instances of an older version", () => {
  const plan = reconcile(
    new Map([["/web", app]]),
    [inst("old", { appVersion: "v1" }), inst("i1", { updatedAt: 1 }), inst("i2", { updatedAt: 3 }), inst("i3", { updatedAt: 2 })],
    () => true,
  );
  assert.deepEqual(plan.kills.map((k) => k.instance.instanceId), ["old", "i2"]);
  assert.equal(plan.launches.length, 0);
});

test("app spec takes Marathon defaults for what the definition leaves out", () => {
  const spec = appSpecFromDefinition("v", { id: "/x" });
  assert.deepEqual(spec.resources, { cpus: 1, mem: 128, disk: 0, gpus: 0 });
  assert.equal(spec.instances, 1);
  assert.equal(spec.killGracePeriodSeconds, 3);
});
