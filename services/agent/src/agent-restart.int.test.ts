/**
 * The agent's crash recovery with a real crash: the agent runs as its own process
 * (`services/agent/src/main.ts`), gets `kill -9` while it runs a task, and a new agent process
 * on the same work directory re-attaches to that task. A fake scheduler (testing/fake-scheduler.ts)
 * answers registrations, sends commands over real NATS and reads the durable status stream. As
 * root with cgroups the task's groups are checked too.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { agentV1, schedulerV1Model } from "@gantry/proto";
import { clusterNames, connectBus, createLogger, deleteClusterStreams, infrastructureUrls, type Bus } from "@gantry/platform";
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
import { killCommand, launchCommand, startFakeScheduler, type FakeScheduler } from "./testing/fake-scheduler.ts";

const { TaskState } = schedulerV1Model;
const MAIN = join(dirname(fileURLToPath(import.meta.url)), "main.ts");
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

/** An agent process and everything it printed (shown when a test fails). */
interface AgentProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
const processes: AgentProcess[] = [];

function startAgentProcess(): AgentProcess {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      "--agent-id", agentId,
      "--work-dir", workDir,
      "--cluster", cluster,
      "--nats-url", natsUrl,
      "--cpus", "2",
      "--mem", "1024",
      "--disk", "1024",
      "--isolation", cgroups ? "cgroups" : "none",
      // SIGTERM in cleanup then kills what is left and removes the agent's cgroups.
      "--kill-tasks-on-exit",
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GANTRY_LOG_LEVEL: process.env.GANTRY_LOG_LEVEL ?? "info" } },
  );
  const output: string[] = [];
  child.stdout!.on("data", (d: Buffer) => output.push(d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => output.push(d.toString("utf8")));
  // 'exit', not 'close': the pipes may outlive the process.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const agent = { child, output, exited };
  processes.push(agent);
  return agent;
}

function send(...commands: agentV1.AgentCommand[]): void {
  scheduler.send(agentId, EPOCH, ...commands);
}

const statesOf = () => scheduler.updates.filter((u) => u.taskId === taskId).map((u) => `${TaskState[u.state]}${u.message ? ` (${u.message})` : ""}`);
const checkpoint = (): { pid: number; pgid: number; cgroupDirs: string[] } => JSON.parse(readFileSync(join(workDir, "sandboxes", taskId, ".gantry", "checkpoint.json"), "utf8"));

const alive = (pid: number) => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

before(async () => {
  bus = await connectBus(natsUrl, clusterNames(cluster), "agent-restart-test");
  scheduler = await startFakeScheduler(bus, { logger, epochFor: () => EPOCH, durable: "test_kill9_status", statusSubject: `agent.status.${agentId}` });
});

// Cleans up whatever the test got to, also when it failed half-way: agent processes, the task's
// processes, the task's and agent's cgroups, the cluster's streams, the work directory.
after(async () => {
  const problems: string[] = [];
  for (const p of processes) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
    p.child.kill("SIGTERM");
    await within(`agent process ${p.child.pid} to exit on SIGTERM`, p.exited, 15_000).catch((err: Error) => {
      problems.push(err.message);
      p.child.kill("SIGKILL");
    });
  }
  let cp: ReturnType<typeof checkpoint> | undefined;
  try {
    cp = checkpoint();
  } catch {
    // the task never started
  }
  const leftovers = [...(await pidsOfTask(taskId)), ...(cp && alive(cp.pid) ? [cp.pid] : [])];
  if (leftovers.length > 0) problems.push(`task processes left behind: ${leftovers.join(", ")}`);
  if (cp) killQuietly(-cp.pgid, "SIGKILL");
  for (const pid of leftovers) killQuietly(pid, "SIGKILL");
  if (cgroups) {
    const dirs = [...(cp?.cgroupDirs ?? []), ...expectedTaskCgroupDirs(cgroups, agentId, taskId), ...expectedAgentCgroupDirs(cgroups, agentId)];
    const left = dirs.filter((d) => existsSync(d));
    if (left.length > 0) problems.push(`cgroups left behind: ${[...new Set(left)].join(", ")}`);
    for (const d of new Set(left)) {
      await eventually(`${d} removed`, () => {
        if (existsSync(d)) rmdirSync(d);
        return true;
      }, 5_000).catch((err: Error) => problems.push(err.message));
    }
  }
  await scheduler?.stop();
  if (bus) {
    await deleteClusterStreams(bus);
    await bus.close();
  }
  rmSync(workDir, { recursive: true, force: true });
  assert.deepEqual(problems, [], "the test cleaned up after itself");
});

describe("agent crash", () => {
  it("kill -9 leaves the task running; a new agent process on the same work dir re-attaches, reports and lists it, and a kill ends it", async (t) => {
    try {
      const first = startAgentProcess();
      await eventually("the first agent process to register", () => scheduler.registrations.some((r) => r.agentId === agentId), 20_000);
      send(launchCommand(taskId, { appId: "/test/kill9", cmd: "sleep 1000" }));
      await eventually(() => `${taskId} RUNNING (saw ${statesOf().join(", ")})`, () => scheduler.updates.some((u) => u.taskId === taskId && u.state === TaskState.RUNNING));
      const cp = checkpoint();
      if (cgroups) {
        assert.deepEqual([...cp.cgroupDirs].sort(), expectedTaskCgroupDirs(cgroups, agentId, taskId));
        for (const { file, value } of expectedLimitFiles(cgroups, agentId, taskId, 0.5, 64)) assert.equal(readFileSync(file, "utf8").trim(), value, file);
      }
      await eventually("a heartbeat of the first agent listing the task", () => scheduler.heartbeats.some(({ hb }) => hb.agentId === agentId && hb.runningTaskIds.includes(taskId)), 5_000);

      first.child.kill("SIGKILL");
      assert.deepEqual(await within("the first agent process to die of SIGKILL", first.exited, 5_000), { code: null, signal: "SIGKILL" });
      assert.ok(alive(cp.pid), "the task outlives its agent's kill -9");
      assert.ok((await pidsOfTask(taskId)).includes(cp.pid), "the live process is the task's");
      if (cgroups) assert.ok(readFileSync(taskMemoryProcsFile(cgroups, agentId, taskId), "utf8").split("\n").includes(String(cp.pid)), "still in its memory cgroup");

      const registrationsBefore = scheduler.registrations.length;
      const runningBefore = scheduler.updates.filter((u) => u.taskId === taskId && u.state === TaskState.RUNNING).length;
      startAgentProcess();
      const reg = await eventually("the second agent process to register", () => scheduler.registrations.slice(registrationsBefore).find((r) => r.agentId === agentId), 20_000);
      assert.deepEqual(reg.runningTaskIds, [taskId], "the new agent registers with the re-attached task");
      const heartbeatsBefore = scheduler.heartbeats.length;
      const reattached = await eventually(
        () => `RUNNING again after re-attach (saw ${statesOf().join(", ")})`,
        () => scheduler.updates.filter((u) => u.taskId === taskId && u.state === TaskState.RUNNING)[runningBefore],
      );
      assert.equal(reattached.message, "re-attached after agent restart");
      assert.equal(reattached.agentId, agentId);
      await eventually("a heartbeat of the second agent listing the task", () => scheduler.heartbeats.slice(heartbeatsBefore).some(({ hb }) => hb.agentId === agentId && hb.runningTaskIds.includes(taskId)), 5_000);
      assert.ok(alive(cp.pid), "re-attaching leaves the task alone");

      send(killCommand(taskId));
      await eventually(() => `${taskId} KILLED (saw ${statesOf().join(", ")})`, () => scheduler.updates.some((u) => u.taskId === taskId && u.state === TaskState.KILLED));
      assert.equal(alive(cp.pid), false, "the task process is gone after KILLED");
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
