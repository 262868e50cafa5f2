import type { ResourceAmount } from "./resources.ts";

/** An inclusive range of host ports. */
export interface PortRange {
  begin: number;
  end: number;
}

/** One GPU device of an agent. */
export interface GpuDevice {
  index: number;
  uuid: string;
  model: string;
}

/**
 * An agent as the scheduler sees it: what it offers (per role, ports, GPU devices), whether it is
 * reachable or draining, and when it was last heard from. `classKey` groups agents that every
 * static check answers alike (same roles, reservations and attributes): feasibility is cached
 * per class.
 */
export interface AgentNode {
  agentId: string;
  hostname: string;
  /** Everything it offers, all roles together. */
  total: ResourceAmount;
  /** What it offers per role ("*" = unreserved). */
  totalByRole: ReadonlyMap<string, ResourceAmount>;
  attributes: Record<string, string>;
  roles: string[];
  capabilities: string[];
  portRanges: readonly PortRange[];
  gpus: readonly GpuDevice[];
  /** Reachable (heartbeats arrive); a lost agent takes nothing and is not offered. */
  active: boolean;
  /** In maintenance: takes no new instances; the ones it runs stay until told. */
  draining: boolean;
  /** Milliseconds since the epoch of the last registration or heartbeat. */
  lastSeenAt: number;
  /** Seconds between heartbeats it was asked for (0: the scheduler's base interval). */
  heartbeatIntervalSeconds: number;
  /** Its gRPC endpoint (`host:port`) for exec, as advertised at registration; absent when it has none. */
  grpcEndpoint?: string;
  classKey: string;
}

/** The class key of an agent: its roles, reservations and attributes, in a stable order. */
export function agentClassKey(agent: Pick<AgentNode, "roles" | "totalByRole" | "attributes">): string {
  const attributes = Object.keys(agent.attributes).sort().map((k) => `${k}=${agent.attributes[k]}`);
  const roles = [...agent.totalByRole.keys()].sort();
  return `${[...agent.roles].sort().join(",")}|${roles.join(",")}|${attributes.join(";")}`;
}
