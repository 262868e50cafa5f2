/**
 * `kill -9` of the agent process in the middle of a launch, for real: the agent (its own
 * process, cgroups as root) is given a batch of launches, and the third task SIGKILLs the agent
 * as soon as it runs: its launcher, which wrote its pid file before it forked the task, runs on
 * while no agent runs (the agent's launcher server dies with the agent; a launcher dies with the
 * server only until its pid is on file). Whether the agent got to record the pid first is a race
 * (when not, the checkpoint is still `starting`: agent-start-sweep.int.test.ts lays that state
 * out by hand); the agent is held where the fourth task's write-ahead checkpoint is written (a
 * FIFO in its place blocks it), so the kill lands there at the latest: the fourth task has its
 * cgroups but no checkpoint and no process, the fifth nothing. A new agent on the same work
 * directory must:
 *
 * - register with exactly the three started tasks running (re-attached, none orphaned, none
 *   invented), the third completed from its launcher's pid file when its checkpoint lacked it;
 * - learn of the third task's own exit, which happens after the restart (the launcher's exit
 *   status file wakes the agent's watch), with its exit code;
 * - remove the fourth task's cgroups, which no checkpoint names;
 * - kill the other two with nothing left of them (processes, cgroups).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schedulerV1Model } from "@gantry/proto";
import { connectBus, type Bus } from "@gantry/platform/bus";
import { clusterNames, infrastructureUrls } from "@gantry/platform/config";
import { createLogger } from "@gantry/platform/logging";
import { eventually, expectedAgentCgroupDirs, expectedTaskCgroupDirs, pidsOfTask, within } from "@gantry/test/support";
import { probeMachine } from "./index.ts";
import type { TaskCheckpoint } from "./domain/task-checkpoint.ts";
import { buildTaskLauncher } from "./testing/task-launcher-build.ts";
import { isAlive, killQuietly, removeLeftoverCgroups, startAgentProcess, stopAgentProcesses, type AgentProcess } from "./testing/agent-process.ts";
import { closeFakeCluster, killCommand, launchCommand, startFakeScheduler, type FakeScheduler } from "./testing/fake-scheduler.ts";

const { TaskState } = schedulerV1Model;
const EPOCH = 1n;
const logger = createLogger("agent-launch-crash-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const { natsUrl } = infrastructureUrls();
const cluster = `t-lcrash-${randomBytes(4).toString("hex")}`;
const agentId = `t-lcrash-${randomBytes(3).toString("hex")}`;
const cgroups = process.getuid?.() === 0 ? probeMachine().cgroups : undefined;
const workDir = mkdtempSync(join(tmpdir(), "gantry-agent-lcrash-"));

/** Five launches in one batch; the agent dies while spawning the third. */
const taskIds = [0, 1, 2, 3, 4].map((i) => `test_lcrash_${i}.${randomUUID()}`);
const crashAt = taskIds[2]!;

let bus: Bus;
let scheduler: FakeScheduler;
const processes: AgentProcess[] = [];

const sandboxOf = (taskId: string) => join(workDir, "sandboxes", taskId);
const checkpointOf = (taskId: string): TaskCheckpoint => JSON.parse(readFileSync(join(sandboxOf(taskId), ".gantry", "checkpoint.json"), "utf8"));
const statesOf = (taskId: string) => scheduler.updates.filter((u) => u.taskId === taskId).map((u) => `${TaskState[u.state]}${u.message ? ` (${u.message})` : ""}`);

before(async () => {
  bus = await connectBus(natsUrl, clusterNames(cluster), "agent-launch-crash-test");
  scheduler = await startFakeScheduler(bus, { logger, epochFor: () => EPOCH, durable: "test_lcrash_status", statusSubject: `agent.status.${agentId}` });
});

after(async () => {
  const problems: string[] = [];
  await stopAgentProcesses(processes, problems);
  for (const taskId of taskIds) {
    const left = await pidsOfTask(taskId);
    if (left.length > 0) problems.push(`processes of ${taskId} left behind: ${left.join(", ")}`);
    for (const pid of left) killQuietly(pid, "SIGKILL");
  }
  if (cgroups) await removeLeftoverCgroups([...taskIds.flatMap((id) => expectedTaskCgroupDirs(cgroups, agentId, id)), ...expectedAgentCgroupDirs(cgroups, agentId)], problems);
  await closeFakeCluster(scheduler, bus);
  rmSync(workDir, { recursive: true, force: true });
  assert.deepEqual(problems, [], "the test cleaned up after itself");
});

describe("kill -9 of the agent mid-launch", () => {
  it("leaves the task whose launcher was starting running and accounted for: re-attached after restart, its later exit reported with its code, nothing orphaned", async (t) => {
    try {
      buildTaskLauncher();
      // The fourth task's write-ahead checkpoint blocks the agent (nothing ever reads this FIFO).
      mkdirSync(join(sandboxOf(taskIds[3]!), ".gantry"), { recursive: true });
      execFileSync("mkfifo", [join(sandboxOf(taskIds[3]!), ".gantry", "checkpoint.json.tmp")]);
      const first = startAgentProcess({ agentId, workDir, cluster, natsUrl, cgroups: cgroups !== undefined });
      processes.push(first);
      await eventually("the first agent to register", () => scheduler.registrations.some((r) => r.agentId === agentId), 20_000);

      // The third task kills the agent, then exits 5 once told to (a `go` file in its sandbox): told after the restart.
      const crashing = `kill -9 ${first.child.pid}; while [ ! -f go ]; do sleep 0.05; done; exit 5`;
      scheduler.send(agentId, EPOCH, ...taskIds.map((id) => launchCommand(id, { appId: "/test/lcrash", cmd: id === crashAt ? crashing : "sleep 1000" })));
      assert.deepEqual(await within("the first agent to die of SIGKILL", first.exited, 20_000), { code: null, signal: "SIGKILL" });

      // While no agent runs: the third task's launcher wrote its pid and runs the task; nothing after it started.
      const pidFile = join(sandboxOf(crashAt), ".gantry", "pid");
      const launcherPid = await eventually("the third task's launcher to write its pid", () => (existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : undefined), 10_000);
      assert.ok(isAlive(launcherPid), "its launcher runs");
      await eventually("the third task's process to run", async () => (await pidsOfTask(crashAt)).length >= 2, 10_000);
      const before = checkpointOf(crashAt);
      t.diagnostic(before.starting ? "the agent died before recording the launcher's pid (checkpoint still `starting`)" : "the agent died just after recording the launcher's pid");
      for (const id of taskIds.slice(3)) assert.equal(existsSync(join(sandboxOf(id), ".gantry", "pid")), false, `${id} never started`);
      assert.equal(existsSync(join(sandboxOf(taskIds[3]!), ".gantry", "checkpoint.json")), false, "the fourth task has no checkpoint");

      const registrationsBefore = scheduler.registrations.length;
      const second = startAgentProcess({ agentId, workDir, cluster, natsUrl, cgroups: cgroups !== undefined });
      processes.push(second);
      const reg = await eventually("the second agent to register", () => scheduler.registrations.slice(registrationsBefore).find((r) => r.agentId === agentId), 20_000);
      assert.deepEqual([...reg.runningTaskIds].sort(), taskIds.slice(0, 3).sort(), "exactly the started tasks run");
      if (cgroups) for (const d of expectedTaskCgroupDirs(cgroups, agentId, taskIds[3]!)) assert.equal(existsSync(d), false, `${d} (no checkpoint names it) swept`);
      const after = checkpointOf(crashAt);
      assert.equal(after.starting, undefined, "the checkpoint is complete");
      assert.equal(after.pid, launcherPid, "and names the launcher");
      await eventually(() => `${crashAt} RUNNING after the restart (saw ${statesOf(crashAt).join(", ")})`, () => scheduler.updates.some((u) => u.taskId === crashAt && u.message === "re-attached after agent restart"), 20_000);

      // Its own exit, after the restart: seen through the launcher's exit status file.
      writeFileSync(join(sandboxOf(crashAt), "go"), "");
      const exited = await scheduler.waitForState(crashAt, TaskState.FAILED);
      assert.deepEqual([exited.exitCode, exited.message], [5, "exited with code 5"]);
      assert.equal(isAlive(launcherPid), false);

      for (const id of taskIds.slice(0, 2)) scheduler.send(agentId, EPOCH, killCommand(id));
      for (const id of taskIds.slice(0, 2)) await scheduler.waitForState(id, TaskState.KILLED);
      for (const id of taskIds.slice(0, 3)) {
        assert.deepEqual(await pidsOfTask(id), [], `nothing of ${id} is left`);
        for (const d of checkpointOf(id).cgroupDirs) assert.equal(existsSync(d), false, `${d} removed`);
      }
    } catch (err) {
      for (const [i, p] of processes.entries()) t.diagnostic(`agent process ${i + 1} (pid ${p.child.pid}) output:\n${p.output.join("")}`);
      throw err;
    }
  });
});
