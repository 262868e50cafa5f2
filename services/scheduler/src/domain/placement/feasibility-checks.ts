import type { AgentNode } from "../agent-node.ts";
import type { AgentLedger } from "../ledger/agent-ledger.ts";
import type { RunSpecDemand } from "../run-spec-demand.ts";
import { ACCEPT, refuse, type Dimension, type Verdict } from "./verdict.ts";

/**
 * What a check sees besides the agent: the demand, the agent's ledger (with this pass's
 * placements already held), the demand's constraint judgements, and cluster policy.
 */
export interface PlacementContext {
  demand: RunSpecDemand;
  ledgerOf(agentId: string): AgentLedger;
  /** Constraints that depend only on the agent's class (attributes): cached per class. */
  classConstraints(agent: AgentNode): Verdict;
  /** Constraints that count placed instances (UNIQUE, GROUP_BY, MAX_PER, CLUSTER, hostname rules). */
  countedConstraints(agent: AgentNode): Verdict;
  /** Agents with GPUs take only instances that need GPUs (DC/OS's default; a cluster option turns it off). */
  reserveGpuAgents: boolean;
}

/**
 * A pure feasibility check: does this agent fit, and if not, why. `perClass` checks depend only
 * on the demand and the agent's class (roles, reservations, attributes): their verdict is cached
 * per class and not asked again for agents of a class already judged.
 */
export interface FeasibilityCheck {
  dimension: Dimension;
  perClass: boolean;
  check(agent: AgentNode, ctx: PlacementContext): Verdict;
}

/** The agent must offer resources of a role the run spec accepts (Marathon's acceptedResourceRoles). */
export const roleCheck: FeasibilityCheck = {
  dimension: "role",
  perClass: true,
  check(agent, ctx) {
    if (ctx.ledgerOf(agent.agentId).offersAny(ctx.demand.acceptedRoles)) return ACCEPT;
    return refuse("UnfulfilledRole", { offered: [...ctx.ledgerOf(agent.agentId).totals().keys()].join(", "), accepted: ctx.demand.acceptedRoles.join(", ") });
  },
};

/** Attribute constraints that hold or fail for a whole class of agents (LIKE, UNLIKE, IS, CLUSTER on a value). */
export const classConstraintCheck: FeasibilityCheck = {
  dimension: "constraint",
  perClass: true,
  check: (agent, ctx) => ctx.classConstraints(agent),
};

/** Constraints that depend on where the run spec's instances already are. */
export const countedConstraintCheck: FeasibilityCheck = {
  dimension: "constraint",
  perClass: false,
  check: (agent, ctx) => ctx.countedConstraints(agent),
};

/** A draining agent takes no new instances. */
export const maintenanceCheck: FeasibilityCheck = {
  dimension: "maintenance",
  perClass: false,
  check: (agent) => (agent.draining ? refuse("AgentMaintenance", {}) : ACCEPT),
};

function scalarCheck(dimension: "cpus" | "mem" | "disk" | "gpus", code: "InsufficientCpus" | "InsufficientMemory" | "InsufficientDisk" | "InsufficientGpus"): FeasibilityCheck {
  return {
    dimension,
    perClass: false,
    check(agent, ctx) {
      const needed = ctx.demand.resources[dimension];
      // Marathon skips resources the run spec does not ask for.
      if (needed <= 0) return ACCEPT;
      const free = ctx.ledgerOf(agent.agentId).freeIn(ctx.demand.acceptedRoles)[dimension];
      return free + 1e-9 >= needed ? ACCEPT : refuse(code, { needed, free });
    },
  };
}

/** Free cpus across the accepted roles must cover the instance. */
export const cpusCheck = scalarCheck("cpus", "InsufficientCpus");
/** Free memory across the accepted roles must cover the instance. */
export const memCheck = scalarCheck("mem", "InsufficientMemory");
/** Free disk across the accepted roles must cover the instance. */
export const diskCheck = scalarCheck("disk", "InsufficientDisk");

/** Whole GPU devices, exclusively: enough free devices (and GPU scalar) for the instance. */
export const gpusCheck: FeasibilityCheck = {
  dimension: "gpus",
  perClass: false,
  check(agent, ctx) {
    const needed = ctx.demand.resources.gpus;
    if (needed <= 0) return ACCEPT;
    const ledger = ctx.ledgerOf(agent.agentId);
    const free = ledger.freeIn(ctx.demand.acceptedRoles).gpus;
    if (free < needed || ledger.assignGpus(needed) === undefined) return refuse("InsufficientGpus", { needed, free });
    return ACCEPT;
  },
};

/** Every host port the instance needs can be had (fixed ones free and in range; enough free for the dynamic ones). */
export const portsCheck: FeasibilityCheck = {
  dimension: "ports",
  perClass: false,
  check(agent, ctx) {
    const requests = ctx.demand.ports;
    if (requests.length === 0) return ACCEPT;
    if (ctx.ledgerOf(agent.agentId).canAssignPorts(requests)) return ACCEPT;
    const fixed = requests.filter((r) => r.hostPort !== 0).map((r) => r.hostPort);
    return refuse("InsufficientPorts", {
      requested: requests.map((r) => (r.hostPort === 0 ? "any" : String(r.hostPort))).join(", "),
      problem: fixed.length > 0 ? `${fixed.join(", ")} taken or outside the agent's ranges, or too few free` : "too few free ports in the agent's ranges",
    });
  },
};

/** GPU agents are kept for GPU work (Marathon 1.7's DeclinedScarceResources), unless the cluster says otherwise. */
export const scarceResourceCheck: FeasibilityCheck = {
  dimension: "gpus",
  perClass: false,
  check(agent, ctx) {
    if (!ctx.reserveGpuAgents || ctx.demand.resources.gpus > 0) return ACCEPT;
    const ledger = ctx.ledgerOf(agent.agentId);
    return ledger.hasGpus ? refuse("DeclinedScarceResources", { gpus: agent.total.gpus || agent.gpus.length }) : ACCEPT;
  },
};

/** The checks in Marathon's funnel order (cheap and class-wide first). */
export const FUNNEL_CHECKS: readonly FeasibilityCheck[] = [
  roleCheck,
  classConstraintCheck,
  countedConstraintCheck,
  maintenanceCheck,
  cpusCheck,
  memCheck,
  diskCheck,
  gpusCheck,
  portsCheck,
  scarceResourceCheck,
];
