import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildTaskEnvironment, type TaskEnvContext, type TaskEnvSpec, type TaskPort } from "./task-env.ts";
import { launchProblem, pickGpus, taskArgv, killGraceMs, taskLaunchFromLaunchTask } from "./launch-spec.ts";
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
const ctx: TaskEnvContext = { hostname: "node-1", sandbox: "/w/sandboxes/shop_web.1", agentId: "a1", inherited: { PATH: "/bin", SECRET: "x" }, gpuIndices: undefined };
/** An app's task as a LaunchInstance gives it: no ports, no labels unless a row says. */
const spec: TaskEnvSpec = {
  taskId: "shop_web.i1.web",
  instanceId: "shop_web.i1",
  appId: "/shop/web",
  appVersion: "2026-01-02T03:04:05.000Z",
  env: {},
  resources: { cpus: 1.5, mem: 256, disk: 10, gpus: 0 },
  labels: {},
  ports: [],
  image: "",
  host: "",
};
/** The variables of `env` whose names match `pattern`. */
const pick = (env: Record<string, string>, pattern: RegExp) => Object.fromEntries(Object.entries(env).filter(([k]) => pattern.test(k)));
const port = (name: string, requested: number, hostPort: number | undefined): TaskPort => ({ name, requested, hostPort });

describe("task environment: Marathon's port variables", () => {
  const rows: { name: string; ports: TaskPort[] | undefined; env?: Record<string, string>; expect: Record<string, string> }[] = [
    {
      name: "dynamic host ports are keyed by index and by the requested (service) port",
      ports: [port("", 10000, 31001), port("", 10001, 31002)],
      expect: { PORT0: "31001", PORT1: "31002", PORT: "31001", PORTS: "31001,31002", PORT_10000: "31001", PORT_10001: "31002" },
    },
    {
      name: "named endpoints add PORT_<NAME>; a requested 0 is keyed by the host port itself",
      ports: [port("http", 0, 31005), port("admin-api", 0, 31006)],
      expect: { PORT0: "31005", PORT1: "31006", PORT: "31005", PORTS: "31005,31006", PORT_31005: "31005", PORT_31006: "31006", PORT_HTTP: "31005", "PORT_ADMIN-API": "31006" },
    },
    {
      name: "requirePorts: the fixed host port is both the requested and the assigned one",
      ports: [port("", 8080, 8080), port("metrics", 9090, 9090)],
      expect: { PORT0: "8080", PORT1: "9090", PORT: "8080", PORTS: "8080,9090", PORT_8080: "8080", PORT_9090: "9090", PORT_METRICS: "9090" },
    },
    {
      name: "an endpoint without a host port gives its requested port, and is not in PORT/PORTS",
      ports: [port("db", 5432, undefined), port("", 0, 31007)],
      expect: { PORT0: "5432", PORT1: "31007", PORT: "31007", PORTS: "31007", PORT_5432: "5432", PORT_DB: "5432", PORT_31007: "31007" },
    },
    { name: "no ports: no port variables at all", ports: [], expect: {} },
    {
      name: "a LaunchTask's PORT0…n come in its env: PORT and PORTS are derived from them",
      ports: undefined,
      env: { PORT1: "31002", PORT0: "31001" },
      expect: { PORT0: "31001", PORT1: "31002", PORT: "31001", PORTS: "31001,31002" },
    },
    {
      name: "the app's env overrides Marathon's port variables, as in Marathon",
      ports: [port("", 0, 31001)],
      env: { PORT0: "80" },
      expect: { PORT0: "80", PORT: "31001", PORTS: "31001", PORT_31001: "31001" },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const env = buildTaskEnvironment({ ...spec, ports: row.ports, env: row.env ?? {} }, ctx);
      assert.deepEqual(pick(env, /^PORT/), row.expect);
    });
  }
});

describe("task environment: a pod's container", () => {
  it("ENDPOINT_/EP_HOST_/EP_CONTAINER_ for every endpoint of the pod, MARATHON_CONTAINER_ID and its resources", () => {
    const env = buildTaskEnvironment(
      {
        ...spec,
        container: "nginx",
        podEndpoints: [
          { name: "web", hostPort: 31010, containerPort: 8080 },
          { name: "cache-port", hostPort: undefined, containerPort: 11211 },
          { name: "admin", hostPort: 31011, containerPort: 0 },
        ],
      },
      ctx,
    );
    assert.deepEqual(pick(env, /^(ENDPOINT_|EP_|MARATHON_CONTAINER_)/), {
      ENDPOINT_WEB: "8080",
      EP_HOST_WEB: "31010",
      EP_CONTAINER_WEB: "8080",
      ENDPOINT_CACHE_PORT: "11211",
      EP_CONTAINER_CACHE_PORT: "11211",
      ENDPOINT_ADMIN: "31011",
      EP_HOST_ADMIN: "31011",
      MARATHON_CONTAINER_ID: "nginx",
      MARATHON_CONTAINER_RESOURCE_CPUS: "1.5",
      MARATHON_CONTAINER_RESOURCE_MEM: "256",
      MARATHON_CONTAINER_RESOURCE_DISK: "10",
      MARATHON_CONTAINER_RESOURCE_GPUS: "0",
    });
    assert.deepEqual(pick(buildTaskEnvironment(spec, ctx), /^(ENDPOINT_|EP_|MARATHON_CONTAINER_)/), {}, "an app's task has none");
  });
});

describe("task environment: labels", () => {
  const rows: { name: string; labels: Record<string, string>; expect: Record<string, string> }[] = [
    { name: "none: MARATHON_APP_LABELS is empty", labels: {}, expect: { MARATHON_APP_LABELS: "" } },
    {
      name: "names are upper-cased with every other character run turned into _",
      labels: { owner: "team-a", "com.example/tier": "web" },
      expect: { MARATHON_APP_LABELS: "OWNER COM_EXAMPLE_TIER", MARATHON_APP_LABEL_OWNER: "team-a", MARATHON_APP_LABEL_COM_EXAMPLE_TIER: "web" },
    },
    {
      name: "a label too long for a variable is left out",
      labels: { ok: "1", big: "x".repeat(512), ["k".repeat(493)]: "v" },
      expect: { MARATHON_APP_LABELS: "OK", MARATHON_APP_LABEL_OK: "1" },
    },
  ];
  for (const row of rows) {
    it(row.name, () => assert.deepEqual(pick(buildTaskEnvironment({ ...spec, labels: row.labels }, ctx), /^MARATHON_APP_LABEL/), row.expect));
  }
});

describe("task environment: GPUs", () => {
  const rows: { name: string; gpuIndices: number[] | undefined; expect: Record<string, string> }[] = [
    { name: "a GPU agent shows a task exactly its GPUs, by index", gpuIndices: [1, 3], expect: { CUDA_VISIBLE_DEVICES: "1,3", NVIDIA_VISIBLE_DEVICES: "1,3" } },
    { name: "a task without GPUs on a GPU agent sees none", gpuIndices: [], expect: { CUDA_VISIBLE_DEVICES: "", NVIDIA_VISIBLE_DEVICES: "void" } },
    { name: "an agent without GPUs sets nothing (the app's own value stays)", gpuIndices: undefined, expect: { CUDA_VISIBLE_DEVICES: "0,1,2,3" } },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const env = buildTaskEnvironment({ ...spec, env: { CUDA_VISIBLE_DEVICES: "0,1,2,3" }, resources: { ...spec.resources, gpus: row.gpuIndices?.length ?? 0 } }, { ...ctx, gpuIndices: row.gpuIndices });
      assert.deepEqual(pick(env, /VISIBLE_DEVICES$/), row.expect, "on a GPU agent the app cannot widen its GPUs");
      assert.equal(env.MARATHON_APP_RESOURCE_GPUS, String(row.gpuIndices?.length ?? 0));
    });
  }
});

describe("task environment: layers", () => {
  it("agent basics, Marathon's variables, the app's env, then what the platform guarantees", () => {
    const env = buildTaskEnvironment({ ...spec, env: { FOO: "bar", HOST: "mine", GANTRY_TASK_ID: "spoofed", MESOS_TASK_ID: "spoofed", MESOS_SANDBOX: "/tmp" }, image: "nginx:1.25" }, ctx);
    assert.equal(env.PATH, "/bin");
    assert.equal(env.SECRET, undefined, "the agent's environment does not leak");
    assert.equal(env.FOO, "bar");
    assert.equal(env.HOST, "mine", "the app's env overrides Marathon's variables");
    assert.equal(env.GANTRY_TASK_ID, spec.taskId, "platform ids cannot be overridden");
    assert.equal(env.MESOS_TASK_ID, spec.taskId);
    assert.equal(env.MESOS_SANDBOX, ctx.sandbox);
    assert.equal(env.GANTRY_INSTANCE_ID, spec.instanceId);
    assert.equal(env.GANTRY_AGENT_ID, "a1");
    assert.equal(env.MARATHON_APP_ID, "/shop/web");
    assert.equal(env.MARATHON_APP_VERSION, "2026-01-02T03:04:05.000Z");
    assert.equal(env.MARATHON_APP_DOCKER_IMAGE, "nginx:1.25");
    assert.deepEqual(pick(env, /^MARATHON_APP_RESOURCE_/), { MARATHON_APP_RESOURCE_CPUS: "1.5", MARATHON_APP_RESOURCE_MEM: "256", MARATHON_APP_RESOURCE_DISK: "10", MARATHON_APP_RESOURCE_GPUS: "0" });
  });

  it("HOST is the scheduler's name for the agent when the launch gives one, else the agent's hostname", () => {
    assert.equal(buildTaskEnvironment({ ...spec, host: "node-1.dc1" }, ctx).HOST, "node-1.dc1");
    assert.equal(buildTaskEnvironment(spec, ctx).HOST, "node-1");
    assert.equal(buildTaskEnvironment(spec, ctx).MARATHON_APP_DOCKER_IMAGE, undefined);
  });

  it("a LaunchTask keeps its variables: ids, resources, PORT/PORTS from its PORTn", () => {
    const env = buildTaskEnvironment(taskLaunchFromLaunchTask(launch), ctx);
    assert.equal(env.GANTRY_TASK_ID, "shop_web.1");
    assert.equal(env.MARATHON_APP_VERSION, "v1");
    assert.equal(env.MARATHON_APP_RESOURCE_MEM, "64");
    assert.equal(env.PORTS, "31001,31002");
    assert.equal(env.FOO, "bar");
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

  it("a LaunchTask becomes a task to start: its argv, grace and resources, no assignment", () => {
    const task = taskLaunchFromLaunchTask({ ...launch, killGracePeriodSeconds: 7, resources: undefined });
    assert.deepEqual(task.argv, ["/bin/sh", "-c", "run"]);
    assert.equal(task.killGraceMs, 7000);
    assert.deepEqual(task.resources, { cpus: 0, mem: 0, disk: 0, gpus: 0 });
    assert.equal(task.assignedGpus, undefined, "the agent picks GPUs for a LaunchTask");
    assert.equal(task.ports, undefined);
    assert.deepEqual(task.assignedPorts, []);
  });

  it("kill grace: first positive value, else 3 s", () => {
    assert.equal(killGraceMs(0, 5), 5000);
    assert.equal(killGraceMs(0, 0), 3000);
  });
});

describe("checkpoints and /proc", () => {
  it("parses /proc/<pid>/stat with spaces and parentheses in the command name", () => {
    const stat = "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10 18446744073709551615";
    assert.deepEqual(parseProcStat(stat), { state: "S", ppid: 1, pgrp: 1234, startTicks: 987654 });
  });

  it("reads only checkpoints it wrote", () => {
    const assignedPorts = [{ container: "web", endpoint: "http", endpointIndex: 0, hostPort: 31001, containerPort: 0 }];
    const good = { version: 1, taskId: "t.1", agentId: "a", pid: 10, pgid: 10, startTicks: 5, startedAt: "x", cgroupDirs: [], gpuIndices: [1], assignedPorts, killGraceMs: 1000, instanceId: "i", appId: "/a", appVersion: "v", healthChecks: [] };
    assert.deepEqual(parseCheckpoint(JSON.stringify(good)), good);
    const { assignedPorts: _, healthChecks: __, ...beforeLaunchInstance } = good;
    assert.deepEqual(parseCheckpoint(JSON.stringify(beforeLaunchInstance))?.assignedPorts, [], "older checkpoints read as assigned nothing");
    assert.deepEqual(parseCheckpoint(JSON.stringify(beforeLaunchInstance))?.healthChecks, [], "and as checking nothing");
    assert.equal(parseCheckpoint(JSON.stringify({ ...good, pid: 0 })), undefined, "pid 0 only while starting");
    assert.equal(parseCheckpoint(JSON.stringify({ ...good, pid: 0, pgid: 0, startTicks: 0, starting: true }))?.starting, true, "a write-ahead checkpoint");
    assert.equal(parseCheckpoint("{"), undefined);
    assert.equal(parseCheckpoint(JSON.stringify({ ...good, pid: 1 })), undefined);
    assert.equal(parseCheckpoint(JSON.stringify({ ...good, taskId: "../x" })), undefined);
  });
});
