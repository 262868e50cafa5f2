import type { schedulerV1Model } from "@gantry/proto";
import { renderTable } from "./table.ts";

/** An agent's state for people: `lost` (missed heartbeats), `draining` (takes no new instances) or `active`. */
export function agentState(agent: schedulerV1Model.Agent): "lost" | "draining" | "active" {
  if (!agent.active) return "lost";
  return agent.draining ? "draining" : "active";
}

/** `gantry node list`: one row per agent with its state, free/total resources and isolation; "no agents" when there is none. Pure. */
export function renderAgents(agents: readonly schedulerV1Model.Agent[]): string {
  const rows = agents.map((a) => [
    a.agentId,
    a.hostname,
    agentState(a),
    `${a.free?.cpus ?? 0}/${a.total?.cpus ?? 0}`,
    `${a.free?.mem ?? 0}/${a.total?.mem ?? 0}`,
    `${a.free?.gpus ?? 0}/${a.total?.gpus ?? 0}`,
    a.capabilities.join(","),
  ]);
  return renderTable(["id", "hostname", "state", "cpus free/total", "mem free/total (MB)", "gpus", "isolation"], rows, "no agents");
}
