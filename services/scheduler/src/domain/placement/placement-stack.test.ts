import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AgentLedger } from "../ledger/agent-ledger.ts";
import type { AgentNode } from "../agent-node.ts";
import type { RunSpecDemand } from "../run-spec-demand.ts";
import { testAgent, testDemand } from "../test-fixtures.ts";
import { ConstraintCounters, checkConstraints, constraintScope, NOTHING_PLACED } from "./constraints/index.ts";
import type { PlacementContext } from "./feasibility-checks.ts";
import { candidateLimit, createPlacementStack, randomOrder, type ClassVerdicts } from "./placement-stack.ts";
import { ACCEPT, DIMENSION_OF, REASON_FUNNEL, renderVerdict, type ReasonCode } from "./verdict.ts";

/** A small cluster: agents, their ledgers, and a context for one demand (constraints counted on live counters). */
function cluster(agents: AgentNode[], options: { reserveGpuAgents?: boolean } = {}) {
  const ledgers = new Map(agents.map((a) => [a.agentId, new AgentLedger(a)]));
  const contextFor = (demand: RunSpecDemand) => {
    const counters = ConstraintCounters.forConstraints(demand.constraints);
    const classRules = demand.constraints.filter((c) => constraintScope(c) === "class");
    const agentRules = demand.constraints.filter((c) => constraintScope(c) !== "class");
    const ctx: PlacementContext = {
      demand,
      ledgerOf: (id) => ledgers.get(id)!,
      classConstraints: (agent) => checkConstraints(classRules, agent, NOTHING_PLACED),
      countedConstraints: (agent) => checkConstraints(agentRules, agent, counters),
      reserveGpuAgents: options.reserveGpuAgents ?? true,
    };
    return { ctx, counters };
  };
  return { agents, ledgers, contextFor };
}

let instances = 0;

/** Places `n` instances one after another, holding each as the scheduler does; returns the agents chosen (undefined when none fit). */
function placeMany(c: ReturnType<typeof cluster>, demand: RunSpecDemand, n: number) {
  const stack = createPlacementStack();
  const { ctx, counters } = c.contextFor(demand);
  const classVerdicts: ClassVerdicts = new Map();
  const placed = [];
  for (let i = 0; i < n; i++) {
    const s = stack.select(c.agents, ctx, classVerdicts, Infinity);
    if (!s.placement) {
      placed.push(undefined);
      continue;
    }
    const id = `i${++instances}`;
    c.ledgers.get(s.placement.agent.agentId)!.hold(id, s.placement.allocation);
    counters.add(id, s.placement.agent);
    placed.push(s.placement);
  }
  return placed;
}

const big = { cpus: 8, mem: 8192, disk: 10_000 };

describe("placement stack: each reason code, in Marathon's funnel order", () => {
  const cases: { name: string; agent: AgentNode; demand: RunSpecDemand; code: ReasonCode; reserveGpuAgents?: boolean }[] = [
    { name: "role", agent: testAgent("public", big, { roles: ["slave_public"] }), demand: testDemand("/web"), code: "UnfulfilledRole" },
    { name: "constraint", agent: testAgent("r1", big, { attributes: { rack: "r1" } }), demand: testDemand("/web", { constraints: [{ field: "rack", operator: "LIKE", value: "r2" }] }), code: "UnfulfilledConstraint" },
    { name: "maintenance", agent: testAgent("drained", big, { draining: true }), demand: testDemand("/web"), code: "AgentMaintenance" },
    { name: "cpus", agent: testAgent("small", { cpus: 0.5, mem: 8192 }), demand: testDemand("/web"), code: "InsufficientCpus" },
    { name: "mem", agent: testAgent("small", { cpus: 8, mem: 64 }), demand: testDemand("/web"), code: "InsufficientMemory" },
    { name: "disk", agent: testAgent("small", { cpus: 8, mem: 8192, disk: 1 }), demand: testDemand("/web", { resources: { cpus: 1, mem: 128, disk: 100, gpus: 0 } }), code: "InsufficientDisk" },
    { name: "gpus", agent: testAgent("nogpu", big), demand: testDemand("/train", { resources: { cpus: 1, mem: 128, disk: 0, gpus: 1 } }), code: "InsufficientGpus" },
    {
      name: "ports",
      agent: testAgent("ports", big, { portRanges: [{ begin: 31000, end: 31000 }] }),
      demand: testDemand("/web", { ports: [{ container: "web", endpoint: "a", index: 0, hostPort: 0, containerPort: 0 }, { container: "web", endpoint: "b", index: 1, hostPort: 0, containerPort: 0 }] }),
      code: "InsufficientPorts",
    },
    { name: "scarce GPUs", agent: testAgent("gpu", { ...big, gpus: 2 }), demand: testDemand("/web"), code: "DeclinedScarceResources" },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.code}`, () => {
      const { ctx } = cluster([c.agent], { reserveGpuAgents: c.reserveGpuAgents ?? true }).contextFor(c.demand);
      const v = createPlacementStack().feasible(c.agent, ctx, new Map());
      assert.equal(v.ok, false);
      assert.equal(!v.ok && v.code, c.code);
      assert.ok(!v.ok && renderVerdict(v.code, v.params).length > 0, "a message can be rendered from the code and parameters");
      const explained = createPlacementStack().explain(c.agent, ctx).filter((d) => !d.verdict.ok);
      assert.ok(explained.some((d) => !d.verdict.ok && d.verdict.code === c.code && d.dimension === DIMENSION_OF[c.code]), "the full check names the same reason on its dimension");
    });
  }

  it("an agent failing several dimensions is refused by the first in funnel order, and the full check shows them all", () => {
    const agent = testAgent("poor", { cpus: 0.1, mem: 1 }, { draining: true });
    const { ctx } = cluster([agent]).contextFor(testDemand("/web"));
    const v = createPlacementStack().feasible(agent, ctx, new Map());
    assert.equal(!v.ok && v.code, "AgentMaintenance");
    const refused = createPlacementStack().explain(agent, ctx).flatMap((d) => (d.verdict.ok ? [] : [d.verdict.code]));
    assert.deepEqual(refused, ["AgentMaintenance", "InsufficientCpus", "InsufficientMemory"]);
    assert.deepEqual(REASON_FUNNEL.slice(0, 3), ["UnfulfilledRole", "UnfulfilledConstraint", "AgentMaintenance"]);
  });

  it("with the GPU policy off, a GPU agent takes non-GPU instances", () => {
    const agent = testAgent("gpu", { ...big, gpus: 2 });
    const { ctx } = cluster([agent], { reserveGpuAgents: false }).contextFor(testDemand("/web"));
    assert.deepEqual(createPlacementStack().feasible(agent, ctx, new Map()), ACCEPT);
  });
});

describe("placement: resources, GPUs and ports are assigned, never twice", () => {
  it("a GPU app lands on the GPU agent with distinct device ids; a non-GPU app is kept off it", () => {
    const gpuAgent = testAgent("gpu", { ...big, gpus: 2 }, { gpus: [{ index: 0, uuid: "GPU-a", model: "A100" }, { index: 1, uuid: "GPU-b", model: "A100" }] });
    const c = cluster([gpuAgent, testAgent("cpu", big)]);
    const trained = placeMany(c, testDemand("/train", { resources: { cpus: 1, mem: 128, disk: 0, gpus: 1 } }), 3);
    assert.equal(trained[0]?.agent.agentId, "gpu");
    assert.equal(trained[1]?.agent.agentId, "gpu");
    assert.deepEqual(trained.slice(0, 2).map((p) => p!.gpus[0]!.uuid).sort(), ["GPU-a", "GPU-b"], "distinct devices");
    assert.equal(trained[2], undefined, "a third GPU instance waits: both devices are taken");
    const web = placeMany(c, testDemand("/web"), 4);
    assert.ok(web.every((p) => p?.agent.agentId === "cpu"), "non-GPU instances stay off the GPU agent");
  });

  it("two apps asking for hostPort 0 on one agent get different ports, and fixed ports are honoured or refused", () => {
    const agent = testAgent("a", big, { portRanges: [{ begin: 31000, end: 31009 }] });
    const c = cluster([agent]);
    const any = { container: "web", endpoint: "http", index: 0, hostPort: 0, containerPort: 0 };
    const first = placeMany(c, testDemand("/one", { ports: [any] }), 1)[0]!;
    const second = placeMany(c, testDemand("/two", { ports: [any, { ...any, endpoint: "admin", index: 1 }] }), 1)[0]!;
    const all = [...first.allocation.ports, ...second.allocation.ports];
    assert.equal(new Set(all).size, 3, `no port twice: ${all}`);
    assert.ok(all.every((p) => p >= 31000 && p <= 31009));
    const fixed = placeMany(c, testDemand("/fixed", { ports: [{ ...any, hostPort: 31009 }] }), 2);
    assert.deepEqual(fixed[0]!.allocation.ports, [31009]);
    assert.equal(fixed[1], undefined, "the same fixed port is not given twice");
  });

  it("resources of reserved roles are used before unreserved ones, and only by instances accepting the role", () => {
    const agent = testAgent("mixed", { cpus: 4, mem: 4096 }, { totalByRole: new Map([["*", { cpus: 2, mem: 2048, disk: 0, gpus: 0 }], ["ads", { cpus: 2, mem: 2048, disk: 0, gpus: 0 }]]) });
    const c = cluster([agent]);
    const ads = placeMany(c, testDemand("/ads", { acceptedRoles: ["ads", "*"], resources: { cpus: 3, mem: 128, disk: 0, gpus: 0 } }), 1)[0]!;
    assert.deepEqual(ads.allocation.byRole.map((s) => [s.role, s.resources.cpus]), [["ads", 2], ["*", 1]]);
    const other = placeMany(c, testDemand("/other", { resources: { cpus: 1, mem: 128, disk: 0, gpus: 0 } }), 2);
    assert.ok(other[0], "one more fits in what is left of '*'");
    assert.equal(other[1], undefined, "the ads role's resources are not for '*'-only instances");
  });

  it("a pod places as one unit: every container's resources and the executor's, on one agent", () => {
    const c = cluster([testAgent("small", { cpus: 1, mem: 1024, disk: 100 }), testAgent("large", { cpus: 4, mem: 4096, disk: 100 })]);
    const pod = testDemand("/app", { pod: true, containers: ["nginx", "memcached"], resources: { cpus: 2.1, mem: 288, disk: 10, gpus: 0 } });
    const placed = placeMany(c, pod, 1)[0]!;
    assert.equal(placed.agent.agentId, "large", "the pod's sum does not fit the small agent");
    assert.deepEqual(placed.allocation.byRole, [{ role: "*", resources: { cpus: 2.1, mem: 288, disk: 10, gpus: 0 } }]);
  });

  it("UNIQUE hostname spreads instances one per agent, counting this pass's own placements; then instances wait", () => {
    const agents = ["a", "b", "c"].map((id) => testAgent(id, big));
    const placed = placeMany(cluster(agents), testDemand("/web", { constraints: [{ field: "hostname", operator: "UNIQUE", value: "" }] }), 4);
    assert.deepEqual(placed.slice(0, 3).map((p) => p!.agent.agentId).sort(), ["a", "b", "c"]);
    assert.equal(placed[3], undefined);
  });

  it("GROUP_BY zone keeps zones even", () => {
    const agents = [testAgent("a1", big, { attributes: { zone: "a" } }), testAgent("a2", big, { attributes: { zone: "a" } }), testAgent("b1", big, { attributes: { zone: "b" } })];
    const placed = placeMany(cluster(agents), testDemand("/web", { constraints: [{ field: "zone", operator: "GROUP_BY", value: "2" }] }), 4);
    const zones = placed.map((p) => p!.agent.attributes.zone);
    assert.equal(zones.filter((z) => z === "a").length, 2);
    assert.equal(zones.filter((z) => z === "b").length, 2);
  });
});

describe("candidates", () => {
  it("a random order yields every agent exactly once", () => {
    for (const n of [1, 2, 7, 64, 1000]) {
      const items = Array.from({ length: n }, (_, i) => i);
      let seed = n;
      const random = () => ((seed = (seed * 9301 + 49297) % 233280) / 233280);
      const order = [...randomOrder(items, random)];
      assert.equal(order.length, n);
      assert.equal(new Set(order).size, n);
    }
  });

  it("Nomad's limit: max(2, ceil(log2 N))", () => {
    assert.deepEqual([1, 2, 4, 5, 5000].map(candidateLimit), [2, 2, 2, 3, 13]);
  });

  it("limited sampling stops after `limit` agents fit", () => {
    const agents = Array.from({ length: 100 }, (_, i) => testAgent(`a${i}`, big));
    const { ctx } = cluster(agents).contextFor(testDemand("/web"));
    const s = createPlacementStack().select(agents, ctx, new Map(), 3);
    assert.equal(s.examined, 3);
    assert.equal(s.feasible, 3);
  });
});
