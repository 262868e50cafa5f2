import type { PortMapping } from "./instance-launch.ts";
import { parseJsonObject } from "./json-object.ts";

/**
 * What the agent writes to `<workDir>/instances/<instanceId>/instance.json` for an instance whose
 * containers share something (a network namespace, ephemeral volumes): written BEFORE any of
 * them is set up, so a restarted agent knows what to tear down, and rewritten once the network
 * is attached and when it was detached. Apps on the agent's own network without volumes have none.
 */
export interface InstanceRecord {
  version: 1;
  instanceId: string;
  agentId: string;
  taskIds: string[];
  /** The instance's network, once asked for: `attachment` is set when CNI ADD succeeded. */
  network?: {
    name: string;
    netnsName: string;
    portMappings: PortMapping[];
    attachment?: { netnsPath: string; ip: string; result: unknown };
  };
  /** Set when the network was detached (every task of the instance ended). */
  releasedAt?: string;
}

/** Reads an instance record from its JSON text; undefined when it is not one. */
export function parseInstanceRecord(text: string): InstanceRecord | undefined {
  const v = parseJsonObject(text);
  if (v === undefined) return undefined;
  const r = v as Partial<InstanceRecord>;
  const ok = r.version === 1 && typeof r.instanceId === "string" && typeof r.agentId === "string" && Array.isArray(r.taskIds) && r.taskIds.every((t) => typeof t === "string");
  if (!ok) return undefined;
  if (r.network !== undefined && (typeof r.network.name !== "string" || typeof r.network.netnsName !== "string" || !Array.isArray(r.network.portMappings))) return undefined;
  return r as InstanceRecord;
}
