import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { create, toJson } from "@bufbuild/protobuf";
import { registryV1, registryV1App, schedulerV1, schedulerV1Model } from "@gantry/proto";
import { bindService, createAuthenticator, createGrpcServer, createLogger, createTokenSigner, GantryError, generateSigningKey, type GrpcServer } from "@gantry/platform";
import { openToAuthenticated } from "@gantry/platform/testing";
import { runGantry, type CliResult } from "@gantry/test/support";

// The real `gantry` process against a fake SchedulerService and RegistryService bound on a
// loopback port (what the gateway's gRPC pass-through forwards to): `app|pod debug`,
// `node drain|undrain|list`, `task list`, `app show` and `deployment list` with why instances
// wait, empty lists, choosing among local clusters; their text, --json and exit codes, and the
// requests that reach the scheduler.

const { PlacementDimension: D } = schedulerV1;

const EXPLANATION = create(schedulerV1.PlacementExplanationSchema, {
  runSpecId: "/shop/web",
  waiting: 2,
  since: "2024-05-01T09:00:00.000Z",
  processedOffers: 4n,
  unusedOffers: 4n,
  agents: [
    {
      agentId: "a1",
      hostname: "h1",
      checkedAt: "2024-05-01T10:00:00.000Z",
      dimensions: [
        { dimension: D.ROLE, ok: true },
        { dimension: D.CONSTRAINT, ok: true },
        { dimension: D.MAINTENANCE, ok: true },
        { dimension: D.CPUS, ok: false, code: "InsufficientCpus", params: { needed: "2", free: "0.5" }, message: "needs 2 cpus, 0.5 free" },
      ],
    },
  ],
  rejectSummaryLastOffers: [{ reason: "InsufficientCpus", declined: 1n, processed: 1n }],
});

const AGENT = create(schedulerV1Model.AgentSchema, {
  agentId: "a1",
  hostname: "h1",
  total: { cpus: 4, mem: 4096, disk: 1000, gpus: 1 },
  free: { cpus: 0.5, mem: 1024, disk: 1000, gpus: 1 },
  attributes: { rack: "r1" },
  roles: ["*", "gpu"],
  capabilities: ["simulated"],
  active: true,
  totalByRole: [{ role: "gpu", resources: { cpus: 4, mem: 4096, disk: 1000, gpus: 1 } }],
  freeByRole: [{ role: "gpu", resources: { cpus: 0.5, mem: 1024, disk: 1000, gpus: 1 } }],
  portRanges: [{ begin: 31000, end: 31999 }],
  portsInUse: [31000],
  gpus: [{ index: 0, uuid: "GPU-0", model: "Simulated GPU", inUse: false }],
});
const agents = new Map([["a1", AGENT], ["a2", create(schedulerV1Model.AgentSchema, { agentId: "a2", hostname: "h2", active: false })]]);

const { TaskState } = schedulerV1Model;
/** A running task (exit code not known: -1), and one that finished with exit code 0. */
const TASKS = [
  create(schedulerV1Model.TaskSchema, { taskId: "web.1", instanceId: "i1", appId: "/shop/web", agentId: "a1", host: "h1", state: TaskState.RUNNING, updatedAt: "2024-05-01T10:00:00.000Z", exitCode: -1 }),
  create(schedulerV1Model.TaskSchema, { taskId: "web.0", instanceId: "i0", appId: "/shop/web", agentId: "a1", host: "h1", state: TaskState.FINISHED, message: "exited with code 0", updatedAt: "2024-05-01T09:00:00.000Z", exitCode: 0 }),
];

/** An app that asks for a GPU no agent has: it waits, and its last task failed. */
const GPU_APP = create(registryV1App.AppVersionSchema, {
  id: "/gpu",
  version: "2024-05-01T08:00:00.000Z",
  definition: { id: "/gpu", cmd: "train", instances: 1, cpus: 1, mem: 128, gpus: 1 },
  lastConfigChangeAt: "2024-05-01T08:00:00.000Z",
  lastScalingAt: "2024-05-01T08:00:00.000Z",
});
const GPU_WAITING = create(schedulerV1.PlacementExplanationSchema, {
  runSpecId: "/gpu",
  waiting: 1,
  since: "2024-05-01T08:00:01.000Z",
  agents: [
    { agentId: "a1", hostname: "h1", dimensions: [{ dimension: D.ROLE, ok: true }, { dimension: D.GPUS, ok: false, code: "InsufficientGpus", message: "needs 1 gpus, 0 free" }] },
    { agentId: "a3", hostname: "h3", dimensions: [{ dimension: D.ROLE, ok: true }, { dimension: D.GPUS, ok: false, code: "InsufficientGpus", message: "needs 1 gpus, 0 free" }] },
  ],
});
const GPU_FAILURE = create(schedulerV1.TaskFailureSchema, { appId: "/gpu", taskId: "gpu.1", state: TaskState.ERROR, message: "the container has no command", host: "h1", timestamp: "2024-05-01T09:30:00.000Z", version: GPU_APP.version });
const GPU_DEPLOYMENT = create(registryV1App.DeploymentSchema, {
  id: "d1",
  version: "2024-05-01T08:00:00.000Z",
  affectedApps: ["/gpu"],
  currentStep: 1,
  totalSteps: 1,
  currentActions: [{ action: "StartApplication", app: "/gpu" }],
});
/** What the fake registry lists; tests empty them to see empty lists. */
const registryState = { apps: [GPU_APP], deployments: [GPU_DEPLOYMENT] };

const requests: Array<{ method: string; request: unknown }> = [];
const notFound = (what: string) => new GantryError("NotFound", `${what} not found`);

/** The fake's drain and undrain: record the request, flip the agent's flag, answer the agent. */
async function setDraining(method: string, request: { agentId: string }, draining: boolean): Promise<{ agent: schedulerV1Model.Agent }> {
  requests.push({ method, request });
  const agent = agents.get(request.agentId);
  if (!agent) throw notFound(`agent ${request.agentId}`);
  agent.draining = draining;
  return { agent };
}

const scheduler = bindService(schedulerV1.SchedulerService, {
  async listTasks(request) {
    requests.push({ method: "listTasks", request });
    const terminal = new Set([TaskState.FINISHED, TaskState.FAILED, TaskState.KILLED, TaskState.ERROR, TaskState.LOST, TaskState.GONE]);
    return { tasks: TASKS.filter((t) => (!request.appId || t.appId === request.appId) && (request.includeTerminal || !terminal.has(t.state))) };
  },
  async listAgents() {
    return { agents: [...agents.values()] };
  },
  async *watchTasks() {},
  async listParkedMessages() {
    return {};
  },
  async explainPlacement(request) {
    requests.push({ method: "explainPlacement", request });
    if (request.id === "/shop/web") return { explanation: EXPLANATION };
    if (request.id === "/shop/cache") return { explanation: { ...EXPLANATION, runSpecId: "/shop/cache", pod: true } };
    if (request.id === "/gpu") return { explanation: GPU_WAITING };
    throw notFound(`run spec ${request.id}`);
  },
  async listQueue() {
    return { items: [EXPLANATION, GPU_WAITING] };
  },
  async resetLaunchDelay() {
    return {};
  },
  drainAgent: (request) => setDraining("drainAgent", request, true),
  undrainAgent: (request) => setDraining("undrainAgent", request, false),
  killTasks: async () => {
    throw new Error("not used here");
  },
  listTaskFailures: async (request) => ({ failures: [GPU_FAILURE].filter((f) => !request.appId || f.appId === request.appId) }),
  listTaskCounts: async (request) => {
    if (request.appId === "/unreachable") throw new GantryError("Unavailable", "scheduler is not answering");
    return { counts: [] };
  },
}, openToAuthenticated(schedulerV1.SchedulerService));

type RegistryHandlers = Parameters<typeof bindService<typeof registryV1.RegistryService>>[1];
/** Every registry method, failing: the fake registry below answers the few the CLI asks here. */
const registryNotUsed = Object.fromEntries(registryV1.RegistryService.methods.map((m) => [m.localName, async () => Promise.reject(new Error(`${m.name} is not used here`))])) as unknown as RegistryHandlers;

/** The fake registry: apps and deployments from `registryState`; every other method fails. */
const registry = bindService(registryV1.RegistryService, {
  ...registryNotUsed,
  async listApps() {
    return { apps: registryState.apps };
  },
  async getApp(request) {
    const app = registryState.apps.find((a) => a.id === request.id) ?? (request.id === "/unreachable" ? { ...GPU_APP, id: "/unreachable" } : undefined);
    if (!app) throw notFound(`app ${request.id}`);
    return { app };
  },
  async getAppVersion(request) {
    return { app: { ...GPU_APP, version: request.version } };
  },
  async listDeployments() {
    return { deployments: registryState.deployments };
  },
}, openToAuthenticated(registryV1.RegistryService));

let server: GrpcServer;
let env: NodeJS.ProcessEnv;
let home: string;

before(async () => {
  const signer = createTokenSigner(generateSigningKey());
  server = createGrpcServer({ logger: createLogger("fake-scheduler", { level: "silent" }), authenticator: createAuthenticator(signer), services: [scheduler, registry] });
  const port = await server.listen("127.0.0.1", 0);
  home = await mkdtemp(path.join(tmpdir(), "gantry-cli-"));
  env = { ...process.env, GANTRY_URL: `http://127.0.0.1:${port}`, GANTRY_TOKEN: signer.issue({ name: "alice", roles: ["admin"] }).token, GANTRY_HOME: home };
});

after(async () => {
  await server?.shutdown(0);
  await rm(home, { recursive: true, force: true });
});

async function ok(args: string[]): Promise<CliResult> {
  const r = await runGantry(args, env);
  assert.equal(r.code, 0, `gantry ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r;
}

const lastRequest = (method: string) => requests.filter((r) => r.method === method).at(-1)?.request as Record<string, unknown> | undefined;

describe("gantry app|pod debug", () => {
  test("prints the summary, the per-agent table and the refusals; asks for the id given", async () => {
    const r = await ok(["app", "debug", "/shop/web"]);
    assert.equal(lastRequest("explainPlacement")?.id, "/shop/web");
    assert.match(r.stdout, /^WAITING {2}2 instances since 2024-05-01T09:00:00.000Z$/m);
    assert.match(r.stdout, /^HOST\s+ROLE\s+CONSTRAINT\s+CPU\s+MEM\s+DISK\s+GPU\s+PORT\s+RECEIVED$/m);
    assert.match(r.stdout, /^h1\s+✓\s+✓\s+✗\s+-\s+-\s+-\s+-\s+2024-05-01T10:00:00.000Z$/m);
    assert.match(r.stdout, /^h1\s+CPU\s+needs 2 cpus, 0.5 free \(InsufficientCpus\)$/m);
  });

  test("--json prints the ExplainPlacementResponse, its checks named as the table names them; pod debug asks the same question", async () => {
    const j = JSON.parse((await ok(["app", "debug", "/shop/web", "--json"])).stdout);
    const expected = toJson(schedulerV1.ExplainPlacementResponseSchema, create(schedulerV1.ExplainPlacementResponseSchema, { explanation: EXPLANATION })) as Record<string, any>;
    expected.explanation.agents[0].dimensions = expected.explanation.agents[0].dimensions.map((d: object, i: number) => ({ ...d, dimension: ["ROLE", "CONSTRAINT", "MAINTENANCE", "CPU"][i] }));
    assert.deepEqual(j, expected);
    const pod = await ok(["pod", "debug", "/shop/cache"]);
    assert.match(pod.stdout, /^ID {7}\/shop\/cache \(pod\)$/m);
  });

  test("an id the scheduler does not know exits 1 with its message; a missing id exits 2", async () => {
    const missing = await runGantry(["app", "debug", "/nope"], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: run spec \/nope not found$/m);
    assert.equal(missing.stdout, "");
    assert.equal((await runGantry(["app", "debug"], env)).code, 2);
  });
});

describe("gantry node drain|undrain|list", () => {
  test("drain sends the reason and confirms; list shows the state; undrain ends it", async () => {
    const drained = await ok(["node", "drain", "a1", "--reason", "disk swap"]);
    assert.deepEqual([lastRequest("drainAgent")?.agentId, lastRequest("drainAgent")?.reason], ["a1", "disk swap"]);
    assert.equal(drained.stdout, "draining a1 (h1): no new instances; the ones it runs stay\n");
    const list = (await ok(["node", "list"])).stdout.split("\n");
    assert.match(list[0]!, /^ID\s+HOSTNAME\s+STATE\s+/);
    assert.match(list.find((l) => l.startsWith("a1"))!, /^a1\s+h1\s+draining\s+0\.5\/4\s+1024\/4096\s+1\/1\s+simulated$/);
    assert.match(list.find((l) => l.startsWith("a2"))!, /^a2\s+h2\s+lost\s/);
    const undrained = await ok(["node", "undrain", "a1"]);
    assert.equal(lastRequest("undrainAgent")?.agentId, "a1");
    assert.equal(undrained.stdout, "undrained a1 (h1): it takes new instances again\n");
    assert.match((await ok(["node", "list"])).stdout, /^a1\s+h1\s+active\s/m);
  });

  test("--json carries the whole Agent and its state as the table shows it: draining, roles, per-role resources, ports and GPUs", async () => {
    const drained = JSON.parse((await ok(["node", "drain", "a1", "--json"])).stdout);
    assert.equal(drained.agent.draining, true);
    assert.equal(lastRequest("drainAgent")?.reason, "");
    const listed = JSON.parse((await ok(["node", "list", "--json"])).stdout);
    const a1: Record<string, any> = listed.agents.find((a: { agentId: string }) => a.agentId === "a1");
    const expected: Record<string, any> = { ...(toJson(schedulerV1Model.AgentSchema, agents.get("a1")!) as Record<string, any>), state: "draining" };
    assert.deepEqual(a1, expected);
    assert.equal(listed.agents.find((a: { agentId: string }) => a.agentId === "a2").state, "lost");
    assert.deepEqual(a1.portRanges, [{ begin: 31000, end: 31999 }]);
    assert.deepEqual(a1.freeByRole[0].role, "gpu");
    assert.equal(a1.gpus[0].uuid, "GPU-0");
    await ok(["node", "undrain", "a1"]);
  });

  test("an unknown agent exits 1; a missing agent id exits 2", async () => {
    const unknown = await runGantry(["node", "drain", "nope"], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error: agent nope not found$/m);
    assert.equal((await runGantry(["node", "undrain"], env)).code, 2);
  });
});

describe("gantry task list", () => {
  test("states are Mesos' names in the table and in --json; an empty cell shows -; an exit code is there only when known", async () => {
    const table = (await ok(["task", "list", "--all"])).stdout.split("\n");
    assert.match(table.find((l) => l.startsWith("web.1"))!, /^web\.1\s+\/shop\/web\s+h1\s+TASK_RUNNING\s+2024-05-01T10:00:00.000Z\s+-$/);
    assert.match(table.find((l) => l.startsWith("web.0"))!, /^web\.0\s+\/shop\/web\s+h1\s+TASK_FINISHED\s+2024-05-01T09:00:00.000Z\s+exited with code 0$/);
    const { tasks } = JSON.parse((await ok(["task", "list", "--all", "--json"])).stdout) as { tasks: Record<string, unknown>[] };
    const [running, finished] = [tasks.find((t) => t.taskId === "web.1")!, tasks.find((t) => t.taskId === "web.0")!];
    assert.equal(running.state, "TASK_RUNNING");
    assert.equal("exitCode" in running, false, "no -1 for an exit code not known");
    assert.equal(finished.state, "TASK_FINISHED");
    assert.equal(finished.exitCode, 0, "exit code 0 is a value");
  });

  test("no tasks says so (and of which app); --json prints an empty list", async () => {
    assert.equal((await ok(["task", "list", "--app", "/none"])).stdout, "no live tasks of /none (--all includes ended ones)\n");
    assert.equal((await ok(["task", "list", "--app", "/none", "--all"])).stdout, "no tasks of /none\n");
    assert.deepEqual(JSON.parse((await ok(["task", "list", "--app", "/none", "--json"])).stdout), { tasks: [] });
  });
});

describe("what the cluster cannot run yet is visible", () => {
  test("app show: tasks, why instances wait (per refusal, how many agents) and the last failed task", async () => {
    const r = await ok(["app", "show", "/gpu"]);
    assert.match(r.stdout, /^TASKS\s+0\/1 running$/m);
    assert.match(r.stdout, /^WAITING\s+1 instance since 2024-05-01T08:00:01.000Z: no agent fits: InsufficientGpus on 2 of 2 agents \(needs 1 gpus, 0 free\); see `gantry app debug \/gpu`$/m);
    assert.match(r.stdout, /^LAST FAILURE\s+TASK_ERROR on h1 at 2024-05-01T09:30:00.000Z: the container has no command$/m);
    const j = JSON.parse((await ok(["app", "show", "/gpu", "--json"])).stdout);
    assert.equal(j.definition.gpus, 1);
    assert.deepEqual(j.status.tasks, { running: 0, staged: 0, healthy: 0, unhealthy: 0 });
    assert.deepEqual(j.status.waiting, { instances: 1, since: "2024-05-01T08:00:01.000Z", reason: "no agent fits: InsufficientGpus on 2 of 2 agents (needs 1 gpus, 0 free)" });
    assert.equal(j.status.lastTaskFailure.state, "TASK_ERROR");
  });

  test("app show --version prints the stored definition only; a scheduler that does not answer leaves the definition shown", async () => {
    const old = await ok(["app", "show", "/gpu", "--version", "2024-04-01T00:00:00.000Z"]);
    assert.match(old.stdout, /^VERSION\s+2024-04-01T00:00:00.000Z$/m);
    assert.doesNotMatch(old.stdout, /^(TASKS|WAITING|LAST FAILURE)/m);
    assert.equal(JSON.parse((await ok(["app", "show", "/gpu", "--version", "2024-04-01T00:00:00.000Z", "--json"])).stdout).status, undefined);
    const unknown = await ok(["app", "show", "/unreachable"]);
    assert.match(unknown.stdout, /^TASKS\s+unknown: scheduler is not answering$/m);
    assert.match(unknown.stdout, /^definition:$/m);
  });

  test("deployment list: each running deployment, then what holds it up; --json has the same under `problems`", async () => {
    const r = await ok(["deployment", "list"]);
    assert.match(r.stdout, /^d1\s+2024-05-01T08:00:00.000Z\s+\/gpu\s+1\/1\s+StartApplication \/gpu$/m);
    assert.match(r.stdout, /^problems:\nd1 {2}\/gpu waits: 1 instance since \S+: no agent fits: InsufficientGpus on 2 of 2 agents/m);
    assert.match(r.stdout, /^d1 {2}\/gpu failed: TASK_ERROR on h1 at 2024-05-01T09:30:00.000Z: the container has no command$/m);
    const j = JSON.parse((await ok(["deployment", "list", "--json"])).stdout);
    assert.equal(j.deployments[0].problems[0].id, "/gpu");
    assert.match(j.deployments[0].problems[0].waiting.reason, /^no agent fits: InsufficientGpus/);
    assert.equal(j.deployments[0].problems[0].lastTaskFailure.state, "TASK_ERROR");
  });

  test("a failure from before the deployment began is not its problem", async () => {
    const later = { ...GPU_DEPLOYMENT, version: "2024-05-01T10:00:00.000Z" };
    registryState.deployments = [later];
    try {
      const r = await ok(["deployment", "list"]);
      assert.match(r.stdout, /\/gpu waits: /);
      assert.doesNotMatch(r.stdout, /\/gpu failed: /);
    } finally {
      registryState.deployments = [GPU_DEPLOYMENT];
    }
  });
});

describe("empty lists", () => {
  test("say so in text; --json prints the list empty", async () => {
    registryState.apps = [];
    registryState.deployments = [];
    try {
      assert.equal((await ok(["app", "list"])).stdout, "no apps\n");
      assert.equal((await ok(["app", "list", "--id", "x"])).stdout, "no apps match\n");
      assert.deepEqual(JSON.parse((await ok(["app", "list", "--json"])).stdout), { apps: [] });
      assert.equal((await ok(["deployment", "list"])).stdout, "no deployments running\n");
      assert.deepEqual(JSON.parse((await ok(["deployment", "list", "--json"])).stdout), { deployments: [] });
    } finally {
      registryState.apps = [GPU_APP];
      registryState.deployments = [GPU_DEPLOYMENT];
    }
  });
});

describe("several local clusters", () => {
  /** GANTRY_HOME with cluster files: `good` at the fake gateway, `other` at a port nothing listens on. */
  async function clusterHome(names: string[]): Promise<NodeJS.ProcessEnv> {
    const dir = await mkdtemp(path.join(home, "clusters-"));
    for (const name of names) {
      await mkdir(path.join(dir, name));
      const url = name === "good" ? env.GANTRY_URL : "http://127.0.0.1:1";
      await writeFile(path.join(dir, name, "cluster.json"), JSON.stringify({ url, token: env.GANTRY_TOKEN }));
    }
    const { GANTRY_URL: _url, GANTRY_TOKEN: _token, GANTRY_CLUSTER: _cluster, ...rest } = env;
    return { ...rest, GANTRY_HOME: dir };
  }

  test("with several and none named, fail listing them and saying to pass --cluster; --cluster or GANTRY_CLUSTER picks one", async () => {
    const several = await clusterHome(["good", "other"]);
    const refused = await runGantry(["node", "list"], several);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, "error: 2 local clusters run here (good, other): say which with --cluster NAME or GANTRY_CLUSTER (see `gantry cluster list`)\n");
    assert.match((await runGantry(["--cluster", "good", "node", "list"], several)).stdout, /^a1\s+h1\s/m);
    assert.match((await runGantry(["node", "list"], { ...several, GANTRY_CLUSTER: "good" })).stdout, /^a1\s+h1\s/m);
    const unknown = await runGantry(["--cluster", "nope", "node", "list"], several);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error: no local cluster "nope" \(--cluster\): .* local clusters: good, other\./m);
  });

  test("with exactly one and none named, use it; --help documents --cluster and GANTRY_CLUSTER", async () => {
    assert.match((await runGantry(["node", "list"], await clusterHome(["good"]))).stdout, /^a1\s+h1\s/m);
    const help = (await ok(["--help"])).stdout;
    assert.match(help, /--cluster <name>/);
    assert.match(help, /GANTRY_CLUSTER/);
  });
});
