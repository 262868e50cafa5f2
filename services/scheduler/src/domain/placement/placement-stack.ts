import type { AgentNode, GpuDevice } from "../agent-node.ts";
import type { Allocation } from "../ledger/agent-ledger.ts";
import { FUNNEL_CHECKS, type FeasibilityCheck, type PlacementContext } from "./feasibility-checks.ts";
import { ACCEPT, type Dimension, type ReasonCode, type Verdict } from "./verdict.ts";

/** Where an instance goes and what it takes there. */
export interface Placement {
  agent: AgentNode;
  allocation: Allocation;
  gpus: GpuDevice[];
  score: number;
}

/** The outcome of one selection: the best candidate (if any) and how the examined agents fared. */
export interface Selection {
  placement: Placement | undefined;
  /** Agents looked at. */
  examined: number;
  /** Of those, agents that fit. */
  feasible: number;
  /** Agents refused, counted by their first reason in funnel order. */
  refused: Partial<Record<ReasonCode, number>>;
}

/** One dimension's verdict for one agent (a ✓/✗ cell of `gantry app debug`). */
export interface DimensionVerdict {
  dimension: Dimension;
  verdict: Verdict;
}

/** How instances are ranked among the agents that fit. */
export type Scoring = "binpack" | "spread";

/** Verdicts of the per-class checks, per agent class, for one run spec configuration (owned by the caller). */
export type ClassVerdicts = Map<string, Verdict>;

/** Selects agents for instances. Pure: it reads the ledgers, it never changes them. */
export interface PlacementStack {
  /** The first refusal in funnel order, or ACCEPT. */
  feasible(agent: AgentNode, ctx: PlacementContext, classVerdicts: ClassVerdicts): Verdict;
  /** Every dimension's verdict (a full check of one agent, for explanations). */
  explain(agent: AgentNode, ctx: PlacementContext): DimensionVerdict[];
  /**
   * Examines `candidates` in a random order (a random start and stride: every agent at most once,
   * no shuffle) until `limit` of them fit (or they run out) and picks the best scored; ties keep
   * the first seen.
   */
  select(candidates: readonly AgentNode[], ctx: PlacementContext, classVerdicts: ClassVerdicts, limit: number, random?: () => number): Selection;
}

/**
 * The placement pipeline (Nomad's stack, in small):
 *   candidates   every reachable agent, in a random order (limited sampling: the caller passes
 *                Nomad's max(2, ceil(log2 N)) as the limit; explanations scan them all)
 *   → per class  role, attribute constraints: judged once per agent class and cached, with the reason
 *   → counted    UNIQUE / GROUP_BY / MAX_PER / CLUSTER / hostname constraints, on live counters
 *   → agent      maintenance, cpus, mem, disk, gpus (whole devices), host ports, GPU agents kept for GPU work
 *   → rank       bin-pack (fullest after placing; default) or spread (emptiest)
 * Every refusal keeps its reason code and parameters.
 */
export function createPlacementStack(options: { scoring?: Scoring; checks?: readonly FeasibilityCheck[] } = {}): PlacementStack {
  const checks = options.checks ?? FUNNEL_CHECKS;
  const classChecks = checks.filter((c) => c.perClass);
  const agentChecks = checks.filter((c) => !c.perClass);
  const spread = options.scoring === "spread";

  const feasible = (agent: AgentNode, ctx: PlacementContext, classVerdicts: ClassVerdicts): Verdict => {
    let classVerdict = classVerdicts.get(agent.classKey);
    if (classVerdict === undefined) {
      classVerdict = ACCEPT;
      for (const c of classChecks) {
        const v = c.check(agent, ctx);
        if (!v.ok) {
          classVerdict = v;
          break;
        }
      }
      classVerdicts.set(agent.classKey, classVerdict);
    }
    if (!classVerdict.ok) return classVerdict;
    for (const c of agentChecks) {
      const v = c.check(agent, ctx);
      if (!v.ok) return v;
    }
    return ACCEPT;
  };

  const score = (agent: AgentNode, ctx: PlacementContext): number => {
    const ledger = ctx.ledgerOf(agent.agentId);
    const roles = ctx.demand.acceptedRoles;
    const free = ledger.freeIn(roles);
    let totalCpus = 0;
    let totalMem = 0;
    for (const [role, total] of ledger.totals()) {
      if (!roles.includes(role)) continue;
      totalCpus += total.cpus;
      totalMem += total.mem;
    }
    const fullness = (total: number, freeNow: number, need: number) => (total <= 0 ? 1 : (total - freeNow + need) / total);
    const packed = (fullness(totalCpus, free.cpus, ctx.demand.resources.cpus) + fullness(totalMem, free.mem, ctx.demand.resources.mem)) / 2;
    return spread ? 1 - packed : packed;
  };

  return {
    feasible,
    explain(agent, ctx) {
      return checks.map((c) => ({ dimension: c.dimension, verdict: c.check(agent, ctx) }));
    },
    select(candidates, ctx, classVerdicts, limit, random = Math.random) {
      let refused: Partial<Record<ReasonCode, number>> | undefined;
      let best: AgentNode | undefined;
      let bestScore = -Infinity;
      let examined = 0;
      let fits = 0;
      const n = candidates.length;
      const start = Math.floor(random() * n);
      const step = randomStride(n, random);
      for (let i = 0; i < n; i++) {
        const agent = candidates[(start + i * step) % n]!;
        examined++;
        const v = feasible(agent, ctx, classVerdicts);
        if (!v.ok) {
          refused ??= {};
          refused[v.code] = (refused[v.code] ?? 0) + 1;
          continue;
        }
        fits++;
        const s = score(agent, ctx);
        if (s > bestScore) {
          best = agent;
          bestScore = s;
        }
        if (fits >= limit) break;
      }
      return { placement: best && allocate(best, ctx, bestScore), examined, feasible: fits, refused: refused ?? NONE_REFUSED };
    },
  };
}

const NONE_REFUSED: Partial<Record<ReasonCode, number>> = Object.freeze({});

/** What the chosen agent gives the instance: the per-role split, its host ports and GPU devices. */
function allocate(agent: AgentNode, ctx: PlacementContext, score: number): Placement | undefined {
  const ledger = ctx.ledgerOf(agent.agentId);
  const byRole = ledger.split(ctx.demand.resources, ctx.demand.acceptedRoles);
  const ports = ledger.assignPorts(ctx.demand.ports);
  const gpus = ledger.assignGpus(ctx.demand.resources.gpus);
  // The checks passed on this very ledger, so none of these can be missing.
  if (!byRole || !ports || !gpus) return undefined;
  return { agent, allocation: { byRole, ports, gpus: gpus.map((g) => g.index) }, gpus, score };
}

/**
 * The agents in a pseudo-random order: a random start and a random stride coprime with their
 * number, so every agent comes exactly once, at O(1) cost to set up (no shuffle).
 */
export function* randomOrder<T>(items: readonly T[], random: () => number = Math.random): Generator<T> {
  const n = items.length;
  if (n === 0) return;
  const start = Math.floor(random() * n);
  const step = randomStride(n, random);
  for (let i = 0; i < n; i++) yield items[(start + i * step) % n]!;
}

/** A random stride coprime with `n` (1 when none is found quickly). */
function randomStride(n: number, random: () => number): number {
  for (let tries = 0; tries < 8 && n > 2; tries++) {
    const candidate = 1 + Math.floor(random() * (n - 1));
    if (gcd(candidate, n) === 1) return candidate;
  }
  return 1;
}

/** Nomad's candidate limit for `n` agents: max(2, ceil(log2 n)). */
export function candidateLimit(n: number): number {
  return Math.max(2, Math.ceil(Math.log2(Math.max(1, n))));
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
