import type { AgentNode } from "../agent-node.ts";
import type { ResourceAmount } from "../resources.ts";
import { ACCEPT, reject, type Verdict } from "./verdict.ts";

/** What a checker sees besides the agent: the task's needs and the agent's free resources now. */
export interface PlacementContext {
  needs: ResourceAmount;
  acceptedRoles: string[];
  free(agentId: string): ResourceAmount;
}

/** A pure feasibility check: does this agent fit, and if not, why. */
export interface FeasibilityCheck {
  name: string;
  check(agent: AgentNode, ctx: PlacementContext): Verdict;
}

/** Lost or draining agents take nothing. */
export const activeCheck: FeasibilityCheck = {
  name: "active",
  check: (agent) => (agent.active ? ACCEPT : reject("AgentInactive", `agent ${agent.agentId} is not active`)),
};

/** The agent must offer one of the roles the app accepts ("*" is the default role). */
export const roleCheck: FeasibilityCheck = {
  name: "role",
  check(agent, ctx) {
    if (ctx.acceptedRoles.some((r) => agent.roles.includes(r))) return ACCEPT;
    return reject("UnmatchedRole", `agent offers roles [${agent.roles.join(", ")}], app accepts [${ctx.acceptedRoles.join(", ")}]`);
  },
};

/** Free cpus, mem, disk and gpus must each cover the task's needs (cheapest first: cpus, mem). */
export const resourceCheck: FeasibilityCheck = {
  name: "resources",
  check(agent, ctx) {
    const free = ctx.free(agent.agentId);
    const n = ctx.needs;
    if (free.cpus < n.cpus) return reject("InsufficientCpus", `needs ${n.cpus} cpus, ${free.cpus} free`);
    if (free.mem < n.mem) return reject("InsufficientMemory", `needs ${n.mem} MB mem, ${free.mem} free`);
    if (free.disk < n.disk) return reject("InsufficientDisk", `needs ${n.disk} MB disk, ${free.disk} free`);
    if (free.gpus < n.gpus) return reject("InsufficientGpus", `needs ${n.gpus} gpus, ${free.gpus} free`);
    return ACCEPT;
  },
};
