/**
 * "Why is my app not deploying", end to end: a cluster of simulated agents (real protocol, no
 * processes) behind the real control plane. An app asking for more memory than any agent has
 * waits, and `gantry app debug` shows the MEM ✗ on every agent while GET /v2/queue shows the same
 * in Marathon's shape; a drained agent takes nothing new; the seed's `/app` pod is placed as one
 * unit; two apps asking for any host port get different ports.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { clusterNames, connectBus, createLogger, infrastructureUrls, type Bus } from "@gantry/platform";
import { compileSimulatedAgentOptions, startSimulatedAgents, type SimulatedAgents } from "@gantry/agent";
import { eventually, runGantry, SEED_POD, startHarnessCluster, type CliResult, type HarnessCluster } from "../support/index.ts";

let cluster: HarnessCluster;
let bus: Bus;
let agents: SimulatedAgents;

before(async () => {
  cluster = await startHarnessCluster({ prefix: "why", agent: false });
  bus = await connectBus(infrastructureUrls().natsUrl, clusterNames(cluster.cluster), "sim-agents");
  agents = await startSimulatedAgents(compileSimulatedAgentOptions({ count: 3, idPrefix: "why", cpus: 4, mem: 4096, disk: 10_000, ports: "31000-31010", launchDelayMs: "5-20" }), { bus, logger: createLogger("sim", { level: "warn" }) });
  await agents.registered;
});

after(async () => {
  await agents?.stop();
  await bus?.close();
  await cluster?.destroy();
});

async function gantry(args: string[], stdin?: string): Promise<CliResult> {
  const r = await runGantry(args, cluster.clientEnv, stdin);
  assert.equal(r.code, 0, `gantry ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r;
}

async function http(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${cluster.url}${path}`, { ...init, headers: { authorization: `Bearer ${cluster.token}`, "content-type": "application/json", ...(init.headers ?? {}) }, signal: AbortSignal.timeout(15_000) });
}

describe("why is my app not deploying", () => {
  test("an app asking for more memory than any agent has waits: app debug shows MEM ✗ on every agent, /v2/queue says InsufficientMemory", async () => {
    await gantry(["app", "add", "-", "--detach"], JSON.stringify({ id: "/why/huge", cmd: "sleep 1000", cpus: 0.1, mem: 100_000, instances: 1 }));
    const explained = await eventually("the app to wait with a verdict per agent", async () => {
      const r = await runGantry(["app", "debug", "/why/huge", "--json"], cluster.clientEnv);
      if (r.code !== 0) return undefined;
      const body = JSON.parse(r.stdout) as { explanation?: { waiting?: number; agents?: { hostname: string; dimensions: { dimension: string; ok?: boolean; code?: string }[] }[] } };
      return body.explanation?.waiting === 1 && body.explanation.agents?.length === 3 ? body.explanation : undefined;
    });
    for (const agent of explained.agents!) {
      const mem = agent.dimensions.find((d) => d.dimension === "MEM");
      assert.equal(mem?.code, "InsufficientMemory", `${agent.hostname}: ${JSON.stringify(agent.dimensions)}`);
    }
    const table = (await gantry(["app", "debug", "/why/huge"])).stdout;
    const rows = table.split("\n").filter((l) => /^why-\d/.test(l.trim()) && /[✓✗]/.test(l));
    assert.equal(rows.length, 3, table);
    for (const row of rows) assert.match(row, /✗/, row);
    assert.match(table, /needs 100000 MB mem/);

    const queue = (await (await http("/v2/queue?embed=lastUnusedOffers")).json()) as { queue: { app?: { id: string }; count: number; processedOffersSummary: { rejectSummaryLastOffers: { reason: string; declined: number }[] }; lastUnusedOffers?: { reason: string[] }[] }[] };
    const item = queue.queue.find((q) => q.app?.id === "/why/huge");
    assert.ok(item, JSON.stringify(queue));
    assert.equal(item.count, 1);
    assert.equal(item.processedOffersSummary.rejectSummaryLastOffers.find((r) => r.reason === "InsufficientMemory")?.declined, 3);
    assert.equal(item.lastUnusedOffers?.length, 3);
    assert.ok(item.lastUnusedOffers!.every((o) => o.reason.includes("InsufficientMemory")));
    await gantry(["app", "remove", "/why/huge", "--force", "--detach"]);
  });

  test("a drained agent takes no new instances, and says why; undrained, it does again", async () => {
    const nodes = JSON.parse((await gantry(["node", "list", "--json"])).stdout) as { agents: { agentId: string }[] };
    const ids = nodes.agents.map((a) => a.agentId).sort();
    for (const id of ids.slice(1)) await gantry(["node", "drain", id, "--reason", "kernel upgrade"]);
    await gantry(["app", "add", "-", "--detach"], JSON.stringify({ id: "/why/drained", cmd: "sleep 1000", cpus: 0.1, mem: 16, instances: 3, constraints: [["hostname", "UNIQUE"]] }));
    const explained = await eventually("two instances to wait for the drained agents", async () => {
      const r = await runGantry(["app", "debug", "/why/drained", "--json"], cluster.clientEnv);
      const e = r.code === 0 ? (JSON.parse(r.stdout) as { explanation?: { waiting?: number; agents?: { agentId: string; dimensions: { code?: string }[] }[] } }).explanation : undefined;
      return e?.waiting === 2 ? e : undefined;
    });
    for (const id of ids.slice(1)) assert.ok(explained.agents!.find((a) => a.agentId === id)!.dimensions.some((d) => d.code === "AgentMaintenance"));
    for (const id of ids.slice(1)) await gantry(["node", "undrain", id]);
    await eventually("all three placed once the agents are back", async () => {
      const tasks = JSON.parse((await gantry(["task", "list", "--json"])).stdout) as { tasks: { appId: string; agentId: string }[] };
      const mine = tasks.tasks.filter((t) => t.appId === "/why/drained");
      return mine.length === 3 && new Set(mine.map((t) => t.agentId)).size === 3 ? true : undefined;
    });
    await gantry(["app", "remove", "/why/drained", "--force", "--detach"]);
  });

  test("two apps asking for any host port on one agent get different ports", async () => {
    const one = { id: "/why/port-a", cmd: "sleep 1000", cpus: 0.1, mem: 16, instances: 2, constraints: [["hostname", "CLUSTER", "why-0"]], portDefinitions: [{ port: 0 }] };
    await gantry(["app", "add", "-", "--detach"], JSON.stringify(one));
    await gantry(["app", "add", "-", "--detach"], JSON.stringify({ ...one, id: "/why/port-b" }));
    const ports = await eventually("four instances with their host ports", async () => {
      const nodes = JSON.parse((await gantry(["node", "list", "--json"])).stdout) as { agents: { hostname: string; portsInUse?: number[] }[] };
      const used = nodes.agents.find((a) => a.hostname === "why-0")?.portsInUse ?? [];
      return used.length === 4 ? used : undefined;
    });
    assert.equal(new Set(ports).size, 4);
    assert.ok(ports.every((p) => p >= 31000 && p <= 31010));
    await gantry(["app", "remove", "/why/port-a", "--force", "--detach"]);
    await gantry(["app", "remove", "/why/port-b", "--force", "--detach"]);
  });

  test("the DC/OS overview's /app pod is placed as one unit: both containers' tasks on one agent", async () => {
    // As the overview gives it (shared/seed): nginx and memcached on the `dcos` container network,
    // each with a command (Gantry runs no image entrypoint, so the registry refuses a pod without).
    const pod = { ...SEED_POD, containers: SEED_POD.containers.map((c) => ({ ...c, exec: { command: { shell: "sleep 1000" } } })) };
    await gantry(["pod", "add", "-", "--detach"], JSON.stringify(pod));
    const tasks = await eventually("the pod's two tasks", async () => {
      const list = JSON.parse((await gantry(["task", "list", "--json"])).stdout) as { tasks: { appId: string; agentId: string; instanceId: string; taskId: string }[] };
      const mine = list.tasks.filter((t) => t.appId === "/app");
      return mine.length === 2 ? mine : undefined;
    });
    assert.equal(new Set(tasks.map((t) => t.agentId)).size, 1, "one agent");
    assert.equal(new Set(tasks.map((t) => t.instanceId)).size, 1, "one instance");
    assert.deepEqual(tasks.map((t) => t.taskId.split(".").pop()).sort(), ["memcached", "nginx"]);
    await gantry(["pod", "remove", "/app", "--force", "--detach"]);
  });
});
