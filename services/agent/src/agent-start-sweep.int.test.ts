/**
 * What an agent finds at start after a crash at the worst moment, set up on disk and in the
 * process table by hand, the way a `kill -9` would leave it, then a real agent process started
 * on that work directory:
 *
 * - a checkpoint written before its process was started, and no process ever started (the crash
 *   came between the two): the task is reported FAILED, never RUNNING;
 * - the same checkpoint, but the task launcher did start and wrote its pid: the agent completes
 *   the checkpoint from that pid, re-attaches, and a kill ends it;
 * - a task launcher running in a sandbox that no checkpoint names: it and its task killed at start;
 * - as root with cgroups, a task group of this agent that no checkpoint names, with a process in
 *   it: the process is killed and the group removed at start; another agent's task group on the
 *   same machine, and its process, are left alone;
 * - as root with CNI plugins, a network namespace of this agent that no instance record names (a
 *   crash mid-attach, a lost record): deleted at start; another agent's: left alone.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schedulerV1Model } from "@gantry/proto";
import { connectBus, type Bus } from "@gantry/platform/bus";
import { clusterNames, infrastructureUrls } from "@gantry/platform/config";
import { createLogger } from "@gantry/platform/logging";
import { eventually, expectedAgentCgroupDirs, expectedTaskCgroupDirs, pidsOfTask, within } from "@gantry/test/support";
import { probeMachine } from "./index.ts";
import { fsSandboxStore } from "./adapters/sandbox-store.fs.ts";
import { podNetnsName } from "./adapters/pod-network.cni.ts";
import { launcherRunArgs } from "./adapters/task-launcher.ts";
import { buildTaskLauncher } from "./testing/task-launcher-build.ts";
import type { TaskCheckpoint } from "./domain/task-checkpoint.ts";
import { isAlive, killQuietly, removeLeftoverCgroups, startAgentProcess, stopAgentProcesses, type AgentProcess } from "./testing/agent-process.ts";
import { closeFakeCluster, killCommand, startFakeScheduler, type FakeScheduler } from "./testing/fake-scheduler.ts";

const { TaskState } = schedulerV1Model;
const EPOCH = 1n;
const logger = createLogger("agent-start-sweep-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const { natsUrl } = infrastructureUrls();
const cluster = `t-sweep-${randomBytes(4).toString("hex")}`;
const agentId = `t-sweep-${randomBytes(3).toString("hex")}`;
const cgroups = process.getuid?.() === 0 ? probeMachine().cgroups : undefined;
const networks = process.getuid?.() === 0 && probeMachine().cniPluginDirs.length > 0;
const workDir = mkdtempSync(join(tmpdir(), "gantry-agent-sweep-"));
const store = fsSandboxStore(workDir);

const neverRan = `test_sweep.${randomUUID()}`;
const startedUnrecorded = `test_sweep.${randomUUID()}`;
const strayWrapper = `test_sweep.${randomUUID()}`;
const strayCgroup = `test_sweep.${randomUUID()}`;
const otherAgentId = `t-sweep-${randomBytes(3).toString("hex")}`;
const otherAgentsTask = `test_sweep.${randomUUID()}`;
const taskIds = [neverRan, startedUnrecorded, strayWrapper, strayCgroup, otherAgentsTask];

let bus: Bus;
let scheduler: FakeScheduler;
let agent: AgentProcess | undefined;
const spawned: ChildProcess[] = [];

/** A checkpoint as the agent writes it just before it starts the process. */
function startingCheckpoint(taskId: string): TaskCheckpoint {
  return {
    version: 1,
    taskId,
    instanceId: taskId,
    appId: "/test/sweep",
    appVersion: "2026-01-01T00:00:00.000Z",
    agentId,
    starting: true,
    pid: 0,
    pgid: 0,
    startTicks: 0,
    startedAt: new Date().toISOString(),
    killGraceMs: 1000,
    gpuIndices: [],
    assignedPorts: [],
    cgroupDirs: [],
  };
}

/** Starts `argv` the way the agent does (its task launcher, in the task's sandbox, leading its own process group), tagged with the task id. */
function spawnLikeTheAgent(taskId: string, argv: string[]): ChildProcess {
  const paths = store.prepare(taskId);
  const child = spawn(buildTaskLauncher(), launcherRunArgs({ pidFile: paths.pidFile, exitFile: paths.exitStatusFile, cgroupProcs: [], argv }), {
    cwd: paths.sandbox,
    env: { ...process.env, GANTRY_TASK_ID: taskId },
    detached: true,
    stdio: "ignore",
  });
  spawned.push(child);
  return child;
}

/** A `sleep` moved into the groups `dirs` (made here), as a task's process would be. */
function sleepInGroups(taskId: string, dirs: string[]): ChildProcess {
  const child = spawn("sleep", ["1000"], { env: { ...process.env, GANTRY_TASK_ID: taskId }, detached: true, stdio: "ignore" });
  spawned.push(child);
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "cgroup.procs"), String(child.pid));
  }
  return child;
}

const checkpointOf = (taskId: string): TaskCheckpoint => JSON.parse(readFileSync(join(store.root, taskId, ".gantry", "checkpoint.json"), "utf8"));
const statesOf = (taskId: string) => scheduler.updates.filter((u) => u.taskId === taskId).map((u) => `${TaskState[u.state]}${u.message ? ` (${u.message})` : ""}`);

before(async () => {
  bus = await connectBus(natsUrl, clusterNames(cluster), "agent-start-sweep-test");
  scheduler = await startFakeScheduler(bus, { logger, epochFor: () => EPOCH, durable: "test_sweep_status", statusSubject: `agent.status.${agentId}` });
});

after(async () => {
  const problems: string[] = [];
  await stopAgentProcesses(agent ? [agent] : [], problems);
  for (const child of spawned) if (child.pid !== undefined) killQuietly(-child.pid, "SIGKILL");
  for (const taskId of taskIds) {
    const left = await pidsOfTask(taskId);
    if (left.length > 0) problems.push(`processes of ${taskId} left behind: ${left.join(", ")}`);
    for (const pid of left) killQuietly(pid, "SIGKILL");
  }
  if (cgroups) {
    for (const child of spawned) await within(`process ${child.pid} to exit`, new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once("exit", resolve))), 5_000);
    // The other agent's groups are the test's own to remove.
    for (const dir of [...expectedTaskCgroupDirs(cgroups, otherAgentId, otherAgentsTask), ...expectedAgentCgroupDirs(cgroups, otherAgentId)]) if (existsSync(dir)) rmdirSync(dir);
    await removeLeftoverCgroups([...expectedTaskCgroupDirs(cgroups, agentId, strayCgroup), ...expectedAgentCgroupDirs(cgroups, agentId)], problems);
  }
  for (const name of [podNetnsName(agentId, "test_sweep.orphan"), podNetnsName(otherAgentId, "test_sweep.other")]) {
    if (existsSync(`/run/netns/${name}`)) execFileSync("ip", ["netns", "del", name]);
  }
  await closeFakeCluster(scheduler, bus);
  rmSync(workDir, { recursive: true, force: true });
  assert.deepEqual(problems, [], "the test cleaned up after itself");
});

describe("agent start after a crash mid-launch", () => {
  it("reports a task whose start never happened FAILED, completes and re-attaches one that did, and sweeps launchers and cgroups no checkpoint names", async (t) => {
    try {
      // Crash between the checkpoint and the spawn: nothing ran.
      store.prepare(neverRan);
      store.writeCheckpoint(startingCheckpoint(neverRan));

      // Crash after the spawn, before the checkpoint recorded the pid.
      store.prepare(startedUnrecorded);
      store.writeCheckpoint(startingCheckpoint(startedUnrecorded));
      const started = spawnLikeTheAgent(startedUnrecorded, ["sleep", "1000"]);
      await eventually("the launcher to write its pid", () => existsSync(store.paths(startedUnrecorded).pidFile) && readFileSync(store.paths(startedUnrecorded).pidFile, "utf8").endsWith("\n"), 5_000);

      // A launcher whose checkpoint never reached the disk at all (a sandbox without one).
      const stray = spawnLikeTheAgent(strayWrapper, ["sleep", "1000"]);
      await eventually("the stray launcher to start", () => existsSync(store.paths(strayWrapper).pidFile), 5_000);

      // A task group of this agent with a process in it and no sandbox at all.
      // And, beside it, a task group of another agent on the same machine.
      let inGroup: ChildProcess | undefined;
      let inOtherAgentsGroup: ChildProcess | undefined;
      if (cgroups) {
        inGroup = sleepInGroups(strayCgroup, expectedTaskCgroupDirs(cgroups, agentId, strayCgroup));
        inOtherAgentsGroup = sleepInGroups(otherAgentsTask, expectedTaskCgroupDirs(cgroups, otherAgentId, otherAgentsTask));
      }

      // Network namespaces: one of this agent no record names, one of another agent.
      const netns = networks ? [podNetnsName(agentId, "test_sweep.orphan"), podNetnsName(otherAgentId, "test_sweep.other")] : [];
      for (const name of netns) execFileSync("ip", ["netns", "add", name]);

      const registrationsBefore = scheduler.registrations.length;
      agent = startAgentProcess({ agentId, workDir, cluster, natsUrl, cgroups: cgroups !== undefined });
      const reg = await eventually("the agent to register", () => scheduler.registrations.slice(registrationsBefore).find((r) => r.agentId === agentId), 20_000);
      // The agent recovers and sweeps before it registers.
      assert.deepEqual(reg.runningTaskIds, [startedUnrecorded], "only the task that did start is running");
      // Its task is SIGKILLed; the launcher then reaps it and exits (milliseconds).
      await eventually("the stray launcher to exit", () => !isAlive(stray.pid!), 5_000);
      assert.deepEqual(await pidsOfTask(strayWrapper), [], "nothing of the stray launcher's task is left");
      if (cgroups) {
        assert.equal(isAlive(inGroup!.pid!), false, "the process in the stray group was killed");
        for (const dir of expectedTaskCgroupDirs(cgroups, agentId, strayCgroup)) assert.equal(existsSync(dir), false, `${dir} removed`);
        assert.ok(isAlive(inOtherAgentsGroup!.pid!), "another agent's task is left running");
        for (const dir of expectedTaskCgroupDirs(cgroups, otherAgentId, otherAgentsTask)) assert.ok(existsSync(dir), `${dir} (another agent's) is left`);
      }

      if (networks) {
        assert.equal(existsSync(`/run/netns/${netns[0]}`), false, "this agent's unrecorded namespace was deleted");
        assert.ok(existsSync(`/run/netns/${netns[1]}`), "another agent's namespace is left");
      }

      const failed = await scheduler.waitForState(neverRan, TaskState.FAILED);
      assert.equal(failed.message, "the agent stopped while starting the task; it never ran");
      assert.deepEqual(statesOf(neverRan).filter((s) => s.startsWith("RUNNING")), [], "never reported RUNNING");

      const reattached = await scheduler.waitForState(startedUnrecorded, TaskState.RUNNING);
      assert.equal(reattached.message, "re-attached after agent restart");
      const cp = checkpointOf(startedUnrecorded);
      assert.equal(cp.starting, undefined, "the checkpoint is complete");
      assert.equal(cp.pid, started.pid, "with the launcher's pid");
      assert.ok(cp.startTicks > 0, "and its start time");
      assert.ok(isAlive(started.pid!), "re-attaching leaves the task alone");

      scheduler.send(agentId, EPOCH, killCommand(startedUnrecorded));
      await scheduler.waitForState(startedUnrecorded, TaskState.KILLED);
      assert.deepEqual(await pidsOfTask(startedUnrecorded), [], "the kill ended every process of the task");
    } catch (err) {
      if (agent) t.diagnostic(`agent process output:\n${agent.output.join("")}`);
      throw err;
    }
  });
});
