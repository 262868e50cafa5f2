import type { AgentNode } from "../agent-node.ts";
import type { PlacementContext } from "./feasibility-checks.ts";

/**
 * Scores a feasible agent by how full it would be after placing the task (Nomad's bin
 * packing): fuller agents score higher, which keeps whole agents free for large tasks.
 * Score in [0, 1]; averaged over cpus and mem, the resources every task asks for.
 */
export function binPackScore(agent: AgentNode, ctx: PlacementContext): number {
  const free = ctx.free(agent.agentId);
  const usedAfter = (total: number, freeNow: number, need: number) => (total <= 0 ? 1 : (total - freeNow + need) / total);
  const cpu = usedAfter(agent.total.cpus, free.cpus, ctx.needs.cpus);
  const mem = usedAfter(agent.total.mem, free.mem, ctx.needs.mem);
  return (cpu + mem) / 2;
}
