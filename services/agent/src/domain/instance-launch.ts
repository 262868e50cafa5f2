/**
 * What the agent does with a LaunchInstance: run its app's one container as a task, with the
 * scheduler's assignment applied, or refuse the whole instance with a message naming what this
 * agent cannot run. Pure; never throws, whatever the run spec holds.
 */
import { registryV1RunSpec, type agentV1 } from "@gantry/proto";
import { planHealthChecks } from "./health-checks.ts";
import { killGraceMs, TASK_ID_PATTERN, type TaskLaunch, type TaskPortAssignment } from "./launch-spec.ts";
import type { TaskPort } from "./task-env.ts";

const { NetworkMode, RunSpecKind, VolumeKind } = registryV1RunSpec;

/** The message every task of a pod instance is refused with (pod sandboxes are not built yet). */
export const PODS_NOT_RUN_MESSAGE = "pods are not run by this agent yet";

/**
 * The agent's decision on one LaunchInstance: the task to start, or every task id of the
 * instance to report TASK_ERROR with `message` (`taskIds` is empty when the launch named none).
 */
export type InstanceLaunchDecision =
  | { ok: true; task: TaskLaunch }
  | { ok: false; taskIds: string[]; message: string };

/** What the decision needs to know of the agent. */
export interface InstanceLaunchContext {
  /** The agent's GPUs (its inventory). */
  gpus: readonly { index: number; uuid: string }[];
  /** GPUs held by tasks this agent runs now: index → task id. */
  gpusInUse: ReadonlyMap<number, string>;
}

/**
 * Why no agent, real or simulated, can take this LaunchInstance at all: no run spec, no
 * containers, not one task id per container, a task id unusable as a sandbox name, or one given
 * twice. Undefined when its shape is sound.
 */
export function instanceShapeProblem(launch: agentV1.LaunchInstance): string | undefined {
  const runSpec = launch.runSpec;
  if (runSpec === undefined) return "the launch carries no run spec";
  const containers = runSpec.containers.length;
  if (containers === 0) return "the run spec has no containers";
  if (launch.taskIds.length !== containers) return `the launch names ${launch.taskIds.length} task ids for ${containers} containers`;
  const bad = launch.taskIds.find((id) => !TASK_ID_PATTERN.test(id));
  if (bad !== undefined) return `task id "${bad}" is not usable as a sandbox name`;
  if (new Set(launch.taskIds).size !== launch.taskIds.length) return "the launch names a task id twice";
  return undefined;
}

/**
 * Decides a LaunchInstance, checks in this order, the first failing one refusing the instance:
 * its shape (`instanceShapeProblem`); a pod (kind POD, or several containers) is refused with
 * `PODS_NOT_RUN_MESSAGE`; container networks (CONTAINER, CONTAINER_BRIDGE) and volumes other
 * than HOST are refused naming them; then the container: secret references in its env (not
 * resolvable yet: the message names the variable and the secret), a command (shell → `/bin/sh
 * -c`, argv → run directly; neither is refused, image entrypoints are not run), non-negative
 * resources, the assigned host ports (one for every endpoint that has a host port, a fixed one
 * exactly as asked — requirePorts — and none for an endpoint that does not exist), and the
 * assigned GPUs (as many as the container asks for, each on this agent and held by no other
 * task), and its health checks (each one the agent can run: see `planHealthChecks`). HOST volumes need nothing: the task sees the agent's file system.
 */
export function decideInstanceLaunch(launch: agentV1.LaunchInstance, agent: InstanceLaunchContext): InstanceLaunchDecision {
  const refuse = (message: string): InstanceLaunchDecision => ({ ok: false, taskIds: [...launch.taskIds], message });
  const shape = instanceShapeProblem(launch);
  if (shape !== undefined) return refuse(shape);
  const runSpec = launch.runSpec!;
  if (runSpec.kind === RunSpecKind.POD || runSpec.containers.length > 1) return refuse(PODS_NOT_RUN_MESSAGE);

  const networks = runSpec.networks.filter((n) => n.mode === NetworkMode.CONTAINER || n.mode === NetworkMode.CONTAINER_BRIDGE);
  if (networks.length > 0) {
    return refuse(`container networks are not supported by this agent yet: ${networks.map((n) => `${NetworkMode[n.mode]}${n.name ? ` "${n.name}"` : ""}`).join(", ")}`);
  }
  const volumes = runSpec.volumes.filter((v) => v.kind !== VolumeKind.HOST);
  if (volumes.length > 0) {
    return refuse(`volumes other than HOST are not supported by this agent yet: ${volumes.map((v) => `"${v.name}" (${VolumeKind[v.kind] ?? v.kind})`).join(", ")}`);
  }

  const container = runSpec.containers[0]!;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(container.env)) {
    if (value.kind.case === "secret") {
      const source = runSpec.secrets[value.kind.value];
      return refuse(`env ${name} refers to secret "${value.kind.value}"${source ? ` (${source})` : ""}, which this agent cannot resolve yet`);
    }
    env[name] = value.kind.case === "value" ? value.kind.value : "";
  }

  const command = container.command?.kind;
  const argv = command?.case === "shell" ? (command.value.trim() === "" ? [] : ["/bin/sh", "-c", command.value]) : command?.case === "argv" ? [...command.value.args] : [];
  if (argv.length === 0) return refuse("the container has no command (shell or argv); image entrypoints are not run by this agent");

  const r = container.resources;
  const resources = { cpus: r?.cpus ?? 0, mem: r?.mem ?? 0, disk: r?.disk ?? 0, gpus: r?.gpus ?? 0 };
  if (!(resources.cpus >= 0) || !(resources.mem >= 0) || !(resources.disk >= 0)) return refuse("the container's resources must be non-negative");

  const ports = applyPorts(container, launch.ports);
  if (!ports.ok) return refuse(ports.message);
  const gpus = applyGpus(resources.gpus, launch.gpus, agent);
  if (!gpus.ok) return refuse(gpus.message);
  const health = planHealthChecks(container, ports.assigned);
  if (!health.ok) return refuse(health.message);

  const taskId = launch.taskIds[0]!;
  return {
    ok: true,
    task: {
      taskId,
      instanceId: launch.instanceId,
      appId: runSpec.id,
      appVersion: runSpec.version,
      env,
      resources,
      labels: { ...runSpec.labels },
      ports: ports.env,
      image: container.image,
      host: launch.host,
      argv,
      killGraceMs: killGraceMs(container.killGracePeriodSeconds),
      assignedGpus: gpus.indices,
      assignedPorts: ports.assigned,
      healthChecks: health.probes,
    },
  };
}

type Applied<T> = ({ ok: true } & T) | { ok: false; message: string };

/** Matches the assigned host ports to the container's endpoints (see `decideInstanceLaunch`). */
function applyPorts(container: registryV1RunSpec.ContainerSpec, assigned: readonly { container: string; endpoint: string; endpointIndex: number; hostPort: number; containerPort: number }[]): Applied<{ env: TaskPort[]; assigned: TaskPortAssignment[] }> {
  const byIndex = new Map<number, TaskPortAssignment>();
  for (const p of assigned) {
    const label = `host port ${p.hostPort} assigned to endpoint ${p.endpointIndex} of container "${p.container}"`;
    if (p.container !== container.name) return { ok: false, message: `${label}: the run spec has no such container` };
    const endpoint = container.endpoints[p.endpointIndex];
    if (endpoint === undefined || endpoint.hostPort === undefined) return { ok: false, message: `${label}: no such endpoint with a host port` };
    if (byIndex.has(p.endpointIndex)) return { ok: false, message: `${label}: the endpoint was assigned a port twice` };
    if (p.hostPort < 1 || p.hostPort > 65_535) return { ok: false, message: `${label}: not a port number` };
    if (endpoint.hostPort !== 0 && endpoint.hostPort !== p.hostPort) return { ok: false, message: `${label}: the run spec asks for exactly ${endpoint.hostPort}` };
    byIndex.set(p.endpointIndex, { container: p.container, endpoint: p.endpoint, endpointIndex: p.endpointIndex, hostPort: p.hostPort, containerPort: p.containerPort });
  }
  const env: TaskPort[] = [];
  for (const [i, endpoint] of container.endpoints.entries()) {
    const given = byIndex.get(i);
    if (endpoint.hostPort !== undefined && given === undefined) {
      return { ok: false, message: `endpoint ${i}${endpoint.name ? ` ("${endpoint.name}")` : ""} of container "${container.name}" has no assigned host port` };
    }
    // On the host network (all this agent runs) Marathon's requested port is the port
    // definition's port: a fixed host port, else the service port.
    env.push({ name: endpoint.name, requested: endpoint.hostPort || endpoint.servicePort || endpoint.containerPort, hostPort: given?.hostPort });
  }
  return { ok: true, env, assigned: [...byIndex.values()].sort((a, b) => a.endpointIndex - b.endpointIndex) };
}

/** Checks the assigned GPUs against the container's count and the agent's inventory (see `decideInstanceLaunch`). */
function applyGpus(wanted: number, assigned: readonly { index: number; uuid: string }[], agent: InstanceLaunchContext): Applied<{ indices: number[] }> {
  if (assigned.length !== wanted) return { ok: false, message: `the container asks for ${wanted} GPUs; ${assigned.length} were assigned` };
  const indices: number[] = [];
  for (const g of assigned) {
    const label = `GPU ${g.index}${g.uuid ? ` (${g.uuid})` : ""}`;
    const device = agent.gpus.find((d) => d.index === g.index);
    if (device === undefined || (g.uuid !== "" && device.uuid !== g.uuid)) return { ok: false, message: `${label} is not a GPU of this agent` };
    if (indices.includes(g.index)) return { ok: false, message: `${label} is assigned twice` };
    const holder = agent.gpusInUse.get(g.index);
    if (holder !== undefined) return { ok: false, message: `${label} is in use by task ${holder}` };
    indices.push(g.index);
  }
  return { ok: true, indices: indices.sort((a, b) => a - b) };
}
