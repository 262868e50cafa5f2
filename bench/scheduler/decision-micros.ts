/**
 * The pure core's decision time: one placement (candidates drawn at random, Nomad's limit,
 * every check, the score) over `agents` agents whose ledgers hold `instances` instances, for an
 * instance asking for 0.1 cpu, 32 MB, one host port and one attribute constraint. Each decision
 * is held in its agent's ledger, as the scheduler does, so the cluster fills as it goes. The
 * first `warmUp` decisions (before the JIT compiled the path) are made but not counted. Then a
 * fixed loop as long as the median decision is timed as often: the machine's own noise.
 */
import { AgentLedger, agentClassKey, candidateLimit, createPlacementStack, randomOrder, RunSpecConstraints, type AgentNode, type ClassVerdicts, type PlacementContext, type RunSpecDemand } from "@gantry/scheduler";

export function measureDecisionMicros(agentCount: number, instances: number, decisions = 20_000, warmUp = 5_000): { p50: number; p99: number; fixedP50: number; fixedP99: number } {
  const agents: AgentNode[] = Array.from({ length: agentCount }, (_, n) => {
    const total = { cpus: 16, mem: 65_536, disk: 100_000, gpus: 0 };
    const node = { agentId: `sim-${n}`, hostname: `sim-${n}`, total, totalByRole: new Map([["*", total]]), attributes: { zone: `z${n % 5}`, rack: `r${n % 50}` }, roles: ["*"], capabilities: [], portRanges: [{ begin: 31000, end: 32000 }], gpus: [], active: true, draining: false, lastSeenAt: 0, heartbeatIntervalSeconds: 0 };
    return { ...node, classKey: agentClassKey(node) };
  });
  const ledgers = new Map(agents.map((a) => [a.agentId, new AgentLedger(a)]));
  const demand: RunSpecDemand = {
    id: "/bench/decide",
    pod: false,
    configVersion: "v1",
    version: "v1",
    instances: decisions + warmUp,
    resources: { cpus: 0.1, mem: 32, disk: 0, gpus: 0 },
    acceptedRoles: ["*"],
    constraints: [{ field: "zone", operator: "LIKE", value: "z[0-9]" }],
    ports: [{ container: "decide", endpoint: "http", index: 0, hostPort: 0, containerPort: 0 }],
    containers: ["decide"],
    killSelection: "YOUNGEST_FIRST",
    backoff: { backoffSeconds: 1, backoffFactor: 1.15, maxLaunchDelaySeconds: 3600 },
    killGracePeriodSeconds: 3,
    upgrade: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
  };
  // The cluster as it is after `instances` tasks: spread over the agents, one port each.
  agents.forEach((a, i) => {
    const ledger = ledgers.get(a.agentId)!;
    for (let k = 0; k < Math.ceil(instances / agentCount) && i + k * agentCount < instances; k++) {
      ledger.hold(`existing-${i}-${k}`, { byRole: [{ role: "*", resources: { cpus: 0.1, mem: 32, disk: 0, gpus: 0 } }], ports: [31000 + k], gpus: [] });
    }
  });
  const constraints = new RunSpecConstraints(demand.constraints);
  const ctx: PlacementContext = {
    demand,
    ledgerOf: (id) => ledgers.get(id)!,
    classConstraints: (agent) => constraints.classVerdict(agent),
    countedConstraints: (agent) => constraints.countedVerdict(agent),
    reserveGpuAgents: true,
  };
  const stack = createPlacementStack();
  const classVerdicts: ClassVerdicts = new Map();
  const limit = candidateLimit(agents.length);
  const micros: number[] = [];
  // The first decisions run before the JIT has compiled the hot path: they are not counted.
  for (let i = 0; i < warmUp + decisions; i++) {
    const t0 = performance.now();
    const s = stack.select(agents, ctx, classVerdicts, limit);
    if (i >= warmUp) micros.push((performance.now() - t0) * 1000);
    if (!s.placement) throw new Error(`decision ${i} found no agent`);
    ledgers.get(s.placement.agent.agentId)!.hold(`new-${i}`, s.placement.allocation);
    constraints.add(`new-${i}`, s.placement.agent);
  }
  // Then as many runs of a fixed loop as long as the median decision, timed the same way: its
  // p99 is what this machine's scheduling noise alone does to work that long.
  const p50 = percentile(micros, 50);
  const rounds = calibrate(p50);
  const fixed: number[] = [];
  for (let i = 0; i < decisions; i++) {
    const t0 = performance.now();
    fixedWork(rounds);
    fixed.push((performance.now() - t0) * 1000);
  }
  return { p50, p99: percentile(micros, 99), fixedP50: percentile(fixed, 50), fixedP99: percentile(fixed, 99) };
}

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

let sink = 0;
/** Deterministic arithmetic, `rounds` steps long, that allocates nothing. */
function fixedWork(rounds: number): void {
  let x = sink;
  for (let i = 0; i < rounds; i++) x = (x * 1_103_515_245 + 12_345) % 2_147_483_647;
  sink = x;
}

/** How many rounds of fixedWork take about `micros` µs on this machine (median of repeated timings). */
function calibrate(micros: number): number {
  const probe = 10_000;
  const samples: number[] = [];
  for (let k = 0; k < 200; k++) {
    const t0 = performance.now();
    fixedWork(probe);
    samples.push((performance.now() - t0) * 1000);
  }
  return Math.max(1, Math.round((probe * micros) / percentile(samples, 50)));
}
