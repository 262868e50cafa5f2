import { test } from "node:test";
import assert from "node:assert/strict";
import { marathonApp, resolveAppEmbeds } from "./marathon-app-view.ts";
import { marathonDeployment } from "./marathon-deployment-view.ts";
import { marathonGroup, resolveGroupEmbeds } from "./marathon-group-view.ts";
import { marathonPodStatus, podInstanceState } from "./marathon-pod-view.ts";
import { marathonTask } from "./marathon-task-view.ts";

const task = (over: Record<string, unknown>) =>
  ({ taskId: "t", instanceId: "i", appId: "/a", appVersion: "v", agentId: "ag", host: "h", state: 3, message: "", updatedAt: "2024-01-01T00:00:00.000Z", exitCode: -1, ports: [], ...over }) as never;

test("app embeds: apps./app. prefixes, failures = lastTaskFailure, unknown ignored, endpoint defaults kept", () => {
  const e = resolveAppEmbeds(["app.tasks", "apps.failures", "apps.nonsense", "group.apps"], { counts: true });
  assert.deepEqual(e, { tasks: true, counts: true, deployments: false, readiness: false, lastTaskFailure: true, taskStats: false });
});

test("app view: versionInfo from the registry, counts from the app's own tasks, deployments that affect it, taskStats forms", () => {
  const app = { id: "/a", version: "v2", definition: { id: "/a", cmd: "x" }, lastConfigChangeAt: "v1", lastScalingAt: "" } as never;
  const runtime = {
    tasks: [task({ state: 3 }), task({ state: 1 }), task({ state: 2 }), task({ appId: "/b", state: 3 })],
    deployments: [{ id: "d1", affectedApps: ["/a"] }, { id: "d2", affectedApps: ["/b"] }],
  };
  const all = resolveAppEmbeds(["apps.tasks", "apps.counts", "apps.deployments", "apps.readiness", "apps.taskStats"]);
  const view = marathonApp(app, runtime, all);
  assert.deepEqual(view.versionInfo, { lastScalingAt: "v2", lastConfigChangeAt: "v1" });
  assert.equal(view.version, "v2");
  assert.deepEqual([view.tasksRunning, view.tasksStaged, view.tasksHealthy, view.tasksUnhealthy], [1, 2, 0, 0]);
  assert.deepEqual(view.deployments, [{ id: "d1" }]);
  assert.equal((view.tasks as unknown[]).length, 3);
  assert.deepEqual(view.readinessCheckResults, []);
  assert.equal(view.lastTaskFailure, undefined);
  assert.deepEqual(view.taskStats, { totalSummary: { stats: { counts: { staged: 2, running: 1, healthy: 0, unhealthy: 0 } } } });
  const bare = marathonApp(app, { tasks: [], deployments: [] }, resolveAppEmbeds(["apps.taskStats"]));
  assert.deepEqual(bare.taskStats, {});
  assert.equal(bare.tasksRunning, undefined, "counts only when embedded");
});

test("task view: Marathon's healthCheckResults from the task's health verdict, none without one", () => {
  const at = "2024-01-01T00:01:00.000Z";
  assert.deepEqual(marathonTask(task({ healthy: true, healthMessage: "HTTP 200", healthChangedAt: at })).healthCheckResults, [
    { alive: true, consecutiveFailures: 0, firstSuccess: at, lastSuccess: at, lastFailure: null, lastFailureCause: null, instanceId: "i", taskId: "t" },
  ]);
  assert.deepEqual(marathonTask(task({ healthy: false, healthMessage: "HTTP 503", healthChangedAt: at })).healthCheckResults, [
    { alive: false, consecutiveFailures: 0, firstSuccess: null, lastSuccess: null, lastFailure: at, lastFailureCause: "HTTP 503", instanceId: "i", taskId: "t" },
  ]);
  assert.equal("healthCheckResults" in marathonTask(task({})), false, "a task without health checks has none (Marathon leaves the field out)");
});

test("app view: tasksHealthy/tasksUnhealthy count the running tasks by their verdict", () => {
  const app = { id: "/a", version: "v", definition: { id: "/a" }, lastConfigChangeAt: "", lastScalingAt: "" } as never;
  const tasks = [task({ healthy: true }), task({ healthy: true }), task({ healthy: false }), task({}), task({ state: 6, healthy: false }), task({ appId: "/b", healthy: true })];
  const view = marathonApp(app, { tasks, deployments: [] }, resolveAppEmbeds(["apps.counts", "apps.taskStats"]));
  assert.deepEqual([view.tasksRunning, view.tasksHealthy, view.tasksUnhealthy], [4, 2, 1], "undecided and stopped tasks in neither, other apps' not at all");
  assert.deepEqual(view.taskStats, { totalSummary: { stats: { counts: { staged: 0, running: 4, healthy: 2, unhealthy: 1 } } } });
});

test("deployment view: app and pod actions, current actions with readinessCheckResults", () => {
  const d = marathonDeployment({
    id: "d", version: "v", affectedApps: [], affectedPods: ["/p"], currentStep: 1, totalSteps: 0,
    steps: [{ actions: [{ action: "StartPod", app: "", pod: "/p" }] }],
    currentActions: [{ action: "StartPod", app: "", pod: "/p" }],
  } as never);
  assert.deepEqual(d.steps, [{ actions: [{ action: "StartPod", pod: "/p" }] }]);
  assert.deepEqual(d.currentActions, [{ action: "StartPod", pod: "/p", readinessCheckResults: [] }]);
  assert.equal(d.totalSteps, 1);
});

test("group view: default embeds everything; named embeds only those, recursively; group.apps.x enriches apps", () => {
  const group = { id: "/", version: "g", apps: [{ id: "/a", version: "v" }], pods: [{ id: "/p" }], groups: [{ id: "/s", apps: [{ id: "/s/b" }], groups: [], pods: [] }] };
  const runtime = { tasks: [task({})], deployments: [] };
  const full = marathonGroup(group, resolveGroupEmbeds(new Set()), runtime);
  assert.deepEqual(full.apps, [{ id: "/a", version: "v" }]);
  assert.deepEqual(full.dependencies, []);
  const onlyGroups = marathonGroup(group, resolveGroupEmbeds(new Set(["group.groups"])), runtime);
  assert.equal(onlyGroups.apps, undefined);
  assert.equal(onlyGroups.pods, undefined);
  assert.deepEqual(onlyGroups.groups, [{ id: "/s", dependencies: [], groups: [] }]);
  const withCounts = marathonGroup(group, resolveGroupEmbeds(new Set(["group.apps.counts"])), runtime);
  assert.equal((withCounts.apps as Array<Record<string, unknown>>)[0]!.tasksRunning, 1);
});

test("pod status: STABLE/DEGRADED by stable instances vs scaling.instances, TERMINAL while deleted; instance states", () => {
  const pod = { id: "/p", version: "v", definition: { id: "/p", scaling: { kind: "fixed", instances: 1 } }, lastConfigChangeAt: "", lastScalingAt: "" } as never;
  const none = marathonPodStatus(pod, [], { now: "NOW", beingDeleted: false });
  assert.deepEqual([none.status, none.statusSince, none.instances, none.terminationHistory], ["DEGRADED", "NOW", [], []]);
  assert.equal(marathonPodStatus(pod, [], { now: "NOW", beingDeleted: true }).status, "TERMINAL");
  const running = marathonPodStatus(pod, [task({ appId: "/p", instanceId: "p.instance-1", taskId: "p.instance-1.web", state: 3 })], { now: "NOW", beingDeleted: false });
  assert.equal(running.status, "STABLE");
  const [instance] = running.instances as Array<Record<string, unknown>>;
  assert.equal(instance!.id, "p.instance-1");
  assert.equal((instance!.containers as Array<Record<string, unknown>>)[0]!.name, "web");
  const port = { container: "web", endpoint: "http", endpointIndex: 0, hostPort: 31005, containerPort: 8080 };
  const published = marathonPodStatus(pod, [task({ appId: "/p", instanceId: "p.instance-1", taskId: "p.instance-1.web", state: 3, ports: [port] })], { now: "NOW", beingDeleted: false });
  const [withPort] = (published.instances as Array<{ containers: Array<Record<string, unknown>> }>)[0]!.containers;
  assert.deepEqual(withPort!.endpoints, [{ name: "http", allocatedHostPort: 31005 }], "a container's endpoints with their host ports");
  assert.deepEqual(marathonTask(task({ ports: [port, { ...port, endpointIndex: 1, hostPort: 31006 }] })).ports, [31005, 31006], "a task's host ports");
  assert.equal(instance!.specReference, "/v2/pods/p::versions/v");
  assert.equal(podInstanceState(["TASK_STAGING", "TASK_RUNNING"]), "STAGING");
  assert.equal(podInstanceState(["TASK_RUNNING", "TASK_FAILED"]), "DEGRADED");
  assert.equal(podInstanceState(["TASK_KILLED"]), "TERMINAL");
  assert.equal(podInstanceState(["TASK_RUNNING", "TASK_RUNNING"], true), "DEGRADED", "a container failing its health checks");
  const sick = marathonPodStatus(pod, [task({ appId: "/p", instanceId: "p.instance-1", taskId: "p.instance-1.web", state: 3, healthy: false, ports: [port] })], { now: "NOW", beingDeleted: false });
  assert.equal(sick.status, "DEGRADED", "no stable instance while its container is unhealthy");
  const [sickInstance] = sick.instances as Array<{ status: string; containers: Array<{ endpoints: unknown }> }>;
  assert.equal(sickInstance!.status, "DEGRADED");
  assert.deepEqual(sickInstance!.containers[0]!.endpoints, [{ name: "http", allocatedHostPort: 31005, healthy: false }]);
});
