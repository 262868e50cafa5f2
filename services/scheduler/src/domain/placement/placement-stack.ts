import type { AgentNode } from "../agent-node.ts";
import { binPackScore } from "./bin-pack-ranker.ts";
import { activeCheck, resourceCheck, roleCheck, type FeasibilityCheck, type PlacementContext } from "./feasibility-checks.ts";
import type { RejectionCode } from "./verdict.ts";

/** Why one agent was not chosen. */
export interface AgentRejection {
  agentId: string;
  check: string;
  code: RejectionCode;
  message: string;
}

/** The result of placing one task: the chosen agent, or none; and every rejection, with counts per code. */
export interface PlacementDecision {
  agent: AgentNode | undefined;
  rejections: AgentRejection[];
  counts: Partial<Record<RejectionCode, number>>;
}

/** Selects an agent for a task. */
export interface PlacementStack {
  select(agents: Iterable<AgentNode>, ctx: PlacementContext): PlacementDecision;
}

/**
 * The placement pipeline, in order (Nomad's stack, in small):
 *   candidates (every known agent)
 *   → active    lost agents take nothing
 *   → role      the app's acceptedResourceRoles (cheap, rules out whole classes of agents)
 *   → resources cpus, mem, disk, gpus against what is free now
 *   → rank      bin-pack score; ties broken by agent id so decisions are reproducible
 */
export function createPlacementStack(checks: FeasibilityCheck[] = [activeCheck, roleCheck, resourceCheck]): PlacementStack {
  return {
    select(agents, ctx) {
      const rejections: AgentRejection[] = [];
      const counts: Partial<Record<RejectionCode, number>> = {};
      let best: AgentNode | undefined;
      let bestScore = -1;
      for (const agent of agents) {
        let feasible = true;
        for (const c of checks) {
          const v = c.check(agent, ctx);
          if (!v.ok) {
            rejections.push({ agentId: agent.agentId, check: c.name, code: v.code, message: v.message });
            counts[v.code] = (counts[v.code] ?? 0) + 1;
            feasible = false;
            break;
          }
        }
        if (!feasible) continue;
        const score = binPackScore(agent, ctx);
        if (score > bestScore || (score === bestScore && best !== undefined && agent.agentId < best.agentId)) {
          best = agent;
          bestScore = score;
        }
      }
      return { agent: best, rejections, counts };
    },
  };
}
