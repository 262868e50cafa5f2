import type { ResourceAmount } from "./resources.ts";

/** An agent as the scheduler sees it: what it offers, whether it is reachable, and when it was last heard from. */
export interface AgentNode {
  agentId: string;
  hostname: string;
  total: ResourceAmount;
  attributes: Record<string, string>;
  roles: string[];
  capabilities: string[];
  active: boolean;
  /** Milliseconds since the epoch of the last registration or heartbeat. */
  lastSeenAt: number;
}
