import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toJson, type JsonObject } from "@bufbuild/protobuf";
import { agentV1, eventsV1App, registryV1RunSpec, schedulerV1Model } from "@gantry/proto";
import type { RecordedEvent } from "@gantry/platform";
import { taskCountList, taskList, toProtoTasks } from "../adapters/task-view.ts";
import { SchedulerState } from "./scheduler-state.ts";
import { appCreated, appCreatedOf, appUpdated, at, deploymentPlanned, deploymentPlannedInSteps, harness, healthReport, healthStatus, readyReport, launchedTasks, registration, report, runSpec, status } from "./test-harness.ts";

test("a large cluster's agents are asked to beat less often, recorded in the log, and each is lost only after missing its own interval", async () => {
  const h = harness({ settings: { heartbeatIntervalSeconds: 2, maxHeartbeatsPerSecond: 1, missedHeartbeatsBeforeLost: 5 } });
  await h.ready;
  const answers = [];
  for (const id of ["a1", "a2", "a3", "a4", "a5"]) answers.push(await h.scheduler.onRegistration(registration(id, 4)));
  assert.deepEqual(answers.map((a) => a.heartbeatIntervalSeconds), [2, 2, 3, 4, 5], "the base interval, then cluster size / heartbeats per second");
  const standby = harness({ lead: false, log: h.log });
  await standby.scheduler.applyLog(h.log);
  assert.equal(standby.scheduler.state.agents.get("a5")!.heartbeatIntervalSeconds, 5, "the interval is in the log, for the next leader");
  h.tick(11_000);
  await h.scheduler.checkAgents();
  const active = Object.fromEntries([...h.scheduler.state.agents.values()].map((a) => [a.agentId, a.active]));
  assert.deepEqual(active, { a1: false, a2: false, a3: true, a4: true, a5: true }, "11 s of silence: more than 5 × 2 s, less than 5 × 3 s");
});

test("places a new app's instances in one transaction and one command batch per agent, carrying the leader's epoch", async () => {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("a1", 4));
  await h.scheduler.applyLog([appCreated("/web", 2)]);
  await h.settle();
  const decision = h.appended.at(-1)!;
  assert.equal(decision.length, 2, "both placements in one appendBatch");
  assert.ok(decision.every((b) => b.streamId.startsWith("instance-web.instance-") && b.expectedVersion === 0 && b.types[0] === "InstancePlaced"));
  assert.equal(h.sent.length, 1);
  assert.equal(h.sent[0]!.agentId, "a1");
  assert.equal(h.sent[0]!.commands.epoch, 7n);
  assert.equal(h.sent[0]!.commands.logId, "log-1");
  assert.deepEqual(h.sent[0]!.commands.commands.map((c) => c.command.case), ["launchInstance", "launchInstance"]);
});

test("a registration is answered with the leader's epoch", async () => {
  const h = harness();
  await h.ready;
  const answer = await h.scheduler.onRegistration(registration("a1", 4));
  assert.equal(answer.epoch, 7n);
  assert.equal(answer.logId, "log-1");
  assert.equal(answer.heartbeatIntervalSeconds, 2);
});

test("instances wait when no agent fits, and are placed when one registers", async () => {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("tiny", 0.5));
  await h.scheduler.applyLog([appCreated("/web", 1)]);
  await h.settle();
  assert.equal(h.sent.length, 0);
  await h.scheduler.onRegistration(registration("big", 8));
  await h.settle();
  assert.equal(h.sent.length, 1);
  assert.equal(h.sent[0]!.agentId, "big");
});

test("follows status reports, and kills every task when the app is deleted; ended instances leave the live state", async () => {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("a1", 4));
  await h.scheduler.applyLog([appCreated("/web", 2)]);
  await h.settle();
  const tasks = launchedTasks(h.sent[0]!.commands);
  for (const taskId of tasks) await report(h, taskId);
  assert.deepEqual(h.instances().map((i) => i.state), ["TASK_RUNNING", "TASK_RUNNING"]);
  const deleted = toJson(eventsV1App.AppDeletedSchema, create(eventsV1App.AppDeletedSchema, { appId: "/web", version: "v2" })) as JsonObject;
  await h.scheduler.applyLog([at("app-/web", 2, "AppDeleted", deleted)]);
  await h.settle();
  assert.deepEqual(h.sent.at(-1)!.commands.commands.map((c) => c.command.case), ["kill", "kill"]);
  assert.deepEqual(h.appended.at(-1)!.map((b) => b.types[0]), ["InstanceKillRequested", "InstanceKillRequested"]);
  assert.ok(h.appended.at(-1)!.every((b) => b.expectedVersion === 2), "kill appended after placement and RUNNING");
  for (const taskId of tasks) await report(h, taskId, schedulerV1Model.TaskState.KILLED);
  assert.equal(h.scheduler.state.instances.size, 0, "ended instances are not live state");
  assert.equal(h.scheduler.state.recentlyEnded.length, 2, "but are kept, bounded, for views");
  assert.equal([...h.scheduler.state.streamVersions.keys()].filter((s) => s.startsWith("instance-")).length, 0, "nor are their streams tracked");
});

test("an older app event delivered after a newer one is ignored", async () => {
  const h = harness();
  await h.ready;
  await h.scheduler.applyLog([appCreated("/web", 1), appUpdated("/web", 3, 2, "v2", "v2"), appUpdated("/web", 2, 3, "v3", "v3")]);
  await h.scheduler.applyLog([appUpdated("/web", 3, 2, "v2", "v2")]);
  assert.equal(h.scheduler.state.runSpecs.get("/web")!.demand.instances, 2);
  assert.equal(h.scheduler.state.runSpecs.get("/web")!.demand.version, "v3");
});

test("a fold that finds a gap reads the missing versions from the log instead of skipping them", async () => {
  const log: RecordedEvent[] = [appCreated("/web", 1), appUpdated("/web", 4, 2, "v2", "v2"), appUpdated("/web", 5, 3, "v3", "v2")];
  const h = harness({ log, lead: false });
  await h.scheduler.applyLog([log[0]!]);
  await h.scheduler.applyLog([log[2]!]);
  assert.equal(h.scheduler.state.versionOf("app-/web"), 3);
  assert.equal(h.scheduler.state.runSpecs.get("/web")!.demand.configVersion, "v2", "v2's configuration (from the missing event) is the one v3 keeps");
});

test("a failed task is replaced only after the app's backoff, which is in the log with the failure", async () => {
  const { h, inst: first } = await oneInstance();
  await report(h, first.taskId, schedulerV1Model.TaskState.FAILED, 3);
  assert.deepEqual(h.appended.at(-1)!.map((b) => [b.streamId, b.types[0]]), [
    [`instance-${first.instanceId}`, "TaskStatusChanged"],
    ["backoff-/web", "LaunchBackoffChanged"],
  ]);
  await h.settle();
  assert.equal(h.scheduler.state.instances.size, 0, "not replaced inside the 1 s backoff");
  h.tick(1_500);
  h.scheduler.tick();
  await h.settle();
  assert.equal(h.scheduler.state.instances.size, 1);
});

test("a terminal report's reason is in the log and in the ended task's view, for a standby folding the log too", async () => {
  const { h, inst } = await oneInstance();
  await h.scheduler.onTaskStatus(create(agentV1.TaskStatusUpdateSchema, { taskId: inst.taskId, agentId: "a1", state: schedulerV1Model.TaskState.FAILED, exitCode: 137, message: "Memory limit exceeded", reason: "REASON_CONTAINER_LIMITATION_MEMORY" }), 99n);
  const reasonOf = (state: typeof h.scheduler.state) => toProtoTasks(state.recentlyEnded.find((i) => i.instanceId === inst.instanceId)!)[0]!.reason;
  assert.equal(reasonOf(h.scheduler.state), "REASON_CONTAINER_LIMITATION_MEMORY");
  const standby = harness({ log: [...h.log], lead: false });
  await standby.scheduler.applyLog([...h.log]);
  assert.equal(reasonOf(standby.scheduler.state), "REASON_CONTAINER_LIMITATION_MEMORY");
});

test("a new leader folding the log keeps a crash-looping app's backoff: it does not relaunch at once", async () => {
  const old = harness();
  await old.ready;
  await old.scheduler.onRegistration(registration("a1", 4));
  await old.scheduler.applyLog([appCreated("/web", 1)]);
  await old.settle();
  old.tick(100);
  for (let i = 0; i < 3; i++) {
    const inst = old.instances()[0]!;
    await report(old, inst.taskId, schedulerV1Model.TaskState.FAILED, 1);
    old.tick(60_000);
    old.scheduler.tick();
    await old.settle();
  }
  await report(old, old.instances()[0]!.taskId, schedulerV1Model.TaskState.FAILED, 1);
  const backoff = old.scheduler.state.backoff.get("/web")!;
  assert.equal(backoff.failures, 4);

  const successor = harness({ log: [appCreated("/web", 1), ...old.log], lead: false });
  await successor.scheduler.applyLog(successor.log);
  assert.deepEqual(successor.scheduler.state.backoff.get("/web"), backoff, "the backoff came with the log");
  await successor.begin();
  await successor.scheduler.onHeartbeat(create(agentV1.AgentHeartbeatSchema, { agentId: "a1" }));
  successor.scheduler.tick();
  await successor.settle();
  assert.equal(successor.scheduler.state.instances.size, 0, "no relaunch before the backoff ends");
});

test("an agent that misses its heartbeats is declared lost, and one that comes back says so in the log", async () => {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("a1", 4));
  h.tick(11_000);
  await h.scheduler.checkAgents();
  assert.equal(h.scheduler.state.agents.get("a1")!.active, false);
  assert.deepEqual(h.appended.at(-1)![0]!.types, ["AgentLost"]);
  await h.scheduler.applyLog([appCreated("/web", 1)]);
  await h.settle();
  assert.equal(h.sent.length, 0, "a lost agent takes no tasks");
  await h.scheduler.onHeartbeat(create(agentV1.AgentHeartbeatSchema, { agentId: "a1" }));
  assert.deepEqual(h.appended.at(-1)![0], { streamId: "agent-a1", expectedVersion: 2, types: ["AgentReturned"] });
  await h.settle();
  assert.equal(h.sent.length, 1, "back, it takes tasks again");
});

test("a planned deployment succeeds once its app's instances run, recorded on the rollout stream", async () => {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("a1", 4));
  // A plan seen before its app (never in the ordered log; still never read as "app deleted").
  await h.scheduler.applyLog([deploymentPlanned("d1", "/web")]);
  await h.settle();
  assert.ok(h.scheduler.state.deployments.has("d1"), "not done: its app is not known yet");
  await h.scheduler.applyLog([appCreated("/web", 2)]);
  await h.settle();
  assert.ok(h.scheduler.state.deployments.has("d1"), "still running while tasks stage");
  const [first, last] = h.instances();
  await report(h, first!.taskId);
  await h.settle();
  assert.ok(h.scheduler.state.deployments.has("d1"), "one of two runs");
  await report(h, last!.taskId);
  await h.settle();
  assert.equal(h.scheduler.state.deployments.has("d1"), false);
  assert.deepEqual(
    h.appended.at(-1),
    [
      { streamId: `instance-${last!.instanceId}`, expectedVersion: 1, types: ["TaskStatusChanged"] },
      { streamId: "rollout-d1", expectedVersion: 1, types: ["DeploymentStepSucceeded", "DeploymentSucceeded"] },
    ],
    "the report that completes the plan and its end are one transaction",
  );
});

test("with readiness checks, a new instance counts in a rolling upgrade only once ready; old instances placed without them count as they did", async () => {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("a1", 8));
  await h.scheduler.applyLog([appCreated("/web", 1, "v1")]);
  await h.settle();
  const old = h.instances()[0]!;
  await report(h, old.taskId);
  const v2 = runSpec("/web", 1, "v2", "v2");
  v2.readinessChecks.push(create(registryV1RunSpec.ReadinessCheckSpecSchema, { name: "ready", protocol: "HTTP", path: "/ready", portName: "http", intervalSeconds: 1, timeoutSeconds: 1, httpStatusCodesForReady: [200] }));
  await h.scheduler.applyLog([at("app-/web", 2, "AppUpdated", toJson(eventsV1App.AppUpdatedSchema, create(eventsV1App.AppUpdatedSchema, { app: { id: "/web", version: "v2", lastConfigChangeAt: "v2", runSpec: v2 }, deploymentId: "d2" })) as JsonObject)]);
  await h.settle();
  const fresh = h.instances().find((i) => i.appVersion === "v2")!;
  await report(h, fresh.taskId);
  await h.settle();
  assert.equal(h.instances().filter((i) => i.killRequested).length, 0, "running is not ready: the old one stays");
  await readyReport(h, fresh.taskId);
  await h.settle();
  assert.deepEqual(h.instances().filter((i) => i.killRequested).map((i) => i.instanceId), [old.instanceId], "ready: the old one goes");
  assert.equal(h.log.filter((e) => e.type === "TaskReady").length, 1);
  await readyReport(h, fresh.taskId);
  assert.equal(h.log.filter((e) => e.type === "TaskReady").length, 1, "once ready, a second report records nothing");
});

test("a plan's steps run in order: an app of a later step starts only once the apps of the step before run, each step recorded", async () => {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("a1", 8));
  await h.scheduler.applyLog([deploymentPlannedInSteps("d1", [["/db"], ["/web"]]), appCreated("/db", 1), appCreated("/web", 2)]);
  await h.settle();
  assert.deepEqual(h.instances().map((i) => i.appId), ["/db"], "/web waits for its step");
  assert.equal(h.scheduler.state.deployments.get("d1")?.currentStep, 1);
  await report(h, h.instances()[0]!.taskId);
  await h.settle();
  assert.deepEqual(h.instances().map((i) => i.appId).sort(), ["/db", "/web", "/web"], "step 2 started once /db runs");
  assert.equal(h.scheduler.state.deployments.get("d1")?.currentStep, 2);
  for (const inst of h.instances().filter((i) => i.appId === "/web")) await report(h, inst.taskId);
  await h.settle();
  assert.equal(h.scheduler.state.deployments.has("d1"), false);
  const rollout = h.appended.flat().filter((b) => b.streamId === "rollout-d1").flatMap((b) => b.types);
  assert.deepEqual(rollout, ["DeploymentStepStarted", "DeploymentStepSucceeded", "DeploymentStepStarted", "DeploymentStepSucceeded", "DeploymentSucceeded"]);
});

test("scaling keeps running tasks (same configuration); a configuration change replaces them, an old one as each new one runs", async () => {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("a1", 8));
  await h.scheduler.applyLog([appCreated("/web", 2, "v1")]);
  await h.settle();
  for (const inst of h.instances()) await report(h, inst.taskId);
  await h.scheduler.applyLog([appUpdated("/web", 3, 2, "v2", "v1")]);
  await h.settle();
  assert.equal(h.instances().filter((i) => !i.killRequested).length, 3, "one more instance, none killed");
  assert.equal(h.instances().filter((i) => i.killRequested).length, 0);
  for (const inst of h.instances().filter((i) => i.state === "TASK_STAGING")) await report(h, inst.taskId);
  await h.scheduler.applyLog([appUpdated("/web", 3, 3, "v3", "v3")]);
  await h.settle();
  // A rolling upgrade under Marathon's default strategy (minimum 1, over-capacity 1): three new
  // instances start beside the old ones, and an old one goes as each new one runs.
  assert.equal(h.instances().filter((i) => i.appVersion === "v3").length, 3, "three new instances launched");
  assert.equal(h.instances().filter((i) => i.killRequested).length, 0, "no old one goes before a new one serves");
  const fresh = h.instances().filter((i) => i.appVersion === "v3");
  await report(h, fresh[0]!.taskId);
  await h.settle();
  assert.equal(h.instances().filter((i) => i.killRequested).length, 1, "one new instance serves: one old one goes");
  for (const inst of fresh.slice(1)) await report(h, inst.taskId);
  await h.settle();
  assert.equal(h.instances().filter((i) => i.killRequested).length, 3, "every old-config instance is replaced");
  assert.ok(h.instances().filter((i) => i.killRequested).every((i) => i.appVersion === "v1"));
});

test("a report that would move a task backwards, or is about a task that is not live, changes nothing", async () => {
  const { h, inst } = await oneInstance();
  await report(h, inst.taskId);
  const before = h.appended.length;
  await report(h, inst.taskId, schedulerV1Model.TaskState.STARTING);
  await report(h, "nobody.123");
  assert.equal(h.scheduler.state.instances.get(inst.instanceId)!.state, "TASK_RUNNING");
  assert.equal(h.appended.length, before, "nothing recorded");
});

/** A leader running one instance of `/web` (one agent, its task placed and not reported yet). */
async function oneInstance() {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("a1", 4));
  await h.scheduler.applyLog([appCreated("/web", 1)]);
  await h.settle();
  return { h, inst: h.instances()[0]! };
}

test("a running task's new health verdict is recorded with its sequence and folded into the task, by a standby too; the same verdict again is not", async () => {
  const { h, inst } = await oneInstance();
  await report(h, inst.taskId);
  await h.scheduler.onTaskStatus(healthStatus(inst.taskId, true, "HTTP 200 from /health", "2026-01-01T00:01:00.000Z"), 900n);
  assert.deepEqual(h.appended.at(-1), [{ streamId: `instance-${inst.instanceId}`, expectedVersion: 2, types: ["TaskHealthChanged"] }]);
  const health = { healthy: true, message: "HTTP 200 from /health", changedAt: "2026-01-01T00:01:00.000Z" };
  assert.deepEqual(h.scheduler.state.instances.get(inst.instanceId)!.tasks[0]!.health, health);
  assert.equal(h.scheduler.state.lastStatusSequence, 900n, "a new leader resumes after it");
  const before = h.appended.length;
  await healthReport(h, inst.taskId, true, "HTTP 200 again");
  assert.equal(h.appended.length, before, "the same verdict is not a change");
  await healthReport(h, inst.taskId, false, "HTTP 503 from /health");
  assert.deepEqual(h.appended.at(-1)![0]!.types, ["TaskHealthChanged"]);
  assert.equal(h.scheduler.state.instances.get(inst.instanceId)!.tasks[0]!.health?.healthy, false);
  assert.equal(h.scheduler.state.instances.get(inst.instanceId)!.state, "TASK_RUNNING", "health does not change the task's state");
  const standby = harness({ lead: false, log: [appCreated("/web", 1), ...h.log] });
  await standby.scheduler.applyLog(standby.log);
  assert.deepEqual(standby.scheduler.state.instances.get(inst.instanceId)!.tasks[0]!.health, h.scheduler.state.instances.get(inst.instanceId)!.tasks[0]!.health);
  assert.equal(standby.scheduler.state.lastStatusSequence, h.scheduler.state.lastStatusSequence);
});

test("a report that starts a task with a verdict records both, state first, in one transaction", async () => {
  const { h, inst } = await oneInstance();
  await healthReport(h, inst.taskId, true);
  assert.deepEqual(h.appended.at(-1), [{ streamId: `instance-${inst.instanceId}`, expectedVersion: 1, types: ["TaskStatusChanged", "TaskHealthChanged"] }]);
  const task = h.scheduler.state.instances.get(inst.instanceId)!.tasks[0]!;
  assert.deepEqual([task.state, task.health?.healthy], ["TASK_RUNNING", true]);
});

test("in one batch, each verdict is compared with the one before it in the batch", async () => {
  const { h, inst } = await oneInstance();
  await report(h, inst.taskId);
  await h.scheduler.onTaskStatuses([
    { update: healthStatus(inst.taskId, true), sequence: 10_001n },
    { update: healthStatus(inst.taskId, true), sequence: 10_002n },
    { update: healthStatus(inst.taskId, false), sequence: 10_003n },
  ]);
  assert.deepEqual(h.appended.at(-1), [{ streamId: `instance-${inst.instanceId}`, expectedVersion: 2, types: ["TaskHealthChanged", "TaskHealthChanged"] }]);
  assert.equal(h.scheduler.state.instances.get(inst.instanceId)!.tasks[0]!.health?.healthy, false);
  assert.equal(h.scheduler.state.lastStatusSequence, 10_003n);
});

test("a verdict for a task that is not running (stopping, or its report is late) is not recorded", async () => {
  const { h, inst } = await oneInstance();
  await report(h, inst.taskId, schedulerV1Model.TaskState.STARTING);
  const starting = healthStatus(inst.taskId, true);
  starting.state = schedulerV1Model.TaskState.STARTING;
  await h.scheduler.onTaskStatus(starting, 50n);
  assert.equal(h.scheduler.state.instances.get(inst.instanceId)!.tasks[0]!.health, undefined, "not running yet");
  await report(h, inst.taskId, schedulerV1Model.TaskState.KILLING);
  const before = h.appended.length;
  await healthReport(h, inst.taskId, false);
  assert.equal(h.appended.length, before, "a late RUNNING report of a stopping task");
  assert.equal(h.scheduler.state.instances.get(inst.instanceId)!.tasks[0]!.health, undefined);
});

test("a deployment of an app with health checks succeeds only once its tasks are healthy", async () => {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("a1", 4));
  const spec = runSpec("/web", 2, "v1", "v1");
  spec.containers[0]!.healthChecks.push(create(registryV1RunSpec.HealthCheckSpecSchema, { protocol: registryV1RunSpec.HealthCheckProtocol.HTTP, endpointIndex: 0, path: "/health" }));
  await h.scheduler.applyLog([deploymentPlanned("d1", "/web"), appCreatedOf(spec)]);
  await h.settle();
  assert.deepEqual(
    h.appended.at(-1)?.map((b) => `${b.streamId.startsWith("instance-") ? "instance" : b.streamId} ${b.types.join(",")}`),
    ["instance InstancePlaced", "instance InstancePlaced", "rollout-d1 DeploymentStepStarted"],
    "the plan's one step is announced in the transaction that places its instances",
  );
  const [a, b] = h.instances();
  await report(h, a!.taskId);
  await report(h, b!.taskId);
  await h.settle();
  assert.ok(h.scheduler.state.deployments.has("d1"), "running is not enough");
  await healthReport(h, a!.taskId, true);
  await healthReport(h, b!.taskId, false);
  await h.settle();
  assert.ok(h.scheduler.state.deployments.has("d1"), "one of two is unhealthy");
  await healthReport(h, b!.taskId, true);
  await h.settle();
  assert.equal(h.scheduler.state.deployments.has("d1"), false);
  assert.deepEqual(
    h.appended.at(-1)?.map((b) => `${b.streamId.startsWith("instance-") ? "instance" : b.streamId} ${b.types.join(",")}`),
    ["instance TaskHealthChanged", "rollout-d1 DeploymentStepSucceeded,DeploymentSucceeded"],
    "the verdict that completes the plan and its end are one transaction",
  );
});

test("each recorded report carries its status-stream sequence, where a new leader resumes", async () => {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("a1", 4));
  await h.scheduler.applyLog([appCreated("/web", 1)]);
  await h.settle();
  await h.scheduler.onTaskStatus(status(h.instances()[0]!.taskId), 41n);
  assert.equal(h.scheduler.state.lastStatusSequence, 41n);
  const successor = harness({ log: [...h.log], lead: false });
  await successor.scheduler.applyLog(successor.log);
  assert.equal(successor.scheduler.state.lastStatusSequence, 41n);
});

test("losing an agent makes its tasks unreachable in the same transaction; without an unreachableStrategy they are expunged and replaced elsewhere at once", async () => {
  const { h, inst: first } = await oneInstance();
  await report(h, first.taskId);
  await h.scheduler.onRegistration(registration("a2", 4));
  h.tick(11_000);
  await h.scheduler.onHeartbeat(create(agentV1.AgentHeartbeatSchema, { agentId: "a2" }));
  await h.scheduler.checkAgents();
  const lostBatch = h.appended.find((b) => b.some((s) => s.types[0] === "AgentLost"))!;
  assert.deepEqual(lostBatch.map((b) => b.types[0]), ["AgentLost", "TaskStatusChanged"]);
  await h.settle();
  assert.equal(h.scheduler.state.instances.has(first.instanceId), false, "expunged");
  assert.deepEqual(h.log.filter((e) => e.streamId === `instance-${first.instanceId}` && e.type === "TaskStatusChanged").map((e) => e.data.state), ["TASK_STATE_RUNNING", "TASK_STATE_UNREACHABLE", "TASK_STATE_GONE"]);
  assert.equal(h.instances()[0]?.agentId, "a2");
});

/** One running instance of `/web` on a1 (a2 stands by), its app waiting 60 s before replacing and 120 s before expunging. */
async function unreachableSetup(unreachable: { disabled?: boolean; inactiveAfterSeconds?: number; expungeAfterSeconds?: number }) {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("a1", 4));
  const spec = runSpec("/web", 1, "v1", "v1");
  spec.unreachable = create(registryV1RunSpec.UnreachableStrategySpecSchema, { disabled: false, inactiveAfterSeconds: 60, expungeAfterSeconds: 120, ...unreachable });
  await h.scheduler.applyLog([appCreatedOf(spec)]);
  await h.settle();
  const inst = h.instances()[0]!;
  await report(h, inst.taskId);
  await h.scheduler.onRegistration(registration("a2", 4));
  // a1 falls silent; a2 keeps beating.
  const beat = async (agentId: string, runningTaskIds: string[] = []) => h.scheduler.onHeartbeat(create(agentV1.AgentHeartbeatSchema, { agentId, runningTaskIds }));
  h.tick(11_000);
  await beat("a2");
  await h.scheduler.checkAgents();
  await h.settle();
  return { h, inst, beat };
}

test("an unreachable instance is replaced only after inactiveAfterSeconds, and expunged after expungeAfterSeconds", async () => {
  const { h, inst, beat } = await unreachableSetup({});
  assert.equal(h.scheduler.state.instances.get(inst.instanceId)?.state, "TASK_UNREACHABLE");
  assert.equal(h.instances().length, 1, "not replaced while it may come back");
  h.tick(50_000);
  await beat("a2");
  h.scheduler.tick();
  await h.settle();
  assert.equal(h.instances().length, 1, "still within inactiveAfterSeconds");
  h.tick(11_000);
  await beat("a2");
  h.scheduler.tick();
  await h.settle();
  assert.deepEqual(h.instances().map((i) => [i.agentId, i.state]).sort(), [["a1", "TASK_UNREACHABLE"], ["a2", "TASK_STAGING"]], "inactive: replaced on a2, still waited for");
  h.tick(60_000);
  await beat("a2");
  h.scheduler.tick();
  await h.settle();
  assert.equal(h.scheduler.state.instances.has(inst.instanceId), false, "expunged");
  assert.match(String(h.log.filter((e) => e.type === "TaskStatusChanged").at(-1)?.data.message), /^expunged: unreachable for 1\d\d s \(expungeAfterSeconds 120\)$/);
});

test("an unreachable instance whose agent comes back running it counts again, and the surplus replacement is killed", async () => {
  const { h, inst, beat } = await unreachableSetup({});
  h.tick(61_000);
  await beat("a2");
  h.scheduler.tick();
  await h.settle();
  const replacement = h.instances().find((i) => i.agentId === "a2")!;
  await report(h, replacement.taskId);
  await beat("a1", [inst.taskId]);
  await h.settle();
  assert.equal(h.scheduler.state.instances.get(inst.instanceId)?.state, "TASK_RUNNING", "running again");
  const killed = h.instances().filter((i) => i.killRequested);
  assert.deepEqual(killed.map((i) => i.instanceId), [replacement.instanceId], "the surplus (the youngest) goes");
});

test("an agent that comes back without an unreachable instance's task: the instance was lost; a disabled strategy never replaces", async () => {
  const { h, inst, beat } = await unreachableSetup({ disabled: true });
  h.tick(3_600_000);
  await beat("a2");
  h.scheduler.tick();
  await h.settle();
  assert.deepEqual(h.instances().map((i) => i.instanceId), [inst.instanceId], "disabled: waited for, never replaced");
  await beat("a1", []);
  await h.settle();
  assert.equal(h.scheduler.state.instances.has(inst.instanceId), false, "lost");
  assert.equal(h.log.filter((e) => e.type === "TaskStatusChanged").at(-1)?.data.state, "TASK_STATE_LOST");
  assert.equal(h.instances().length, 1, "and replaced");
});

test("a heartbeat repairs: kills tasks nobody wants, records lost RUNNING reports, re-sends lost launches", async () => {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("a1", 4));
  await h.scheduler.applyLog([appCreated("/web", 2)]);
  await h.settle();
  const [a, b] = h.instances();
  h.tick(11_000);
  await h.scheduler.onHeartbeat(create(agentV1.AgentHeartbeatSchema, { agentId: "a1", runningTaskIds: [a!.taskId, "orphan.1"] }));
  assert.equal(h.scheduler.state.instances.get(a!.instanceId)!.state, "TASK_RUNNING", "the agent runs it: its lost report is recorded");
  const commands = h.sent.at(-1)!.commands.commands.map((c) => `${c.command.case}:${c.command.case === "kill" ? c.command.value.taskId : c.command.case === "launchInstance" ? c.command.value.taskIds[0] : ""}`);
  assert.ok(commands.includes("kill:orphan.1"), "an unknown task is killed");
  assert.ok(commands.includes(`launchInstance:${b!.taskId}`), "a launch that never arrived is re-sent");
});

test("an instance killed through the API is killed once, with why, and replaced; ids naming nothing live are reported back", async () => {
  const { h, inst } = await oneInstance();
  await report(h, inst.taskId);
  const sentBefore = h.sent.length;
  const killed = await h.scheduler.killInstances([inst.taskId, inst.instanceId, "nobody.1"], "killed through the API by alice");
  assert.deepEqual(killed.instances.map((i) => i.instanceId), [inst.instanceId], "a task id and its instance id name one instance");
  assert.deepEqual(killed.unknownIds, ["nobody.1"]);
  assert.ok(killed.instances[0]!.killRequested);
  const kill = h.log.find((e) => e.type === "InstanceKillRequested");
  assert.equal(kill?.data.reason, "killed through the API by alice");
  await h.settle();
  assert.ok(h.sent.slice(sentBefore).some((b) => b.commands.commands.some((c) => c.command.case === "kill")), "its agent is told");
  assert.equal(h.instances().filter((i) => !i.killRequested).length, 1, "a replacement is placed");
  const again = await h.scheduler.killInstances([inst.taskId], "again");
  assert.equal(again.instances.length, 1);
  assert.equal(h.log.filter((e) => e.type === "InstanceKillRequested").length, 1, "not killed twice");
});

test("the last task failure of an app is kept (Marathon's lastTaskFailure), by a standby too, and forgotten with the app", async () => {
  const { h, inst } = await oneInstance();
  await report(h, inst.taskId);
  await h.scheduler.onTaskStatus(create(agentV1.TaskStatusUpdateSchema, { taskId: inst.taskId, agentId: "a1", state: schedulerV1Model.TaskState.FAILED, exitCode: 3, message: "exited with 3", timestamp: "2026-01-01T00:02:00.000Z" }), 9_000n);
  const failure = h.scheduler.state.lastFailures.get("/web");
  assert.deepEqual(failure && [failure.taskId, failure.state, failure.message, failure.host, failure.timestamp], [inst.taskId, "TASK_FAILED", "exited with 3", "a1.local", "2026-01-01T00:02:00.000Z"]);
  const standby = harness({ log: [], lead: false });
  await standby.scheduler.applyLog(h.log);
  assert.deepEqual(standby.scheduler.state.lastFailures.get("/web"), failure);
  await h.scheduler.applyLog([at("app-/web", 2, "AppDeleted", { appId: "/web", version: "v2" })]);
  assert.equal(h.scheduler.state.lastFailures.has("/web"), false);
});

test("forgetting an app's last failure changes the live tasks' version (the failures are answered under it); forgetting an app without one does not", () => {
  const state = new SchedulerState();
  state.lastFailures.set("/gone", { appId: "/gone", taskId: "gone.1", state: "TASK_FAILED", message: "exited with 1", host: "h", agentId: "a1", version: "v1", timestamp: "2026-01-01T00:00:00.000Z" });
  const before = state.instancesVersion;
  state.deleteRunSpec("/gone");
  assert.notEqual(state.instancesVersion, before);
  const after = state.instancesVersion;
  state.deleteRunSpec("/never-failed");
  assert.equal(state.instancesVersion, after);
});

test("the list of every live task carries a version: unchanged while no task changes, new after any change", async () => {
  const { h, inst } = await oneInstance();
  const all = (knownVersion = "") => taskList(h.scheduler.state, { appId: "", includeTerminal: false, knownVersion });
  const first = all();
  assert.equal(first.tasks.length, 1);
  assert.ok(first.version);
  assert.deepEqual(all(first.version), { tasks: [], version: first.version, unchanged: true });
  await report(h, inst.taskId);
  const after = all(first.version);
  assert.notEqual(after.version, first.version);
  assert.equal(after.unchanged, undefined);
  assert.equal(after.tasks[0]?.state, schedulerV1Model.TaskState.RUNNING);
  assert.equal(taskList(h.scheduler.state, { appId: "/web", includeTerminal: false, knownVersion: after.version }).tasks.length, 1, "one app's list is never 'unchanged'");  const counts = taskCountList(h.scheduler.state, { appId: "", knownVersion: "" });
  assert.equal(counts.version, after.version, "counts carry the tasks' version");
  assert.deepEqual(taskCountList(h.scheduler.state, { appId: "", knownVersion: after.version }), { counts: [], version: after.version, unchanged: true });
  assert.equal(taskCountList(h.scheduler.state, { appId: "", knownVersion: first.version }).counts[0]?.running, 1);
  assert.equal(taskCountList(h.scheduler.state, { appId: "/web", knownVersion: after.version }).counts.length, 1, "one app's counts are never 'unchanged'");
});

test("a standby folds but never acts: inputs that need a leader are refused, nothing is appended or sent", async () => {
  const h = harness({ lead: false });
  await assert.rejects(h.scheduler.onRegistration(registration("a1", 4)), /not the leader/);
  await h.scheduler.applyLog([appCreated("/web", 1)]);
  h.scheduler.reconcileSoon();
  await h.settle();
  assert.equal(h.appended.length, 0);
  assert.equal(h.sent.length, 0);
  assert.equal(h.scheduler.state.runSpecs.size, 1, "but it keeps its state warm");
});

test("an append refused by the fence ends the term at once: nothing is sent, nothing more is decided", async () => {
  const h = harness();
  await h.ready;
  await h.scheduler.onRegistration(registration("a1", 4));
  h.depose();
  await h.scheduler.applyLog([appCreated("/web", 1)]);
  await h.settle();
  assert.equal(h.deposedCount(), 1, "the role was told it is deposed");
  assert.equal(h.scheduler.term, undefined);
  assert.equal(h.sent.length, 0, "no command of the refused decision was sent");
  assert.equal(h.scheduler.state.instances.size, 0, "and nothing of it was folded");
});
