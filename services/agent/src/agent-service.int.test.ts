/**
 * The agent against real NATS and (as root on Linux) real cgroups: a fake scheduler
 * (testing/fake-scheduler.ts) answers registrations, sends commands and reads the durable status stream.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentV1, registryV1RunSpec, schedulerV1Model } from "@gantry/proto";
import { connectBus, deleteClusterStreams, type Bus } from "@gantry/platform/bus";
import { clusterNames, infrastructureUrls } from "@gantry/platform/config";
import { createLogger } from "@gantry/platform/logging";
import {
  eventually,
  writtenText,
  expectedCgroupCapabilities,
  expectedLimitFiles,
  expectedTaskCgroupDirs,
  leftoverAgentCgroupDirs,
  pidsOfTask,
  taskMemoryProcsFile,
  within,
  type WaitSubject,
} from "@gantry/test/support";
import { compileAgentOptions } from "./agent-options.ts";
import { startAgent, type RunningAgent } from "./agent-service.ts";
import { probeMachine } from "./adapters/machine-probe.ts";
import type { AgentOptions, RawAgentOptions, TaskCheckpoint } from "./domain/index.ts";
import { killCommand as kill, launchCommand as launch, launchInstanceCommand, runSpecOf, startFakeScheduler, type FakeScheduler } from "./testing/fake-scheduler.ts";

const { TaskState } = schedulerV1Model;
const isRoot = process.getuid?.() === 0;
// The cgroup layout (v1 or v2) as the agent itself detects it; root tests run on either.
const cgroups = isRoot ? probeMachine().cgroups : undefined;
const logger = createLogger("agent-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });

let bus: Bus;
let scheduler: FakeScheduler;
const workDirs: string[] = [];
const agents: RunningAgent[] = [];
const agentIds: string[] = [];
/** Epoch the fake scheduler answers a registration with, per agent (0 when not set). */
const answerEpoch = new Map<string, bigint>();
const answerLog = new Map<string, string>();

function options(agentId: string, workDir?: string, gpus?: string): AgentOptions {
  const dir = workDir ?? mkdtempSync(join(tmpdir(), "gantry-agent-test-"));
  if (!workDirs.includes(dir)) workDirs.push(dir);
  if (!agentIds.includes(agentId)) agentIds.push(agentId);
  const raw: RawAgentOptions = { agentId, workDir: dir, cpus: 2, mem: 1024, disk: 1024, isolation: isRoot ? "cgroups" : "none", attributes: "rack:r1;zone:a" };
  // Configured GPUs count only where the driver reports none, so the driver is not asked then.
  return gpus === undefined ? compileAgentOptions(raw) : compileAgentOptions({ ...raw, gpus }, { ...probeMachine({ workDir: dir }), nvidiaGpus: undefined });
}

/** Sends a kill of an unknown task and waits for its KILLED: every batch sent to `agentId` before has then been handled and its immediate reports stored. */
async function barrier(agentId: string): Promise<void> {
  const marker = newTaskId("barrier");
  send(agentId, kill(marker));
  await waitForState(marker, TaskState.KILLED);
}

async function start(opts: AgentOptions): Promise<RunningAgent> {
  const agent = await startAgent(opts, { bus, logger });
  agents.push(agent);
  await within(`agent ${opts.agentId} to register`, agent.registered, 15_000);
  return agent;
}

function send(agentId: string, ...commands: agentV1.AgentCommand[]): void {
  scheduler.send(agentId, 0n, ...commands);
}

const newTaskId = (name: string) => `test_${name}.${randomUUID()}`;
const statesOf = (taskId: string) => scheduler.statesOf(taskId);

const waitFor = <T>(what: WaitSubject, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> => eventually(what, probe, timeoutMs, 50);

const waitForState = (taskId: string, state: schedulerV1Model.TaskState, timeoutMs?: number) => scheduler.waitForState(taskId, state, timeoutMs);

function checkpointOf(workDir: string, taskId: string): TaskCheckpoint {
  return JSON.parse(readFileSync(join(workDir, "sandboxes", taskId, ".gantry", "checkpoint.json"), "utf8"));
}

/** The pid (as text) of the task a task launcher started: its child. */
const taskOfLauncher = (launcherPid: number): string => readFileSync(`/proc/${launcherPid}/task/${launcherPid}/children`, "utf8").trim().split(" ")[0]!;

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
};

before(async () => {
  bus = await connectBus(infrastructureUrls().natsUrl, clusterNames(`t-agent-${randomBytes(4).toString("hex")}`), "agent-test");
  scheduler = await startFakeScheduler(bus, { logger, epochFor: (agentId) => answerEpoch.get(agentId) ?? 0n, logIdFor: (agentId) => answerLog.get(agentId) ?? "" });
});

after(async () => {
  for (const a of agents) await a.stop({ killTasks: true });
  await scheduler.stop();
  await deleteClusterStreams(bus);
  await bus.close();
  for (const d of workDirs) rmSync(d, { recursive: true, force: true });
  if (cgroups) for (const id of agentIds) assert.deepEqual(leftoverAgentCgroupDirs(cgroups, id), [], `cgroups of agent ${id} left behind`);
});

describe("agent", () => {
  let main: RunningAgent;
  let mainOptions: AgentOptions;

  before(async () => {
    mainOptions = options(`t-main-${randomBytes(3).toString("hex")}`);
    main = await start(mainOptions);
  });

  it("registers with what it offers and heartbeats", async () => {
    const reg = scheduler.registrations.find((r) => r.agentId === main.agentId);
    assert.ok(reg);
    assert.equal(reg.resources?.cpus, 2);
    assert.equal(reg.resources?.mem, 1024);
    assert.deepEqual(reg.attributes, { rack: "r1", zone: "a" });
    assert.deepEqual(reg.roles, ["*"]);
    assert.deepEqual(reg.ports.map((p) => [p.begin, p.end]), [[31000, 32000]]);
    const cni = isRoot && probeMachine().cniPluginDirs.length > 0 ? ["network/cni"] : [];
    assert.deepEqual(reg.capabilities, [...(cgroups ? expectedCgroupCapabilities(cgroups) : ["process"]), ...cni]);
    await waitFor("two heartbeats", () => scheduler.heartbeats.filter(({ hb }) => hb.agentId === main.agentId).length >= 2, 5_000);
  });

  it("runs sleep 1000 in its cgroup, reports STAGING then RUNNING, and a kill ends it as KILLED with the process and cgroup gone", async () => {
    const taskId = newTaskId("sleep");
    send(main.agentId, launch(taskId, { cmd: "sleep 1000", cpus: 0.5, mem: 64 }));
    await waitForState(taskId, TaskState.RUNNING);
    assert.deepEqual(statesOf(taskId).slice(0, 2), [TaskState.STAGING, TaskState.RUNNING]);
    const cp = checkpointOf(mainOptions.workDir, taskId);
    assert.ok(alive(cp.pid), "task process runs");
    assert.ok(main.runningTaskIds().includes(taskId));
    await waitFor("heartbeat listing the task", () => scheduler.heartbeats.some(({ hb }) => hb.agentId === main.agentId && hb.runningTaskIds.includes(taskId)), 5_000);
    if (cgroups) {
      // v1: cpu.shares 512, cpu.cfs_quota_us 50000, memory.limit_in_bytes 64 MiB in two groups;
      // v2: cpu.weight 20, cpu.max "50000 100000", memory.max 64 MiB in one.
      assert.deepEqual([...cp.cgroupDirs].sort(), expectedTaskCgroupDirs(cgroups, main.agentId, taskId));
      for (const { file, value } of expectedLimitFiles(cgroups, main.agentId, taskId, 0.5, 64)) assert.equal(readFileSync(file, "utf8").trim(), value, file);
      const procs = readFileSync(taskMemoryProcsFile(cgroups, main.agentId, taskId), "utf8").split("\n");
      // cp.pid is the task's launcher (outside the task's groups, so that it survives a kill of them); its child is the task.
      assert.ok(procs.includes(taskOfLauncher(cp.pid)), "the task joined its memory cgroup");
      assert.ok(!procs.includes(String(cp.pid)), "its launcher did not");
    }
    send(main.agentId, kill(taskId));
    const killed = await waitForState(taskId, TaskState.KILLED);
    assert.ok(statesOf(taskId).includes(TaskState.KILLING));
    assert.equal(alive(cp.pid), false, "process gone after KILLED");
    assert.ok(!main.runningTaskIds().includes(taskId));
    for (const d of cp.cgroupDirs) assert.equal(existsSync(d), false, `${d} removed`);
    assert.equal(killed.agentId, main.agentId);
    assert.ok(killed.updateId);
  });

  it("reports exit 3 as FAILED with exit code 3", async () => {
    const taskId = newTaskId("exit3");
    send(main.agentId, launch(taskId, { cmd: "exit 3" }));
    const failed = await waitForState(taskId, TaskState.FAILED);
    assert.equal(failed.exitCode, 3);
    assert.match(failed.message, /code 3/);
  });

  it("reports true as FINISHED, with output captured and the task environment set", async () => {
    const taskId = newTaskId("true");
    send(main.agentId, launch(taskId, { cmd: 'echo "out $GANTRY_TASK_ID $MESOS_SANDBOX $MARATHON_APP_ID $HOST $PORT"; echo err >&2; true', env: { PORT0: "31005" } }));
    const finished = await waitForState(taskId, TaskState.FINISHED);
    assert.equal(finished.exitCode, 0);
    const sandbox = join(mainOptions.workDir, "sandboxes", taskId);
    assert.equal(readFileSync(join(sandbox, "stdout"), "utf8"), `out ${taskId} ${sandbox} /test/app ${mainOptions.hostname} 31005\n`);
    assert.equal(readFileSync(join(sandbox, "stderr"), "utf8"), "err\n");
  });

  it("runs args without a shell when there is no cmd", async () => {
    const taskId = newTaskId("args");
    send(main.agentId, launch(taskId, { args: ["/bin/echo", "a b", "$HOME"] }));
    await waitForState(taskId, TaskState.FINISHED);
    assert.equal(readFileSync(join(mainOptions.workDir, "sandboxes", taskId, "stdout"), "utf8"), "a b $HOME\n");
  });

  it("kills a task's children too (the whole process group)", async () => {
    const taskId = newTaskId("children");
    send(main.agentId, launch(taskId, { cmd: "sleep 1000 & echo $! > child.pid; wait" }));
    await waitForState(taskId, TaskState.RUNNING);
    const pidFile = join(mainOptions.workDir, "sandboxes", taskId, "child.pid");
    const child = await waitFor("child pid", () => (existsSync(pidFile) && Number(readFileSync(pidFile, "utf8"))) || undefined);
    assert.ok(alive(child));
    send(main.agentId, kill(taskId));
    await waitForState(taskId, TaskState.KILLED);
    assert.equal(alive(child), false, "background child killed with its task");
  });

  it("a kill in the launch's own batch (its launcher still being started) ends it KILLED, never RUNNING, nothing left", async () => {
    const taskId = newTaskId("launch-kill");
    send(main.agentId, launch(taskId, { cmd: "sleep 1000" }), kill(taskId));
    const killed = await waitForState(taskId, TaskState.KILLED);
    assert.equal(killed.message, "killed on request");
    assert.deepEqual(statesOf(taskId), [TaskState.STAGING, TaskState.KILLING, TaskState.KILLED]);
    const cp = checkpointOf(mainOptions.workDir, taskId);
    assert.ok(cp.pid > 0 && cp.killRequestedAt !== undefined, "its launcher ran and was killed");
    assert.equal(alive(cp.pid), false, "launcher gone");
    assert.deepEqual(await pidsOfTask(taskId), [], "nothing of the task runs");
  });

  it("ignores a second launch of a running task id", async () => {
    const taskId = newTaskId("dup");
    send(main.agentId, launch(taskId, { cmd: "sleep 1000" }), launch(taskId, { cmd: "sleep 1000" }));
    await waitForState(taskId, TaskState.RUNNING);
    // An agent handles its batches in order and reports each command's effects as it handles
    // it, so once a later batch's answer arrived, whatever the second launch did was reported.
    const marker = newTaskId("after-dup");
    send(main.agentId, kill(marker));
    await waitForState(marker, TaskState.KILLED);
    assert.equal(statesOf(taskId).filter((s) => s === TaskState.STAGING).length, 1, "one launch taken");
    assert.equal(statesOf(taskId).filter((s) => s === TaskState.RUNNING).length, 1);
    send(main.agentId, kill(taskId));
    await waitForState(taskId, TaskState.KILLED);
  });

  it("answers a kill of an unknown task with KILLED and refuses a late launch of it", async () => {
    const taskId = newTaskId("unknown");
    send(main.agentId, kill(taskId));
    const killed = await waitForState(taskId, TaskState.KILLED);
    assert.match(killed.message, /not running/);
    send(main.agentId, launch(taskId, { cmd: "sleep 1000" }));
    await waitFor("second KILLED", () => statesOf(taskId).filter((s) => s === TaskState.KILLED).length === 2);
    assert.ok(!statesOf(taskId).includes(TaskState.RUNNING));
    assert.equal(existsSync(join(mainOptions.workDir, "sandboxes", taskId)), false, "nothing started");
  });

  it("rejects a launch with neither cmd nor args as TASK_ERROR", async () => {
    const taskId = newTaskId("empty");
    send(main.agentId, launch(taskId, {}));
    const error = await waitForState(taskId, TaskState.ERROR);
    assert.match(error.message, /neither cmd nor args/);
  });

  it("reports an OOM kill by the memory cgroup as FAILED: Memory limit exceeded, and removes the cgroup", { skip: !cgroups && "needs root and cgroups" }, async () => {
    const taskId = newTaskId("oom");
    send(main.agentId, launch(taskId, { cmd: "head -c 200m /dev/zero | tail", mem: 32 }));
    const failed = await waitForState(taskId, TaskState.FAILED, 30_000);
    assert.equal(failed.message, "Memory limit exceeded");
    assert.equal(failed.reason, "REASON_CONTAINER_LIMITATION_MEMORY");
    assert.equal(failed.signal, "SIGKILL");
    for (const d of expectedTaskCgroupDirs(cgroups!, main.agentId, taskId)) assert.equal(existsSync(d), false, `${d} removed`);
  });

  it("a task that merely exits 137 is not reported as OOM", async () => {
    const taskId = newTaskId("exit137");
    send(main.agentId, launch(taskId, { cmd: "exit 137" }));
    const failed = await waitForState(taskId, TaskState.FAILED);
    assert.notEqual(failed.message, "Memory limit exceeded");
    assert.equal(failed.exitCode, 137);
  });

  describe("LaunchInstance", () => {
    it("runs an app with its two assigned host ports in Marathon's variables, and checkpoints the assignment", async () => {
      const instanceId = newTaskId("ports");
      const spec = runSpecOf({
        id: "/test/ports",
        labels: { team: "a" },
        containers: [{ name: "web", shell: 'echo "$PORT0 $PORT1 $HOST $PORT_HTTP $PORT $PORTS $MARATHON_APP_ID $MARATHON_APP_LABEL_TEAM $MESOS_TASK_ID" > out', endpoints: [{ name: "http", hostPort: 0 }, { hostPort: 0 }] }],
      });
      send(main.agentId, launchInstanceCommand(instanceId, spec, { ports: [{ endpointIndex: 0, hostPort: 31111 }, { endpointIndex: 1, hostPort: 31112 }], host: "node-x.test" }));
      const taskId = `${instanceId}.web`;
      const finished = await waitForState(taskId, TaskState.FINISHED);
      assert.equal(finished.exitCode, 0);
      assert.deepEqual(statesOf(taskId), [TaskState.STAGING, TaskState.RUNNING, TaskState.FINISHED]);
      const sandbox = join(mainOptions.workDir, "sandboxes", taskId);
      assert.equal(readFileSync(join(sandbox, "out"), "utf8"), `31111 31112 node-x.test 31111 31111 31111,31112 /test/ports a ${taskId}\n`);
      const cp = checkpointOf(mainOptions.workDir, taskId);
      assert.equal(cp.instanceId, instanceId);
      assert.deepEqual(cp.assignedPorts, [
        { container: "web", endpoint: "http", endpointIndex: 0, hostPort: 31111, containerPort: 0 },
        { container: "web", endpoint: "", endpointIndex: 1, hostPort: 31112, containerPort: 0 },
      ]);
    });

    it("runs an app like a launch (its cgroup, argv without a shell); a repeat starts nothing; a kill by task id ends it KILLED, process and cgroups gone", async () => {
      const instanceId = newTaskId("app");
      const command = launchInstanceCommand(instanceId, runSpecOf({ containers: [{ name: "sleeper", argv: ["/bin/sleep", "1000"], cpus: 0.5, mem: 64 }] }));
      const taskId = `${instanceId}.sleeper`;
      send(main.agentId, command, command);
      await waitForState(taskId, TaskState.RUNNING);
      await barrier(main.agentId);
      assert.deepEqual(statesOf(taskId), [TaskState.STAGING, TaskState.RUNNING], "one start for two launches");
      const cp = checkpointOf(mainOptions.workDir, taskId);
      assert.ok(alive(cp.pid));
      assert.ok(main.runningTaskIds().includes(taskId));
      if (cgroups) {
        assert.deepEqual([...cp.cgroupDirs].sort(), expectedTaskCgroupDirs(cgroups, main.agentId, taskId));
        for (const { file, value } of expectedLimitFiles(cgroups, main.agentId, taskId, 0.5, 64)) assert.equal(readFileSync(file, "utf8").trim(), value, file);
      }
      send(main.agentId, kill(taskId));
      await waitForState(taskId, TaskState.KILLED);
      assert.equal(alive(cp.pid), false);
      for (const d of cp.cgroupDirs) assert.equal(existsSync(d), false, `${d} removed`);
      send(main.agentId, command);
      await waitFor("KILLED again for the repeated launch", () => statesOf(taskId).filter((s) => s === TaskState.KILLED).length === 2);
      assert.equal(statesOf(taskId).filter((s) => s === TaskState.RUNNING).length, 1, "an ended instance is not started again");
    });

    it("runs a pod on the agent's network: a task per container, sharing an ephemeral volume, with the pod's endpoint variables", async () => {
      const instanceId = newTaskId("pod");
      const port = 31000 + Math.floor(Math.random() * 900);
      const spec = runSpecOf({
        id: "/test/pod",
        containers: [
          // The writer leaves its endpoint variables in the shared volume; the reader waits for them and copies them out.
          { name: "writer", shell: 'echo "$ENDPOINT_WEB $EP_HOST_WEB $MARATHON_CONTAINER_ID" > out/seen; sleep 1000', endpoints: [{ name: "web", hostPort: 0 }], volumeMounts: [{ name: "shared", mountPath: "out" }] },
          { name: "reader", shell: "while [ ! -s in/data/seen ]; do sleep 0.1; done; cp in/data/seen copied; sleep 1000", volumeMounts: [{ name: "shared", mountPath: "in/data" }] },
        ],
        volumes: [{ name: "shared", kind: registryV1RunSpec.VolumeKind.EPHEMERAL }],
      });
      send(main.agentId, launchInstanceCommand(instanceId, spec, { ports: [{ endpointIndex: 0, hostPort: port, container: "writer" }] }));
      const [writer, reader] = [`${instanceId}.writer`, `${instanceId}.reader`];
      for (const taskId of [writer, reader]) await waitForState(taskId, TaskState.RUNNING);
      const copied = join(mainOptions.workDir, "sandboxes", reader, "copied");
      const seen = await waitFor("the reader to copy what the writer wrote", () => writtenText(copied));
      assert.equal(seen, `${port} ${port} writer\n`, "ENDPOINT_WEB (the host port on the host network), EP_HOST_WEB, MARATHON_CONTAINER_ID");
      assert.equal(readFileSync(join(mainOptions.workDir, "instances", instanceId, "volumes", "shared", "seen"), "utf8"), seen, "the volume lives in the instance's directory");
      send(main.agentId, kill(writer), kill(reader));
      for (const taskId of [writer, reader]) await waitForState(taskId, TaskState.KILLED);
    });

    it("runs a task as its user (the container's, else the run spec's), owning its sandbox; a user the machine does not have fails it", { skip: !isRoot && "needs root" }, async () => {
      const instanceId = newTaskId("user");
      send(main.agentId, launchInstanceCommand(instanceId, { ...runSpecOf({ containers: [{ name: "web", shell: 'echo "$(id -un) $USER $HOME" > whoami; sleep 1000' }] }), user: "nobody" }));
      const taskId = `${instanceId}.web`;
      await waitForState(taskId, TaskState.RUNNING);
      const file = join(mainOptions.workDir, "sandboxes", taskId, "whoami");
      const nobodyHome = execFileSync("getent", ["passwd", "nobody"], { encoding: "utf8" }).trim().split(":")[5];
      assert.equal(await waitFor("the task to write whoami", () => writtenText(file)), `nobody nobody ${nobodyHome}\n`);
      send(main.agentId, kill(taskId));
      await waitForState(taskId, TaskState.KILLED);

      const missing = newTaskId("nouser");
      send(main.agentId, launchInstanceCommand(missing, { ...runSpecOf({ containers: [{ name: "web", shell: "true" }] }), user: "no-such-user-here" }));
      assert.equal((await waitForState(`${missing}.web`, TaskState.FAILED)).message, 'could not start: user "no-such-user-here" does not exist on this agent');
    });

    it("fetches artifacts before the task starts; a failed fetch fails it; a kill during the fetch ends it KILLED, nothing started", async () => {
      const hanging: import("node:http").ServerResponse[] = [];
      const server = createServer((req, res) => {
        if (req.url === "/hello.sh") res.end("#!/bin/sh\necho fetched and run\n");
        else if (req.url === "/slow") hanging.push(res);
        else res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const ran = newTaskId("fetch");
        send(main.agentId, launchInstanceCommand(ran, runSpecOf({ containers: [{ name: "web", shell: "./hello.sh", artifacts: [{ uri: `${base}/hello.sh`, executable: true }] }] })));
        await waitForState(`${ran}.web`, TaskState.FINISHED);
        assert.equal(readFileSync(join(mainOptions.workDir, "sandboxes", `${ran}.web`, "stdout"), "utf8"), "fetched and run\n");

        const missing = newTaskId("fetch404");
        send(main.agentId, launchInstanceCommand(missing, runSpecOf({ containers: [{ name: "web", shell: "true", artifacts: [{ uri: `${base}/nope.tgz` }] }] })));
        assert.equal((await waitForState(`${missing}.web`, TaskState.FAILED)).message, `could not start: fetching ${base}/nope.tgz failed: HTTP 404 Not Found`);

        const slow = newTaskId("fetchkill");
        send(main.agentId, launchInstanceCommand(slow, runSpecOf({ containers: [{ name: "web", shell: "touch started; sleep 1000", artifacts: [{ uri: `${base}/slow` }] }] })));
        await waitFor("the fetch to be in progress", () => hanging.length > 0);
        send(main.agentId, kill(`${slow}.web`));
        const killedEarly = await waitForState(`${slow}.web`, TaskState.KILLED);
        assert.deepEqual([killedEarly.message, killedEarly.reason], ["killed on request", "REASON_TASK_KILLED_DURING_LAUNCH"]);
        assert.ok(!statesOf(`${slow}.web`).includes(TaskState.RUNNING), "never ran");
        assert.equal(existsSync(join(mainOptions.workDir, "sandboxes", `${slow}.web`, "started")), false);
      } finally {
        for (const res of hanging) res.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it("refuses an app whose env refers to a secret it cannot open, naming it", async () => {
      const instanceId = newTaskId("secret");
      const spec = runSpecOf({ containers: [{ name: "web", shell: "true", env: { DB_PASSWORD: { secret: "db" } } }], secrets: { db: "/prod/db" } });
      send(main.agentId, launchInstanceCommand(instanceId, spec));
      const error = await waitForState(`${instanceId}.web`, TaskState.ERROR);
      assert.equal(error.message, 'env DB_PASSWORD: secret "db" (/prod/db) was not sealed into the run spec');
      assert.equal(existsSync(join(mainOptions.workDir, "sandboxes", `${instanceId}.web`)), false);
    });

    it("gives an app exactly its assigned GPUs: by index in CUDA_/NVIDIA_VISIBLE_DEVICES and, with the v1 devices cgroup, no access to the others", async () => {
      const opts = options(`t-gpu-${randomBytes(3).toString("hex")}`, undefined, "0:GPU-t0:Test GPU,1:GPU-t1:Test GPU");
      const agent = await start(opts);
      const devicesRoot = cgroups?.version === 1 ? cgroups.devicesRoot : undefined;
      const reg = scheduler.registrations.find((r) => r.agentId === opts.agentId)!;
      assert.equal(reg.capabilities.includes("cgroups/v1:devices"), devicesRoot !== undefined);
      // Device files of the two "GPUs": opening one without a driver says ENXIO, unless the devices cgroup forbids it (EPERM).
      const devDir = mkdtempSync(join(tmpdir(), "gantry-gpu-dev-"));
      workDirs.push(devDir);
      if (devicesRoot) for (const n of [0, 1]) execFileSync("mknod", [join(devDir, `nvidia${n}`), "c", "195", String(n)]);

      const instanceId = newTaskId("gpu");
      const spec = runSpecOf({
        containers: [{ name: "train", gpus: 1, env: { DEV: devDir }, shell: 'for n in 0 1; do cat "$DEV/nvidia$n" 2> "err$n"; done; echo "$CUDA_VISIBLE_DEVICES $NVIDIA_VISIBLE_DEVICES" > out; sleep 1000' }],
      });
      send(agent.agentId, launchInstanceCommand(instanceId, spec, { gpus: [1] }));
      const taskId = `${instanceId}.train`;
      await waitForState(taskId, TaskState.RUNNING);
      const sandbox = join(opts.workDir, "sandboxes", taskId);
      assert.equal(await waitFor("the task's out file", () => writtenText(join(sandbox, "out"))), "1 1\n");
      const cp = checkpointOf(opts.workDir, taskId);
      assert.deepEqual(cp.gpuIndices, [1]);
      if (devicesRoot) {
        assert.match(readFileSync(join(sandbox, "err0"), "utf8"), /Operation not permitted/, "GPU 0 is withheld");
        assert.doesNotMatch(readFileSync(join(sandbox, "err1"), "utf8"), /Operation not permitted/, "GPU 1 is the task's");
        assert.ok(cp.cgroupDirs.includes(`${devicesRoot}/gantry/${agent.agentId}/${taskId}`));
      }

      // The same GPU assigned again while the task holds it: refused rather than shared.
      const second = newTaskId("gpu2");
      send(agent.agentId, launchInstanceCommand(second, spec, { gpus: [1] }));
      assert.equal((await waitForState(`${second}.train`, TaskState.ERROR)).message, `GPU 1 is in use by task ${taskId}`);

      send(agent.agentId, kill(taskId));
      await waitForState(taskId, TaskState.KILLED);
      for (const d of cp.cgroupDirs) assert.equal(existsSync(d), false, `${d} removed`);
      await agent.stop({ killTasks: true });
      if (devicesRoot) assert.equal(existsSync(`${devicesRoot}/gantry/${agent.agentId}`), false, "the agent's devices group removed");
    });
  });
});

describe("agent restart", () => {
  it("re-attaches: a new agent on the same work dir registers the running task, and a later kill works", async () => {
    const opts = options(`t-restart-${randomBytes(3).toString("hex")}`);
    const first = await start(opts);
    const taskId = newTaskId("survivor");
    send(first.agentId, launch(taskId, { cmd: "sleep 1000" }));
    await waitForState(taskId, TaskState.RUNNING);
    const { pid, cgroupDirs } = checkpointOf(opts.workDir, taskId);
    await first.stop({ killTasks: false });
    assert.ok(alive(pid), "the task outlives the agent");

    const before = scheduler.registrations.length;
    const second = await start(opts);
    const reg = scheduler.registrations.slice(before).find((r) => r.agentId === opts.agentId);
    assert.deepEqual(reg?.runningTaskIds, [taskId]);
    assert.ok(second.runningTaskIds().includes(taskId));
    await waitFor("RUNNING again after re-attach", () => statesOf(taskId).filter((s) => s === TaskState.RUNNING).length === 2);

    send(second.agentId, kill(taskId));
    await waitForState(taskId, TaskState.KILLED);
    assert.equal(alive(pid), false);
    for (const d of cgroupDirs) assert.equal(existsSync(d), false, `${d} removed`);
  });

  it("reports a task that ended while the agent was down: its exit status when it wrote one, else FAILED: process gone", async () => {
    const opts = options(`t-down-${randomBytes(3).toString("hex")}`);
    const first = await start(opts);
    const exits = newTaskId("exits");
    const vanishes = newTaskId("vanishes");
    send(first.agentId, launch(exits, { cmd: "sleep 0.5; exit 4" }), launch(vanishes, { cmd: "sleep 1000" }));
    await waitForState(exits, TaskState.RUNNING);
    await waitForState(vanishes, TaskState.RUNNING);
    await first.stop({ killTasks: false });
    const { pid } = checkpointOf(opts.workDir, vanishes);
    // Everything of the task vanishes, its launcher first (so that no exit status is written).
    const task = taskOfLauncher(pid);
    process.kill(-pid, "SIGKILL");
    process.kill(-Number(task), "SIGKILL");
    await waitFor("both processes gone", () => !alive(pid) && !alive(checkpointOf(opts.workDir, exits).pid));

    const before = scheduler.registrations.length;
    await start(opts);
    assert.deepEqual(scheduler.registrations.slice(before).find((r) => r.agentId === opts.agentId)?.runningTaskIds, []);
    const exited = await waitForState(exits, TaskState.FAILED);
    assert.equal(exited.exitCode, 4);
    const gone = await waitForState(vanishes, TaskState.FAILED);
    assert.equal(gone.message, "process gone while agent was down");
  });
});

describe("scheduler epochs", () => {
  it("refuses a batch older than the registration's epoch, runs one of that epoch, and still refuses it after a restart", async () => {
    const opts = options(`t-epoch-${randomBytes(3).toString("hex")}`);
    answerEpoch.set(opts.agentId, 5n);
    const first = await start(opts);
    assert.equal(first.schedulerEpoch(), 5n);
    assert.equal(readFileSync(join(opts.workDir, "scheduler-epoch"), "utf8"), "5\n");

    // Batches of one agent are handled in order, so once the epoch-5 task reports, the epoch-4 batch was judged.
    const stale = newTaskId("stale");
    const current = newTaskId("current");
    scheduler.send(first.agentId, 4n, launch(stale, { cmd: "sleep 1000" }));
    scheduler.send(first.agentId, 5n, launch(current, { cmd: "sleep 1000" }));
    await waitForState(current, TaskState.RUNNING);
    assert.deepEqual(statesOf(stale), [], "no status for the refused launch");
    assert.equal(existsSync(join(opts.workDir, "sandboxes", stale)), false, "no sandbox, no process");
    assert.deepEqual(first.runningTaskIds(), [current]);
    scheduler.send(first.agentId, 5n, kill(current));
    await waitForState(current, TaskState.KILLED);
    await first.stop({ killTasks: false });

    // The answer no longer carries the epoch: only the work directory can have kept it.
    answerEpoch.set(opts.agentId, 0n);
    const second = await start(opts);
    assert.equal(second.schedulerEpoch(), 5n);
    const staleAfterRestart = newTaskId("stale-after-restart");
    const marker = newTaskId("marker");
    scheduler.send(second.agentId, 4n, launch(staleAfterRestart, { cmd: "sleep 1000" }));
    scheduler.send(second.agentId, 5n, kill(marker));
    await waitForState(marker, TaskState.KILLED);
    assert.deepEqual(statesOf(staleAfterRestart), []);
    assert.equal(existsSync(join(opts.workDir, "sandboxes", staleAfterRestart)), false);
    assert.deepEqual(second.runningTaskIds(), []);
  });

  it("an answer from another event log (the cluster's database was replaced) starts the epochs afresh; the old log's leader is refused", async () => {
    const opts = options(`t-epoch-log-${randomBytes(3).toString("hex")}`);
    answerLog.set(opts.agentId, "11111111-1111-4111-8111-111111111111");
    answerEpoch.set(opts.agentId, 7n);
    const first = await start(opts);
    assert.equal(readFileSync(join(opts.workDir, "scheduler-epoch"), "utf8"), "11111111-1111-4111-8111-111111111111 7\n");
    await first.stop({ killTasks: false });

    answerLog.set(opts.agentId, "22222222-2222-4222-8222-222222222222");
    answerEpoch.set(opts.agentId, 1n);
    const second = await start(opts);
    assert.equal(second.schedulerEpoch(), 1n);
    assert.equal(readFileSync(join(opts.workDir, "scheduler-epoch"), "utf8"), "22222222-2222-4222-8222-222222222222 1\n");
    const fresh = newTaskId("new-log");
    const old = newTaskId("old-log");
    scheduler.sendFromLog(second.agentId, "11111111-1111-4111-8111-111111111111", 9n, kill(old));
    scheduler.sendFromLog(second.agentId, "22222222-2222-4222-8222-222222222222", 1n, kill(fresh));
    await waitForState(fresh, TaskState.KILLED);
    assert.deepEqual(statesOf(old), [], "the old log's leader is refused, whatever its epoch");
  });

  it("a batch of a newer epoch runs and raises the epoch, on disk too", async () => {
    const opts = options(`t-epoch-up-${randomBytes(3).toString("hex")}`);
    answerEpoch.set(opts.agentId, 2n);
    const agent = await start(opts);
    const marker = newTaskId("newer");
    scheduler.send(agent.agentId, 3n, kill(marker));
    await waitForState(marker, TaskState.KILLED);
    assert.equal(agent.schedulerEpoch(), 3n);
    assert.equal(readFileSync(join(opts.workDir, "scheduler-epoch"), "utf8"), "3\n");
    const old = newTaskId("old-leader");
    const marker2 = newTaskId("newer2");
    scheduler.send(agent.agentId, 2n, kill(old));
    scheduler.send(agent.agentId, 3n, kill(marker2));
    await waitForState(marker2, TaskState.KILLED);
    assert.deepEqual(statesOf(old), [], "the deposed epoch-2 leader is refused");
  });
});
