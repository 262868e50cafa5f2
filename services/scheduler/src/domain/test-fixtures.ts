/** Builders of domain values for the scheduler's tests (not used by the service itself). */
import { agentClassKey, type AgentNode } from "./agent-node.ts";
import type { Instance } from "./instance.ts";
import type { ResourceAmount } from "./resources.ts";
import type { RunSpecDemand } from "./run-spec-demand.ts";

const NONE: ResourceAmount = { cpus: 0, mem: 0, disk: 0, gpus: 0 };

/** An agent offering `total` (unreserved unless `byRole` is given), reachable, not draining. */
export function testAgent(agentId: string, total: Partial<ResourceAmount>, extra: Partial<Omit<AgentNode, "classKey">> = {}): AgentNode {
  const all = { ...NONE, ...total };
  const roles = extra.roles ?? ["*"];
  const totalByRole = extra.totalByRole ?? new Map([[roles[0] ?? "*", all]]);
  const agent = {
    agentId,
    hostname: `${agentId}.local`,
    total: all,
    totalByRole,
    attributes: {},
    roles,
    capabilities: [],
    portRanges: [],
    gpus: [],
    active: true,
    draining: false,
    lastSeenAt: 0,
    heartbeatIntervalSeconds: 0,
    ...extra,
  };
  return { ...agent, classKey: agentClassKey(agent) };
}

/** A run spec's demand: one container asking for `resources`, `instances` of them, accepting "*". */
export function testDemand(id: string, over: Partial<RunSpecDemand> = {}): RunSpecDemand {
  return {
    id,
    pod: false,
    configVersion: "v1",
    version: "v1",
    instances: 1,
    resources: { cpus: 1, mem: 128, disk: 0, gpus: 0 },
    acceptedRoles: ["*"],
    constraints: [],
    ports: [],
    containers: [id.split("/").pop() ?? "app"],
    killSelection: "YOUNGEST_FIRST",
    backoff: { backoffSeconds: 1, backoffFactor: 1.15, maxLaunchDelaySeconds: 3600 },
    killGracePeriodSeconds: 3,
    upgrade: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
    ...over,
  };
}

/** A running instance of `/web` on agent `a`. */
export function testInstance(instanceId: string, over: Partial<Instance> = {}): Instance {
  return {
    instanceId,
    taskId: instanceId,
    appId: "/web",
    appVersion: "v1",
    agentId: "a",
    host: "a.local",
    pod: false,
    tasks: [{ taskId: instanceId, container: "web", state: over.state ?? "TASK_RUNNING" }],
    state: "TASK_RUNNING",
    message: "",
    exitCode: -1,
    resources: { cpus: 1, mem: 128, disk: 0, gpus: 0 },
    allocation: { byRole: [], ports: [], gpus: [] },
    ports: [],
    gpus: [],
    placedAt: 0,
    updatedAt: 0,
    killRequested: false,
    ...over,
  };
}
