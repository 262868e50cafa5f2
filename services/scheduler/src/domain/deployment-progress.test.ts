import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentOutcome, type ActiveDeployment } from "./deployment-progress.ts";
import { appSpecFromDefinition } from "./app-spec.ts";
import type { Instance } from "./instance.ts";

const web = appSpecFromDefinition("v2", { id: "/web", instances: 2 });
const dep: ActiveDeployment = { id: "d1", affectedApps: ["/web"], affectedPods: [], appsToRun: ["/web"] };
const stopping: ActiveDeployment = { id: "d1", affectedApps: ["/web"], affectedPods: [], appsToRun: [] };

function inst(id: string, over: Partial<Instance> = {}): Instance {
  return { instanceId: id, taskId: id, appId: "/web", appVersion: "v2", agentId: "a", host: "h", resources: web.resources, state: "TASK_RUNNING", message: "", exitCode: -1, updatedAt: 0, killRequested: false, ...over };
}

test("a deployment succeeds when every affected app runs its target count on its current version", () => {
  const apps = new Map([["/web", web]]);
  assert.equal(deploymentOutcome(dep, apps, [inst("a")]).state, "running", "one of two");
  assert.equal(deploymentOutcome(dep, apps, [inst("a"), inst("b", { state: "TASK_STAGING" })]).state, "running", "one staging");
  assert.equal(deploymentOutcome(dep, apps, [inst("a"), inst("b"), inst("old", { appVersion: "v1" })]).state, "running", "an old version is live");
  assert.equal(deploymentOutcome(dep, apps, [inst("a"), inst("b"), inst("old", { appVersion: "v1", state: "TASK_KILLED" })]).state, "succeeded");
});

test("a deployment that deletes an app succeeds once none of its instances is live", () => {
  assert.equal(deploymentOutcome(stopping, new Map(), [inst("a", { killRequested: true })]).state, "running");
  assert.equal(deploymentOutcome(stopping, new Map(), [inst("a", { state: "TASK_KILLED" })]).state, "succeeded");
});

test("a deployment that starts an app the scheduler does not know yet is running, never done (not read as a deletion)", () => {
  assert.equal(deploymentOutcome(dep, new Map(), []).state, "running");
});

test("a deployment that touches pods fails with a reason", () => {
  const outcome = deploymentOutcome({ id: "d2", affectedApps: [], affectedPods: ["/pod"], appsToRun: [] }, new Map(), []);
  assert.deepEqual(outcome, { state: "failed", reason: "pods are not run by this scheduler yet: /pod" });
});
