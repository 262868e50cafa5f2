import { create } from "@bufbuild/protobuf";
import { schedulerV1Model } from "@gantry/proto";
import type { AgentLedger, AgentNode } from "../domain/index.ts";

/** An agent as the gRPC API shows it: what it offers (per role, ports, GPUs), what is free, its state. */
export function toProtoAgent(a: AgentNode, ledger: AgentLedger): schedulerV1Model.Agent {
  const roles = [...ledger.totals().keys()];
  const inUse = ledger.gpusInUse();
  return create(schedulerV1Model.AgentSchema, {
    agentId: a.agentId,
    hostname: a.hostname,
    total: a.total,
    free: ledger.freeIn(roles),
    attributes: a.attributes,
    roles: a.roles,
    capabilities: a.capabilities,
    active: a.active,
    draining: a.draining,
    lastSeenAt: new Date(a.lastSeenAt).toISOString(),
    totalByRole: [...ledger.totals()].map(([role, resources]) => ({ role, resources })),
    freeByRole: roles.map((role) => ({ role, resources: ledger.freeOf(role) })),
    portRanges: a.portRanges.map((r) => ({ begin: r.begin, end: r.end })),
    portsInUse: ledger.portsInUse(),
    grpcEndpoint: a.grpcEndpoint ?? "",
    gpus: (a.gpus.length > 0 ? a.gpus : Array.from({ length: a.total.gpus }, (_, index) => ({ index, uuid: "", model: "" }))).map((g) => ({ ...g, inUse: inUse.has(g.index) })),
  });
}
