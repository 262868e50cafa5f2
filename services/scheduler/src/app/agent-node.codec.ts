import type { agentV1, schedulerV1Model } from "@gantry/proto";
import { agentClassKey, subtractResources, type AgentNode, type ResourceAmount } from "../domain/index.ts";

const amount = (r: schedulerV1Model.Resources | undefined): ResourceAmount => ({ cpus: r?.cpus ?? 0, mem: r?.mem ?? 0, disk: r?.disk ?? 0, gpus: r?.gpus ?? 0 });

/**
 * The agent a registration describes. Its resources per role: the reservations as given and the
 * rest unreserved ("*"); with no reservations and exactly one role other than "*" (DC/OS's public
 * agents, `--roles slave_public`), everything belongs to that role. GPU devices as listed (an
 * agent counting GPUs without listing them gets indices 0..n-1 from its ledger).
 */
export function agentNodeOf(r: agentV1.AgentRegistration, registeredAt: number, draining: boolean, heartbeatIntervalSeconds = 0): AgentNode {
  const total = amount(r.resources);
  const roles = r.roles.length > 0 ? [...r.roles] : ["*"];
  const totalByRole = new Map<string, ResourceAmount>();
  if (r.reservations.length > 0) {
    let unreserved = total;
    for (const reservation of r.reservations) {
      const reserved = amount(reservation.resources);
      totalByRole.set(reservation.role, reserved);
      unreserved = subtractResources(unreserved, reserved);
    }
    if (unreserved.cpus > 0 || unreserved.mem > 0 || unreserved.disk > 0 || unreserved.gpus > 0) totalByRole.set("*", unreserved);
  } else {
    const own = roles.filter((role) => role !== "*");
    totalByRole.set(own.length === 1 && !roles.includes("*") ? own[0]! : "*", total);
  }
  const node = {
    agentId: r.agentId,
    hostname: r.hostname,
    total,
    totalByRole,
    attributes: { ...r.attributes },
    roles,
    capabilities: [...r.capabilities],
    portRanges: r.ports.map((p) => ({ begin: p.begin, end: p.end })).filter((p) => p.end >= p.begin),
    gpus: r.gpus.map((g) => ({ index: g.index, uuid: g.uuid, model: g.model })),
    active: true,
    draining,
    lastSeenAt: registeredAt,
    heartbeatIntervalSeconds,
    ...(r.grpcEndpoint ? { grpcEndpoint: r.grpcEndpoint } : {}),
  };
  return { ...node, classKey: agentClassKey(node) };
}
