import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { create, toJson } from "@bufbuild/protobuf";
import { schedulerV1, schedulerV1Model } from "@gantry/proto";
import { bindService, createAuthenticator, createGrpcServer, createLogger, createTokenSigner, GantryError, generateSigningKey, type GrpcServer } from "@gantry/platform";
import { openToAuthenticated } from "@gantry/platform/testing";
import { runGantry, type CliResult } from "@gantry/test/support";

// The real `gantry` process against a fake SchedulerService bound on a loopback port (what the
// gateway's gRPC pass-through forwards to): `app|pod debug`, `node drain|undrain|list`, their
// text, --json and exit codes, and the requests that reach the scheduler.

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
  async listTasks() {
    return { tasks: [] };
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
    throw notFound(`run spec ${request.id}`);
  },
  async listQueue() {
    return { items: [EXPLANATION] };
  },
  async resetLaunchDelay() {
    return {};
  },
  drainAgent: (request) => setDraining("drainAgent", request, true),
  undrainAgent: (request) => setDraining("undrainAgent", request, false),
  killTasks: async () => {
    throw new Error("not used here");
  },
  listTaskFailures: async () => {
    throw new Error("not used here");
  },
  listTaskCounts: async () => {
    throw new Error("not used here");
  },
}, openToAuthenticated(schedulerV1.SchedulerService));

let server: GrpcServer;
let env: NodeJS.ProcessEnv;
let home: string;

before(async () => {
  const signer = createTokenSigner(generateSigningKey());
  server = createGrpcServer({ logger: createLogger("fake-scheduler", { level: "silent" }), authenticator: createAuthenticator(signer), services: [scheduler] });
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

  test("--json prints the ExplainPlacementResponse; pod debug asks the same question", async () => {
    const j = JSON.parse((await ok(["app", "debug", "/shop/web", "--json"])).stdout);
    assert.deepEqual(j, toJson(schedulerV1.ExplainPlacementResponseSchema, create(schedulerV1.ExplainPlacementResponseSchema, { explanation: EXPLANATION })));
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

  test("--json carries the whole Agent: draining, roles, per-role resources, ports and GPUs", async () => {
    const drained = JSON.parse((await ok(["node", "drain", "a1", "--json"])).stdout);
    assert.equal(drained.agent.draining, true);
    assert.equal(lastRequest("drainAgent")?.reason, "");
    const listed = JSON.parse((await ok(["node", "list", "--json"])).stdout);
    const a1: Record<string, any> = listed.agents.find((a: { agentId: string }) => a.agentId === "a1");
    assert.deepEqual(a1, toJson(schedulerV1Model.AgentSchema, agents.get("a1")!) as Record<string, any>);
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
