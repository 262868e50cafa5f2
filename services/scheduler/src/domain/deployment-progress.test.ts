import { test } from "node:test";
import assert from "node:assert/strict";
import { deploymentOutcome, heldRunSpecs, stepUnderWay, type ActiveDeployment, type StepScope } from "./deployment-progress.ts";
import type { Instance } from "./instance.ts";
import { testInstance } from "./test-fixtures.ts";

const web = { configVersion: "v2", instances: 2 };
const dep: StepScope = { affectedApps: ["/web"], affectedPods: [], appsToRun: ["/web"] };
const stopping: StepScope = { affectedApps: ["/web"], affectedPods: [], appsToRun: [] };

const inst = (id: string, over: Partial<Instance> = {}): Instance => testInstance(id, { appVersion: "v2", ...over });

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

test("a pod's deployment is judged like an app's", () => {
  const pod = { configVersion: "v2", instances: 1 };
  const podDeployment: StepScope = { affectedApps: [], affectedPods: ["/pod"], appsToRun: ["/pod"] };
  assert.equal(deploymentOutcome(podDeployment, new Map([["/pod", pod]]), []).state, "running");
  assert.equal(deploymentOutcome(podDeployment, new Map([["/pod", pod]]), [inst("p", { appId: "/pod" })]).state, "succeeded");
});

test("an instance of an app with health checks counts once the tasks of its checked containers are healthy", () => {
  const checked = new Map([["/web", { ...web, healthCheckedContainers: ["web"] }]]);
  const healthy = { healthy: true, message: "HTTP 200", changedAt: "t" };
  const withHealth = (id: string, health?: typeof healthy) => inst(id, { tasks: [{ taskId: id, container: "web", state: "TASK_RUNNING", ...(health ? { health } : {}) }] });
  assert.equal(deploymentOutcome(dep, checked, [withHealth("a", healthy), withHealth("b")]).state, "running", "one has no verdict yet");
  assert.equal(deploymentOutcome(dep, checked, [withHealth("a", healthy), withHealth("b", { ...healthy, healthy: false })]).state, "running", "one is unhealthy");
  assert.equal(deploymentOutcome(dep, checked, [withHealth("a", healthy), withHealth("b", healthy)]).state, "succeeded");
  assert.equal(deploymentOutcome(dep, new Map([["/web", web]]), [withHealth("a"), withHealth("b")]).state, "succeeded", "without checks, running suffices");
});

test("a pod instance waits only for the containers that have health checks", () => {
  const pod = { configVersion: "v2", instances: 1, healthCheckedContainers: ["api"] };
  const podDeployment: StepScope = { affectedApps: [], affectedPods: ["/pod"], appsToRun: ["/pod"] };
  const tasks = (apiHealthy: boolean) => [
    { taskId: "p.api", container: "api", state: "TASK_RUNNING" as const, health: { healthy: apiHealthy, message: "", changedAt: "t" } },
    { taskId: "p.sidecar", container: "sidecar", state: "TASK_RUNNING" as const },
  ];
  assert.equal(deploymentOutcome(podDeployment, new Map([["/pod", pod]]), [inst("p", { appId: "/pod", tasks: tasks(false) })]).state, "running");
  assert.equal(deploymentOutcome(podDeployment, new Map([["/pod", pod]]), [inst("p", { appId: "/pod", tasks: tasks(true) })]).state, "succeeded");
});

/** A plan of two steps: /db starts first, then /web (which depends on it). */
const twoSteps = (currentStep: number): ActiveDeployment => ({
  id: "d3",
  affectedApps: ["/db", "/web"],
  affectedPods: [],
  appsToRun: ["/db", "/web"],
  steps: [
    { affectedApps: ["/db"], affectedPods: [], appsToRun: ["/db"] },
    { affectedApps: ["/web"], affectedPods: [], appsToRun: ["/web"] },
  ],
  currentStep,
});

test("the run specs of a step after the one under way are held back; the first step is under way from the start", () => {
  assert.deepEqual([...heldRunSpecs([twoSteps(0)])], ["/web"]);
  assert.deepEqual([...heldRunSpecs([twoSteps(1)])], ["/web"]);
  assert.deepEqual([...heldRunSpecs([twoSteps(2)])], []);
});

test("a deployment moves to its next step once every app of the step under way reached its target", () => {
  const apps = new Map([["/db", { configVersion: "v2", instances: 1 }], ["/web", web]]);
  const db = (state: Instance["state"]) => inst("db", { appId: "/db", state, tasks: [{ taskId: "db", container: "db", state }] });
  const instancesOf = (live: Instance[]) => (scope: StepScope) => live.filter((i) => scope.affectedApps.includes(i.appId));
  assert.equal(stepUnderWay(twoSteps(0), apps, instancesOf([db("TASK_STAGING")])), 1);
  assert.equal(stepUnderWay(twoSteps(1), apps, instancesOf([db("TASK_RUNNING")])), 2);
  assert.equal(stepUnderWay(twoSteps(2), apps, instancesOf([db("TASK_RUNNING")])), 2, "the last step stays under way until the deployment ends");
});
