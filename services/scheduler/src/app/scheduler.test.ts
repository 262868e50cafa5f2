import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toJson, type JsonObject } from "@bufbuild/protobuf";
import { agentV1, eventsV1App, eventsV1Deployment, schedulerV1Model } from "@gantry/proto";
import { createLogger } from "@gantry/platform";
import { Scheduler } from "./scheduler.ts";
import type { OutgoingEvent, SchedulerPorts } from "./ports.ts";

/** A scheduler over in-memory ports that records what it appends and sends. */
function harness() {
  const appended: { streamId: string; expectedVersion: number; types: string[] }[][] = [];
  const sent: { agentId: string; commands: agentV1.AgentCommands }[] = [];
  let clock = 1_000_000;
  let ids = 0;
  const ports: SchedulerPorts = {
    events: {
      async appendBatch(batches) {
        appended.push(batches.map((b) => ({ streamId: b.streamId, expectedVersion: b.expectedVersion, types: b.events.map((e: OutgoingEvent) => e.schema.name) })));
      },
    },
    commands: { send: (agentId, commands) => void sent.push({ agentId, commands }) },
    logger: createLogger("scheduler-test", { level: "silent" }),
    now: () => clock,
    newId: () => `id${++ids}`,
  };
  const scheduler = new Scheduler(ports, { heartbeatIntervalSeconds: 2, missedHeartbeatsBeforeLost: 5, relaunchAfterSeconds: 10 });
  const settle = () => scheduler.onHeartbeat(create(agentV1.AgentHeartbeatSchema, { agentId: "none" }));
  return { scheduler, appended, sent, settle, tick: (ms: number) => (clock += ms) };
}

function appCreated(id: string, instances: number, version = "2026-01-01T00:00:00.000Z") {
  const data = toJson(eventsV1App.AppCreatedSchema, create(eventsV1App.AppCreatedSchema, { app: { id, version, lastConfigChangeAt: version, definition: { id, cmd: "sleep 1000", cpus: 1, mem: 128, instances } }, deploymentId: "d1" })) as JsonObject;
  return { streamId: `app-${id}`, streamVersion: 1, type: "AppCreated", data, recordedAt: new Date() };
}

function appUpdated(id: string, instances: number, streamVersion: number, version: string, lastConfigChangeAt: string) {
  const data = toJson(eventsV1App.AppUpdatedSchema, create(eventsV1App.AppUpdatedSchema, { app: { id, version, lastConfigChangeAt, definition: { id, cmd: "sleep 1000", cpus: 1, mem: 128, instances } }, deploymentId: `d${streamVersion}` })) as JsonObject;
  return { streamId: `app-${id}`, streamVersion, type: "AppUpdated", data, recordedAt: new Date() };
}

const running = (taskId: string, state = schedulerV1Model.TaskState.RUNNING) => create(agentV1.TaskStatusUpdateSchema, { taskId, agentId: "a1", state });

const registration = (agentId: string, cpus: number) =>
  create(agentV1.AgentRegistrationSchema, { agentId, hostname: `${agentId}.local`, resources: { cpus, mem: 4096, disk: 1000 } });

test("places a new app's instances in one transaction and one command batch per agent", async () => {
  const h = harness();
  await h.scheduler.onRegistration(registration("a1", 4));
  await h.scheduler.onLogEvent(appCreated("/web", 2));
  await h.settle();
  const decision = h.appended.at(-1)!;
  assert.equal(decision.length, 2, "both placements in one appendBatch");
  assert.ok(decision.every((b) => b.streamId.startsWith("instance-web.instance-") && b.expectedVersion === 0 && b.types[0] === "InstancePlaced"));
  assert.equal(h.sent.length, 1);
  assert.equal(h.sent[0]!.agentId, "a1");
  assert.deepEqual(h.sent[0]!.commands.commands.map((c) => c.command.case), ["launch", "launch"]);
});

test("instances wait when no agent fits, and are placed when one registers", async () => {
  const h = harness();
  await h.scheduler.onRegistration(registration("tiny", 0.5));
  await h.scheduler.onLogEvent(appCreated("/web", 1));
  await h.settle();
  assert.equal(h.sent.length, 0);
  await h.scheduler.onRegistration(registration("big", 8));
  await h.settle();
  assert.equal(h.sent.length, 1);
  assert.equal(h.sent[0]!.agentId, "big");
});

test("follows status reports, and kills every task when the app is deleted", async () => {
  const h = harness();
  await h.scheduler.onRegistration(registration("a1", 4));
  await h.scheduler.onLogEvent(appCreated("/web", 2));
  await h.settle();
  const tasks = h.sent[0]!.commands.commands.map((c) => (c.command.case === "launch" ? c.command.value.taskId : ""));
  for (const taskId of tasks) {
    await h.scheduler.onTaskStatus(create(agentV1.TaskStatusUpdateSchema, { taskId, agentId: "a1", state: schedulerV1Model.TaskState.RUNNING }));
  }
  assert.deepEqual([...h.scheduler.state.instances.values()].map((i) => i.state), ["TASK_RUNNING", "TASK_RUNNING"]);
  const deleted = toJson(eventsV1App.AppDeletedSchema, create(eventsV1App.AppDeletedSchema, { appId: "/web", version: "v2" })) as JsonObject;
  await h.scheduler.onLogEvent({ streamId: "app-/web", streamVersion: 2, type: "AppDeleted", data: deleted, recordedAt: new Date() });
  await h.settle();
  const kills = h.sent.at(-1)!.commands.commands;
  assert.deepEqual(kills.map((c) => c.command.case), ["kill", "kill"]);
  assert.deepEqual(h.appended.at(-1)!.map((b) => b.types[0]), ["InstanceKillRequested", "InstanceKillRequested"]);
  assert.ok(h.appended.at(-1)!.every((b) => b.expectedVersion === 2), "kill appended after placement and RUNNING");
});

test("a redelivered app event is applied once", async () => {
  const h = harness();
  await h.scheduler.onRegistration(registration("a1", 4));
  await h.scheduler.onLogEvent(appCreated("/web", 1));
  await h.scheduler.onLogEvent(appCreated("/web", 1));
  await h.settle();
  assert.equal(h.scheduler.state.instances.size, 1);
});

test("a failed task is replaced only after the app's backoff", async () => {
  const h = harness();
  await h.scheduler.onRegistration(registration("a1", 4));
  await h.scheduler.onLogEvent(appCreated("/web", 1));
  await h.settle();
  const first = [...h.scheduler.state.instances.values()][0]!;
  await h.scheduler.onTaskStatus(create(agentV1.TaskStatusUpdateSchema, { taskId: first.taskId, agentId: "a1", state: schedulerV1Model.TaskState.FAILED, exitCode: 3 }));
  await h.settle();
  assert.equal(h.scheduler.state.instances.size, 1, "not replaced inside the 1 s backoff");
  h.tick(1_500);
  h.scheduler.reconcileSoon();
  await h.settle();
  assert.equal(h.scheduler.state.instances.size, 2);
});

test("an agent that misses its heartbeats is declared lost and takes no new tasks", async () => {
  const h = harness();
  await h.scheduler.onRegistration(registration("a1", 4));
  h.tick(11_000);
  await h.scheduler.checkAgents();
  assert.equal(h.scheduler.state.agents.get("a1")!.active, false);
  assert.deepEqual(h.appended.at(-1)![0]!.types, ["AgentLost"]);
  await h.scheduler.onLogEvent(appCreated("/web", 1));
  await h.settle();
  assert.equal(h.sent.length, 0);
});

test("a planned deployment succeeds once its app's instances run, recorded on the rollout stream", async () => {
  const h = harness();
  await h.scheduler.onRegistration(registration("a1", 4));
  await h.scheduler.onLogEvent(appCreated("/web", 2));
  const planned = toJson(
    eventsV1Deployment.DeploymentPlannedSchema,
    create(eventsV1Deployment.DeploymentPlannedSchema, { deployment: { id: "d1", affectedApps: ["/web"], totalSteps: 2 } }),
  ) as JsonObject;
  await h.scheduler.onLogEvent({ streamId: "deployment-d1", streamVersion: 1, type: "DeploymentPlanned", data: planned, recordedAt: new Date() });
  await h.settle();
  assert.ok(h.scheduler.state.deployments.has("d1"), "still running while tasks stage");
  for (const inst of [...h.scheduler.state.instances.values()]) {
    await h.scheduler.onTaskStatus(create(agentV1.TaskStatusUpdateSchema, { taskId: inst.taskId, agentId: "a1", state: schedulerV1Model.TaskState.RUNNING }));
  }
  h.scheduler.reconcileSoon();
  await h.settle();
  assert.equal(h.scheduler.state.deployments.has("d1"), false);
  assert.deepEqual(h.appended.at(-1), [{ streamId: "rollout-d1", expectedVersion: 0, types: ["DeploymentSucceeded"] }]);
});

test("scaling keeps running tasks (same configuration); a configuration change replaces them", async () => {
  const h = harness();
  await h.scheduler.onRegistration(registration("a1", 8));
  await h.scheduler.onLogEvent(appCreated("/web", 2, "v1"));
  await h.settle();
  for (const inst of [...h.scheduler.state.instances.values()]) await h.scheduler.onTaskStatus(running(inst.taskId));
  await h.scheduler.onLogEvent(appUpdated("/web", 3, 2, "v2", "v1"));
  await h.settle();
  const live = [...h.scheduler.state.instances.values()].filter((i) => !i.killRequested);
  assert.equal(live.length, 3, "one more instance, none killed");
  assert.equal([...h.scheduler.state.instances.values()].filter((i) => i.killRequested).length, 0);
  await h.scheduler.onLogEvent(appUpdated("/web", 3, 3, "v3", "v3"));
  await h.settle();
  assert.equal([...h.scheduler.state.instances.values()].filter((i) => i.killRequested).length, 3, "every old-config instance is replaced");
});

test("a report that would move a task backwards is ignored", async () => {
  const h = harness();
  await h.scheduler.onRegistration(registration("a1", 4));
  await h.scheduler.onLogEvent(appCreated("/web", 1));
  await h.settle();
  const inst = [...h.scheduler.state.instances.values()][0]!;
  await h.scheduler.onTaskStatus(running(inst.taskId));
  await h.scheduler.onTaskStatus(running(inst.taskId, schedulerV1Model.TaskState.STARTING));
  assert.equal(h.scheduler.state.instances.get(inst.instanceId)!.state, "TASK_RUNNING");
});

test("a report for a task the scheduler does not know yet is refused, so it is delivered again", async () => {
  const h = harness();
  await assert.rejects(h.scheduler.onTaskStatus(running("nobody.123")), (e: Error) => /does not know/.test(e.message));
});

test("losing an agent loses its tasks in the same transaction, and they are replaced elsewhere", async () => {
  const h = harness();
  await h.scheduler.onRegistration(registration("a1", 4));
  await h.scheduler.onLogEvent(appCreated("/web", 1));
  await h.settle();
  const first = [...h.scheduler.state.instances.values()][0]!;
  await h.scheduler.onTaskStatus(running(first.taskId));
  await h.scheduler.onRegistration(registration("a2", 4));
  h.tick(11_000);
  await h.scheduler.onHeartbeat(create(agentV1.AgentHeartbeatSchema, { agentId: "a2" }));
  await h.scheduler.checkAgents();
  const lostBatch = h.appended.find((b) => b.some((s) => s.types[0] === "AgentLost"))!;
  assert.deepEqual(lostBatch.map((b) => b.types[0]), ["AgentLost", "TaskStatusChanged"]);
  assert.equal(h.scheduler.state.instances.get(first.instanceId)!.state, "TASK_LOST");
  await h.settle();
  const replacement = [...h.scheduler.state.instances.values()].find((i) => i.instanceId !== first.instanceId);
  assert.equal(replacement?.agentId, "a2");
});

test("a heartbeat repairs: kills tasks nobody wants, records lost RUNNING reports, re-sends lost kills", async () => {
  const h = harness();
  await h.scheduler.onRegistration(registration("a1", 4));
  await h.scheduler.onLogEvent(appCreated("/web", 2));
  await h.settle();
  const [a, b] = [...h.scheduler.state.instances.values()];
  h.tick(11_000);
  await h.scheduler.onHeartbeat(create(agentV1.AgentHeartbeatSchema, { agentId: "a1", runningTaskIds: [a!.taskId, "orphan.1"] }));
  assert.equal(h.scheduler.state.instances.get(a!.instanceId)!.state, "TASK_RUNNING", "the agent runs it: its lost report is recorded");
  const commands = h.sent.at(-1)!.commands.commands.map((c) => `${c.command.case}:${c.command.value?.taskId}`);
  assert.ok(commands.includes("kill:orphan.1"), "an unknown task is killed");
  assert.ok(commands.includes(`launch:${b!.taskId}`), "a launch that never arrived is re-sent");
});
