/**
 * Simulated agents against real NATS: a fake scheduler (../testing/fake-scheduler.ts) answers
 * registrations (epoch 3), sends command batches and reads the durable status stream.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { agentV1, schedulerV1Model } from "@gantry/proto";
import { connectBus, type Bus } from "@gantry/platform/bus";
import { infrastructureUrls } from "@gantry/platform/config";
import { createLogger } from "@gantry/platform/logging";
import { createTestCluster, eventually, within as withinMs } from "@gantry/platform/testing";
import { compileSimulatedAgentOptions } from "./simulated-agent-options.ts";
import { startSimulatedAgents, type SimulatedAgents } from "./simulated-agents.ts";
import { launchInstanceCommand, runSpecOf, startFakeScheduler, type FakeScheduler } from "../testing/fake-scheduler.ts";

const { TaskState } = schedulerV1Model;
const logger = createLogger("sim-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const cluster = createTestCluster();
const EPOCH = 3n;
const COUNT = 20;

let bus: Bus;
let simBus: Bus;
let sims: SimulatedAgents;
let failing: SimulatedAgents | undefined;
let scheduler: FakeScheduler;

const waitFor = <T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000) => eventually(what, probe, timeoutMs, 25);
const within = <T>(what: string, p: Promise<T>, timeoutMs = 15_000) => withinMs(what, p, timeoutMs);

const launch = (taskId: string) =>
  create(agentV1.AgentCommandSchema, {
    command: { case: "launch", value: create(agentV1.LaunchTaskSchema, { taskId, instanceId: `inst-${taskId}`, appId: "/sim/app", cmd: "sleep 1000", resources: create(schedulerV1Model.ResourcesSchema, { cpus: 0.5, mem: 64 }) }) },
  });
const kill = (taskId: string) => create(agentV1.AgentCommandSchema, { command: { case: "kill", value: create(agentV1.KillTaskSchema, { taskId }) } });

const statesOf = (taskId: string) => scheduler.statesOf(taskId).map((s) => TaskState[s]);
const waitForState = (taskId: string, state: schedulerV1Model.TaskState) => scheduler.waitForState(taskId, state);

/** Sends a kill of an unknown task to each agent and waits for its KILLED: every batch sent to them before is then handled and its immediate reports stored. */
async function barrier(agentIds: string[], epoch = EPOCH): Promise<void> {
  const markers = agentIds.map((id) => `marker-${id}-${Math.random().toString(36).slice(2)}`);
  agentIds.forEach((id, i) => scheduler.send(id, epoch, kill(markers[i]!)));
  await Promise.all(markers.map((m) => waitForState(m, TaskState.KILLED)));
}

/** Waits for a heartbeat of `agentId` sent after `since` listing exactly `taskIds`. */
const waitForHeartbeat = (agentId: string, taskIds: string[], since: number) =>
  waitFor(`heartbeat of ${agentId} listing [${taskIds.join(",")}]`, () =>
    scheduler.heartbeats.find(({ at, hb }) => at > since && hb.agentId === agentId && JSON.stringify([...hb.runningTaskIds].sort()) === JSON.stringify([...taskIds].sort())),
  );

before(async () => {
  bus = await connectBus(infrastructureUrls().natsUrl, cluster.names, "sim-test-scheduler");
  simBus = await connectBus(infrastructureUrls().natsUrl, cluster.names, "sim-test-agents");
  scheduler = await startFakeScheduler(bus, { logger, epochFor: () => EPOCH, pollIntervalMs: 25 });
  sims = await startSimulatedAgents(
    compileSimulatedAgentOptions({ count: COUNT, idPrefix: "sim", cpus: 4, mem: 8192, disk: 20_000, gpus: 1, attributes: "rack:r{n%4};zone:a", launchDelayMs: "5-30" }),
    { bus: simBus, logger },
  );
});

after(async () => {
  await sims?.stop();
  await failing?.stop();
  await scheduler.stop();
  await cluster.cleanup(bus.nc);
  await simBus.close();
  await bus.close();
});

describe("simulated agents", () => {
  const tasks = Array.from({ length: 30 }, (_, i) => ({ taskId: `task-${i}.${Math.random().toString(36).slice(2)}`, agentId: `sim-${i % COUNT}` }));
  const tasksOf = (agentId: string) => tasks.filter((t) => t.agentId === agentId).map((t) => t.taskId);

  it("each registers once, answered (epoch 3), offering what it was given, over one commands subscription for all", async () => {
    await within("every registration answered", sims.registered);
    assert.deepEqual(sims.agents, Array.from({ length: COUNT }, (_, n) => `sim-${n}`));
    const ids = scheduler.registrations.map((r) => r.agentId).sort();
    assert.deepEqual(ids, [...sims.agents].sort(), "one registration per agent");
    for (const [n, id] of sims.agents.entries()) {
      const reg = scheduler.registrations.find((r) => r.agentId === id)!;
      assert.equal(reg.hostname, id);
      assert.deepEqual({ ...reg.resources, $typeName: undefined }, { $typeName: undefined, cpus: 4, mem: 8192, disk: 20_000, gpus: 1 });
      assert.equal(reg.gpus.length, 1);
      assert.deepEqual(reg.attributes, { rack: `r${n % 4}`, zone: "a" });
      assert.deepEqual(reg.roles, ["*"]);
      assert.deepEqual(reg.capabilities, ["simulated"]);
    }
    // Internal to nats.js, but it is the property at stake: one interest for all agents' commands.
    const subs = (simBus.nc as unknown as { protocol: { subscriptions: { all(): { subject: string }[] } } }).protocol.subscriptions.all();
    assert.deepEqual(subs.map((s) => s.subject).filter((s) => s.includes("commands")), [cluster.names.subject("agent.*.commands")]);
  });

  it("a batch of 30 launches across agents reports STAGING then RUNNING for each task exactly once, and heartbeats list them", async () => {
    const send = () => {
      for (const id of sims.agents) if (tasksOf(id).length > 0) scheduler.send(id, EPOCH, ...tasksOf(id).map(launch));
    };
    send();
    send(); // repeated launches of the same task ids start nothing
    await barrier(sims.agents);
    await Promise.all(tasks.map((t) => waitForState(t.taskId, TaskState.RUNNING)));
    await new Promise((r) => setTimeout(r, 100)); // longer than the longest launch delay: a second start would have reported by now
    for (const t of tasks) {
      assert.deepEqual(statesOf(t.taskId), ["STAGING", "RUNNING"], t.taskId);
      const running = scheduler.updates.find((u) => u.taskId === t.taskId && u.state === TaskState.RUNNING)!;
      assert.equal(running.agentId, t.agentId);
      assert.equal(running.message, "process started");
      assert.equal(running.exitCode, -1);
      assert.match(running.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    }
    assert.equal(new Set(scheduler.updates.map((u) => u.updateId)).size, scheduler.updates.length, "update ids are unique");
    const since = Date.now();
    for (const id of sims.agents) {
      assert.deepEqual(sims.running(id).sort(), tasksOf(id).sort());
      await waitForHeartbeat(id, tasksOf(id), since);
    }
    assert.throws(() => sims.running("nope-1"), /not simulated here/);
  });

  it("kills report KILLING then KILLED, and the agents stop listing the tasks", async () => {
    for (const id of sims.agents) if (tasksOf(id).length > 0) scheduler.send(id, EPOCH, ...tasksOf(id).map(kill));
    const killed = await Promise.all(tasks.map((t) => waitForState(t.taskId, TaskState.KILLED)));
    for (const t of tasks) assert.deepEqual(statesOf(t.taskId), ["STAGING", "RUNNING", "KILLING", "KILLED"], t.taskId);
    assert.ok(killed.every((u) => u.message === "killed on request"));
    const since = Date.now();
    for (const id of sims.agents) {
      assert.deepEqual(sims.running(id), []);
      await waitForHeartbeat(id, [], since);
    }
  });

  it("runs LaunchInstance of a pod (every task STAGING then RUNNING, once) and of an app, and kills their tasks", async () => {
    const suffix = Math.random().toString(36).slice(2);
    const pod = launchInstanceCommand(`pod.${suffix}`, runSpecOf({ id: "/sim/pod", containers: [{ name: "web", shell: "serve" }, { name: "sidecar" }] }), { ports: [{ endpointIndex: 0, hostPort: 31000 }], gpus: [0] });
    const app = launchInstanceCommand(`app.${suffix}`, runSpecOf({ id: "/sim/app", containers: [{ shell: "serve" }] }));
    const podTasks = [`pod.${suffix}.web`, `pod.${suffix}.sidecar`];
    const appTask = `app.${suffix}.app`;
    scheduler.send("sim-2", EPOCH, pod, app, pod);
    await Promise.all([...podTasks, appTask].map((t) => waitForState(t, TaskState.RUNNING)));
    await barrier(["sim-2"]);
    for (const t of [...podTasks, appTask]) assert.deepEqual(statesOf(t), ["STAGING", "RUNNING"], t);
    assert.deepEqual(sims.running("sim-2").sort(), [...podTasks, appTask].sort());
    scheduler.send("sim-2", EPOCH, ...[...podTasks, appTask].map(kill));
    await Promise.all([...podTasks, appTask].map((t) => waitForState(t, TaskState.KILLED)));
    assert.deepEqual(sims.running("sim-2"), []);
  });

  it("refuses a batch from an older scheduler epoch; a newer epoch in a batch raises the agent's epoch", async () => {
    const stale = `stale.${Math.random().toString(36).slice(2)}`;
    scheduler.send("sim-0", 2n, launch(stale));
    await barrier(["sim-0"]);
    assert.deepEqual(statesOf(stale), [], "nothing reported for the refused batch");
    assert.deepEqual(sims.running("sim-0"), []);

    await barrier(["sim-0"], 4n);
    const deposed = `deposed.${Math.random().toString(36).slice(2)}`;
    scheduler.send("sim-0", EPOCH, launch(deposed));
    await barrier(["sim-0"], 4n);
    assert.deepEqual(statesOf(deposed), [], "epoch 3 is refused once epoch 4 was seen");
    // Each agent keeps its own epoch: sim-1 has seen only epoch 3.
    await barrier(["sim-1"], EPOCH);
  });

  it("tasks drawn to fail report FAILED with the configured exit code, and the heartbeat interval can be overridden", async () => {
    failing = await startSimulatedAgents(
      compileSimulatedAgentOptions({ count: 2, idPrefix: "fail", launchDelayMs: 5, failureRate: 1, failureExitCode: 7, failAfterMs: 20, heartbeatIntervalSeconds: 0.2 }),
      { bus: simBus, logger },
    );
    await within("registrations of the failing agents", failing.registered);
    const since = Date.now();
    const taskId = `fails.${Math.random().toString(36).slice(2)}`;
    scheduler.send("fail-1", EPOCH, launch(taskId));
    const failed = await waitForState(taskId, TaskState.FAILED);
    assert.deepEqual(statesOf(taskId), ["STAGING", "RUNNING", "FAILED"]);
    assert.equal(failed.exitCode, 7);
    assert.equal(failed.message, "exited with code 7");
    // Every 0.2 s: at least 3 in 1.5 s, where the answer's 1 s interval would give at most 2.
    await waitFor("3 heartbeats of fail-0 within 1.5 s", () => scheduler.heartbeats.filter(({ at, hb }) => at > since && hb.agentId === "fail-0").length >= 3, 1_500);
  });
});
