import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildTaskEnvironment } from "./task-env.ts";
import { launchProblem, pickGpus, taskArgv, killGraceMs } from "./launch-spec.ts";
import { parseCheckpoint, parseProcStat } from "./task-checkpoint.ts";

const launch = {
  taskId: "shop_web.1",
  instanceId: "shop_web.instance-1",
  appId: "/shop/web",
  appVersion: "v1",
  cmd: "run",
  args: [],
  env: { FOO: "bar", PORT1: "31002", PORT0: "31001", GANTRY_TASK_ID: "spoofed" },
  resources: { cpus: 0.5, mem: 64, disk: 0, gpus: 0 },
  killGracePeriodSeconds: 0,
};
const ctx = { hostname: "node-1", sandbox: "/w/sandboxes/shop_web.1", agentId: "a1", inherited: { PATH: "/bin", SECRET: "x" }, gpuIndices: undefined };

describe("task environment", () => {
  it("layers agent basics, the app's env, then the platform's variables", () => {
    const env = buildTaskEnvironment(launch, ctx);
    assert.equal(env.PATH, "/bin");
    assert.equal(env.SECRET, undefined, "the agent's environment does not leak");
    assert.equal(env.FOO, "bar");
    assert.equal(env.GANTRY_TASK_ID, "shop_web.1", "platform ids cannot be overridden");
    assert.equal(env.MESOS_SANDBOX, ctx.sandbox);
    assert.equal(env.MARATHON_APP_ID, "/shop/web");
    assert.equal(env.MARATHON_APP_VERSION, "v1");
    assert.equal(env.HOST, "node-1");
    assert.equal(env.PORT, "31001");
    assert.equal(env.PORTS, "31001,31002");
    assert.equal(env.CUDA_VISIBLE_DEVICES, undefined);
  });

  it("shows a task only its GPUs on a GPU agent", () => {
    assert.equal(buildTaskEnvironment(launch, { ...ctx, gpuIndices: [1, 3] }).CUDA_VISIBLE_DEVICES, "1,3");
    assert.equal(buildTaskEnvironment(launch, { ...ctx, gpuIndices: [1, 3] }).NVIDIA_VISIBLE_DEVICES, "1,3");
    const none = buildTaskEnvironment(launch, { ...ctx, gpuIndices: [] });
    assert.equal(none.CUDA_VISIBLE_DEVICES, "");
    assert.equal(none.NVIDIA_VISIBLE_DEVICES, "void");
  });
});

describe("launch rules", () => {
  it("argv: cmd through sh -c, else args", () => {
    assert.deepEqual(taskArgv({ cmd: "echo hi", args: ["x"] }), ["/bin/sh", "-c", "echo hi"]);
    assert.deepEqual(taskArgv({ cmd: "", args: ["/bin/echo", "a b"] }), ["/bin/echo", "a b"]);
  });

  it("rejects unusable task ids and empty commands", () => {
    assert.equal(launchProblem(launch), undefined);
    assert.match(launchProblem({ ...launch, taskId: "../etc" })!, /not usable/);
    assert.match(launchProblem({ ...launch, taskId: "a/b" })!, /not usable/);
    assert.match(launchProblem({ ...launch, cmd: " ", args: [] })!, /neither/);
  });

  it("picks free GPUs lowest first, or none when too few", () => {
    const inv = [{ index: 0 }, { index: 1 }, { index: 2 }];
    assert.deepEqual(pickGpus(inv, new Set([0]), 2), [1, 2]);
    assert.equal(pickGpus(inv, new Set([0, 1]), 2), undefined);
    assert.deepEqual(pickGpus(inv, new Set(), 0), []);
  });

  it("kill grace: first positive value, else 3 s", () => {
    assert.equal(killGraceMs(0, 5), 5000);
    assert.equal(killGraceMs(0, 0), 3000);
  });
});

describe("checkpoints and /proc", () => {
  it("parses /proc/<pid>/stat with spaces and parentheses in the command name", () => {
    const stat = "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10 18446744073709551615";
    assert.deepEqual(parseProcStat(stat), { state: "S", pgrp: 1234, startTicks: 987654 });
  });

  it("reads only checkpoints it wrote", () => {
    const good = { version: 1, taskId: "t.1", agentId: "a", pid: 10, pgid: 10, startTicks: 5, startedAt: "x", cgroupDirs: [], gpuIndices: [], killGraceMs: 1000, instanceId: "i", appId: "/a", appVersion: "v" };
    assert.deepEqual(parseCheckpoint(JSON.stringify(good)), good);
    assert.equal(parseCheckpoint("{"), undefined);
    assert.equal(parseCheckpoint(JSON.stringify({ ...good, pid: 1 })), undefined);
    assert.equal(parseCheckpoint(JSON.stringify({ ...good, taskId: "../x" })), undefined);
  });
});
