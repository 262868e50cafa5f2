/**
 * The agent's crash recovery with a real crash: the agent runs as its own process
 * (`services/agent/src/main.ts`), gets `kill -9` while it runs a task, and a new agent process
 * on the same work directory re-attaches to that task. A fake scheduler (testing/fake-scheduler.ts)
 * answers registrations, sends commands over real NATS and reads the durable status stream. As
 * root with cgroups the task's groups are checked too.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentV1, schedulerV1Model } from "@gantry/proto";
import { connectBus, type Bus } from "@gantry/platform/bus";
import { clusterNames, infrastructureUrls } from "@gantry/platform/config";
import { createLogger } from "@gantry/platform/logging";
import {
  eventually,
  expectedAgentCgroupDirs,
  expectedLimitFiles,
  expectedTaskCgroupDirs,
  leftoverAgentCgroupDirs,
  pidsOfTask,
  taskMemoryProcsFile,
  within,
} from "@gantry/test/support";
import { probeMachine } from "./index.ts";
import { isAlive, killQuietly, removeLeftoverCgroups, startAgentProcess, stopAgentProcesses, type AgentProcess } from "./testing/agent-process.ts";
import { closeFakeCluster, killCommand, launchCommand, startFakeScheduler, type FakeScheduler } from "./testing/fake-scheduler.ts";

const { TaskState } = schedulerV1Model;
const EPOCH = 1n;
const logger = createLogger("agent-restart-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const { natsUrl } = infrastructureUrls();
const cluster = `t-kill9-${randomBytes(4).toString("hex")}`;
const agentId = `t-kill9-${randomBytes(3).toString("hex")}`;
// The layout the agent itself detects; cgroups only as root (the agent's own rule).
const cgroups = process.getuid?.() === 0 ? probeMachine().cgroups : undefined;

let bus: Bus;
let scheduler: FakeScheduler;
const workDir = mkdtempSync(join(tmpdir(), "gantry-agent-kill9-"));
const taskId = `test_kill9.${randomUUID()}`;
/** A task that exits 7 once told to (a `go` file in its sandbox): told while its agent is dead. */
const exiterId = `test_kill9_exit.${randomUUID()}`;

const processes: AgentProcess[] = [];

function startAgent(): AgentProcess {
  const agent = startAgentProcess({ agentId, workDir, cluster, natsUrl, cgroups: cgroups !== undefined });
  processes.push(agent);
  return agent;
}

function send(...commands: agentV1.AgentCommand[]): void {
  scheduler.send(agentId, EPOCH, ...commands);
}

const statesOf = () => scheduler.updates.filter((u) => u.taskId === taskId).map((u) => `${TaskState[u.state]}${u.message ? ` (${u.message})` : ""}`);
const checkpoint = (): { pid: number; pgid: number; cgroupDirs: string[] } => JSON.parse(readFileSync(join(workDir, "sandboxes", taskId, ".gantry", "checkpoint.json"), "utf8"));

before(async () => {
  bus = await connectBus(natsUrl, clusterNames(cluster), "agent-restart-test");
  scheduler = await startFakeScheduler(bus, { logger, epochFor: () => EPOCH, durable: "test_kill9_status", statusSubject: `agent.status.${agentId}` });
});

// Cleans up whatever the test got to, also when it failed half-way: agent processes, the task's
// processes, the task's and agent's cgroups, the cluster's streams, the work directory.
after(async () => {
  const problems: string[] = [];
  await stopAgentProcesses(processes, problems);
  let cp: ReturnType<typeof checkpoint> | undefined;
  try {
    cp = checkpoint();
  } catch {
    // the task never started
  }
  const leftovers = [...(await pidsOfTask(taskId)), ...(await pidsOfTask(exiterId)), ...(cp && isAlive(cp.pid) ? [cp.pid] : [])];
  if (leftovers.length > 0) problems.push(`task processes left behind: ${leftovers.join(", ")}`);
  if (cp) killQuietly(-cp.pgid, "SIGKILL");
  for (const pid of leftovers) killQuietly(pid, "SIGKILL");
  if (cgroups) {
    await removeLeftoverCgroups([...(cp?.cgroupDirs ?? []), ...expectedTaskCgroupDirs(cgroups, agentId, taskId), ...expectedAgentCgroupDirs(cgroups, agentId)], problems);
  }
  await closeFakeCluster(scheduler, bus);
  rmSync(workDir, { recursive: true, force: true });
  assert.deepEqual(problems, [], "the test cleaned up after itself");
});

describe("agent crash", () => {
  it("kill -9 leaves the task running; a new agent process on the same work dir re-attaches, reports and lists it, reports with its exit code a task that ended while no agent ran, and a kill ends the other", async (t) => {
    try {
      const first = startAgent();
      await eventually("the first agent process to register", () => scheduler.registrations.some((r) => r.agentId === agentId), 20_000);
      send(launchCommand(taskId, { appId: "/test/kill9", cmd: "sleep 1000" }), launchCommand(exiterId, { appId: "/test/kill9", cmd: "while [ ! -f go ]; do sleep 0.1; done; exit 7" }));
      await eventually(() => `${taskId} RUNNING (saw ${statesOf().join(", ")})`, () => scheduler.updates.some((u) => u.taskId === taskId && u.state === TaskState.RUNNING));
      await scheduler.waitForState(exiterId, TaskState.RUNNING);
      const cp = checkpoint();
      if (cgroups) {
        assert.deepEqual([...cp.cgroupDirs].sort(), expectedTaskCgroupDirs(cgroups, agentId, taskId));
        for (const { file, value } of expectedLimitFiles(cgroups, agentId, taskId, 0.5, 64)) assert.equal(readFileSync(file, "utf8").trim(), value, file);
      }
      await eventually("a heartbeat of the first agent listing the task", () => scheduler.heartbeats.some(({ hb }) => hb.agentId === agentId && hb.runningTaskIds.includes(taskId)), 5_000);

      first.child.kill("SIGKILL");
      assert.deepEqual(await within("the first agent process to die of SIGKILL", first.exited, 5_000), { code: null, signal: "SIGKILL" });
      assert.ok(isAlive(cp.pid), "the task outlives its agent's kill -9");
      assert.ok((await pidsOfTask(taskId)).includes(cp.pid), "the live process is the task's");
      if (cgroups) {
        // cp.pid is the task's launcher, which stays outside the task's groups; its child is the task.
        const [task] = readFileSync(`/proc/${cp.pid}/task/${cp.pid}/children`, "utf8").trim().split(" ");
        assert.ok(readFileSync(taskMemoryProcsFile(cgroups, agentId, taskId), "utf8").split("\n").includes(task!), "the task is still in its memory cgroup");
      }
      // The other task ends while no agent runs: exit 7.
      writeFileSync(join(workDir, "sandboxes", exiterId, "go"), "");
      await eventually("the exiting task to end while the agent is down", async () => (await pidsOfTask(exiterId)).length === 0, 10_000);

      const registrationsBefore = scheduler.registrations.length;
      const runningBefore = scheduler.updates.filter((u) => u.taskId === taskId && u.state === TaskState.RUNNING).length;
      startAgent();
      const reg = await eventually("the second agent process to register", () => scheduler.registrations.slice(registrationsBefore).find((r) => r.agentId === agentId), 20_000);
      assert.deepEqual(reg.runningTaskIds, [taskId], "the new agent registers with the re-attached task");
      const exited = await scheduler.waitForState(exiterId, TaskState.FAILED);
      assert.deepEqual([exited.exitCode, exited.message, exited.reason], [7, "exited with code 7", "REASON_COMMAND_EXECUTOR_FAILED"], "the exit while the agent was down, with its code");
      const heartbeatsBefore = scheduler.heartbeats.length;
      const reattached = await eventually(
        () => `RUNNING again after re-attach (saw ${statesOf().join(", ")})`,
        () => scheduler.updates.filter((u) => u.taskId === taskId && u.state === TaskState.RUNNING)[runningBefore],
      );
      assert.equal(reattached.message, "re-attached after agent restart");
      assert.equal(reattached.agentId, agentId);
      await eventually("a heartbeat of the second agent listing the task", () => scheduler.heartbeats.slice(heartbeatsBefore).some(({ hb }) => hb.agentId === agentId && hb.runningTaskIds.includes(taskId)), 5_000);
      assert.ok(isAlive(cp.pid), "re-attaching leaves the task alone");

      send(killCommand(taskId));
      await eventually(() => `${taskId} KILLED (saw ${statesOf().join(", ")})`, () => scheduler.updates.some((u) => u.taskId === taskId && u.state === TaskState.KILLED));
      assert.equal(isAlive(cp.pid), false, "the task process is gone after KILLED");
      assert.deepEqual(await pidsOfTask(taskId), [], "no process of the task is left");
      for (const d of cp.cgroupDirs) assert.equal(existsSync(d), false, `${d} removed`);
    } catch (err) {
      for (const [i, p] of processes.entries()) t.diagnostic(`agent process ${i + 1} (pid ${p.child.pid}) output:\n${p.output.join("")}`);
      throw err;
    }
  });

  it("the agent process stops on SIGTERM and leaves no cgroups behind", async () => {
    const last = processes.at(-1);
    assert.ok(last, "an agent process ran");
    last.child.kill("SIGTERM");
    assert.deepEqual(await within("the agent process to exit on SIGTERM", last.exited, 15_000), { code: 0, signal: null });
    if (cgroups) assert.deepEqual(leftoverAgentCgroupDirs(cgroups, agentId), []);
  });
});
