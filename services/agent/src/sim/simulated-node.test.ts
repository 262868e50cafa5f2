import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { agentV1, schedulerV1Model } from "@gantry/proto";
import { createLogger } from "@gantry/platform/logging";
import { drawInRange, drawUnit, SimulatedNode, type SimulatedBehaviour } from "./simulated-node.ts";
import { launchInstanceCommand, runSpecOf } from "../testing/fake-scheduler.ts";

const { TaskState } = schedulerV1Model;
const logger = createLogger("sim-test", { level: "silent" });

/** A node on a manual clock: `advance(ms)` runs what became due, in time order. */
function harness(behaviour: Partial<SimulatedBehaviour> = {}) {
  let now = 0;
  let ids = 0;
  const due: { at: number; fn: () => void; cancelled: boolean }[] = [];
  const reports: agentV1.TaskStatusUpdate[] = [];
  const node = new SimulatedNode(
    "sim-0",
    { launchDelayMs: { min: 10, max: 10 }, failure: { rate: 0, exitCode: 1, afterMs: { min: 100, max: 100 } }, seed: 1, ...behaviour },
    {
      report: (u) => void reports.push(u),
      schedule(ms, fn) {
        const entry = { at: now + ms, fn, cancelled: false };
        due.push(entry);
        return () => void (entry.cancelled = true);
      },
      now: () => new Date(Date.UTC(2026, 0, 1) + now),
      newId: () => `u${++ids}`,
      logger,
    },
  );
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const next = due.filter((d) => !d.cancelled && d.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      due.splice(due.indexOf(next), 1);
      now = next.at;
      next.fn();
    }
    now = until;
  };
  const states = (taskId: string) => reports.filter((r) => r.taskId === taskId).map((r) => TaskState[r.state]);
  return { node, reports, advance, states };
}

const launch = (taskId: string, cmd = "sleep 1000") =>
  create(agentV1.AgentCommandSchema, { command: { case: "launch", value: create(agentV1.LaunchTaskSchema, { taskId, cmd, resources: create(schedulerV1Model.ResourcesSchema, { cpus: 64, mem: 1e6 }) }) } });
const kill = (taskId: string) => create(agentV1.AgentCommandSchema, { command: { case: "kill", value: create(agentV1.KillTaskSchema, { taskId }) } });

describe("SimulatedNode", () => {
  it("reports STAGING at once and RUNNING after the launch delay, with every field a real update has; resources are not checked", () => {
    const { node, reports, advance, states } = harness();
    node.handle(launch("t1"));
    assert.deepEqual(states("t1"), ["STAGING"]);
    assert.deepEqual(node.runningTaskIds(), ["t1"]);
    advance(9);
    assert.deepEqual(states("t1"), ["STAGING"]);
    advance(1);
    assert.deepEqual(states("t1"), ["STAGING", "RUNNING"]);
    const running = reports[1]!;
    assert.equal(running.agentId, "sim-0");
    assert.equal(running.message, "process started");
    assert.equal(running.exitCode, -1);
    assert.equal(running.timestamp, "2026-01-01T00:00:00.010Z");
    assert.deepEqual(reports.map((r) => r.updateId), ["u1", "u2"]);
  });

  it("a second launch of a running task starts nothing; a launch of an ended one reports its final state again", () => {
    const { node, advance, states } = harness();
    node.handle(launch("t1"));
    advance(10);
    node.handle(launch("t1"));
    advance(100);
    assert.deepEqual(states("t1"), ["STAGING", "RUNNING"]);
    node.handle(kill("t1"));
    node.handle(launch("t1"));
    advance(100);
    assert.deepEqual(states("t1"), ["STAGING", "RUNNING", "KILLING", "KILLED", "KILLED"]);
    assert.deepEqual(node.runningTaskIds(), []);
  });

  it("a kill reports KILLING then KILLED as the real agent words them; a second kill repeats KILLED", () => {
    const { node, reports, advance, states } = harness();
    node.handle(launch("t1"));
    advance(10);
    node.handle(kill("t1"));
    node.handle(kill("t1"));
    assert.deepEqual(states("t1"), ["STAGING", "RUNNING", "KILLING", "KILLED", "KILLED"]);
    const killed = reports.find((r) => r.state === TaskState.KILLED)!;
    assert.equal(killed.message, "killed on request");
    assert.equal(killed.signal, "SIGTERM");
  });

  it("a kill during the launch delay means RUNNING is never reported", () => {
    const { node, advance, states } = harness();
    node.handle(launch("t1"));
    node.handle(kill("t1"));
    advance(1000);
    assert.deepEqual(states("t1"), ["STAGING", "KILLING", "KILLED"]);
  });

  it("a kill of an unknown task is KILLED and refuses a later launch of it", () => {
    const { node, reports, advance, states } = harness();
    node.handle(kill("ghost"));
    node.handle(launch("ghost"));
    advance(1000);
    assert.deepEqual(states("ghost"), ["KILLED", "KILLED"]);
    assert.equal(reports[0]!.message, "task was not running on this agent");
    assert.deepEqual(node.runningTaskIds(), []);
  });

  it("a launch that cannot run is ERROR", () => {
    const { node, reports, states } = harness();
    node.handle(launch("t1", ""));
    assert.deepEqual(states("t1"), ["ERROR"]);
    assert.match(reports[0]!.message, /neither cmd nor args/);
  });

  it("runs a pod LaunchInstance: every task of the instance reports like a launch, once; kills work per task", () => {
    const { node, advance, states } = harness();
    const pod = launchInstanceCommand("pod-1", runSpecOf({ id: "/shop/pod", containers: [{ name: "web" }, { name: "sidecar" }] }), { ports: [{ endpointIndex: 0, hostPort: 31000 }], gpus: [7] });
    node.handle(pod);
    assert.deepEqual(node.runningTaskIds(), ["pod-1.web", "pod-1.sidecar"]);
    advance(10);
    node.handle(pod);
    advance(100);
    assert.deepEqual(states("pod-1.web"), ["STAGING", "RUNNING"]);
    assert.deepEqual(states("pod-1.sidecar"), ["STAGING", "RUNNING"]);
    node.handle(kill("pod-1.sidecar"));
    assert.deepEqual(states("pod-1.sidecar"), ["STAGING", "RUNNING", "KILLING", "KILLED"]);
    assert.deepEqual(node.runningTaskIds(), ["pod-1.web"]);
    node.handle(pod);
    advance(100);
    assert.deepEqual(states("pod-1.sidecar"), ["STAGING", "RUNNING", "KILLING", "KILLED", "KILLED"], "a known instance starts nothing; its ended task reports again");
    assert.deepEqual(states("pod-1.web"), ["STAGING", "RUNNING"]);
  });

  it("runs an app LaunchInstance as one task, and refuses one no agent could take with ERROR per task id", () => {
    const { node, reports, advance, states } = harness();
    node.handle(launchInstanceCommand("app-1", runSpecOf({ containers: [{ shell: "serve" }] })));
    advance(10);
    assert.deepEqual(states("app-1.app"), ["STAGING", "RUNNING"]);
    node.handle(launchInstanceCommand("bad-1", runSpecOf({ containers: [{ name: "a" }, { name: "b" }] }), { taskIds: ["bad-1.a"] }));
    assert.deepEqual(states("bad-1.a"), ["ERROR"]);
    assert.match(reports.at(-1)!.message, /1 task ids for 2 containers/);
    assert.deepEqual(node.runningTaskIds(), ["app-1.app"]);
  });

  it("with failure rate 1, a task fails after running, with the configured exit code", () => {
    const { node, reports, advance, states } = harness({ failure: { rate: 1, exitCode: 7, afterMs: { min: 100, max: 100 } } });
    node.handle(launch("t1"));
    advance(109);
    assert.deepEqual(states("t1"), ["STAGING", "RUNNING"]);
    advance(1);
    assert.deepEqual(states("t1"), ["STAGING", "RUNNING", "FAILED"]);
    assert.equal(reports.at(-1)!.exitCode, 7);
    assert.equal(reports.at(-1)!.message, "exited with code 7");
    assert.deepEqual(node.runningTaskIds(), []);
  });

  it("stop cancels every scripted step", () => {
    const { node, advance, states } = harness();
    node.handle(launch("t1"));
    node.stop();
    node.handle(launch("t2"));
    advance(1000);
    assert.deepEqual(states("t1"), ["STAGING"]);
    assert.deepEqual(states("t2"), []);
  });
});

describe("per-task draws", () => {
  it("depend only on the seed and the key, stay in range, and spread", () => {
    assert.equal(drawUnit(1, "a"), drawUnit(1, "a"));
    assert.notEqual(drawUnit(1, "a"), drawUnit(2, "a"));
    const draws = Array.from({ length: 2000 }, (_, i) => drawInRange(7, `task-${i}`, { min: 5, max: 14 }));
    assert.ok(draws.every((d) => Number.isInteger(d) && d >= 5 && d <= 14));
    assert.equal(new Set(draws).size, 10);
    const failing = Array.from({ length: 2000 }, (_, i) => drawUnit(7, `task-${i}/fail`)).filter((u) => u < 0.25).length;
    assert.ok(failing > 400 && failing < 600, `${failing} of 2000 drawn under 0.25`);
  });
});
