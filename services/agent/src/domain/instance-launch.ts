/**
 * What the agent does with a LaunchInstance: run each container of its run spec (an app's one,
 * a pod's several) as a task, with the scheduler's assignment applied, sharing the instance's
 * network and volumes, or refuse the whole instance with a message naming what this agent
 * cannot run. Pure; never throws, whatever the run spec holds.
 */
import { registryV1RunSpec, type agentV1 } from "@gantry/proto";
import { planArtifacts } from "./artifacts.ts";
import { planHealthChecks } from "./health-checks.ts";
import { planReadinessChecks } from "./readiness-checks.ts";
import { killGraceMs, TASK_ID_PATTERN, type TaskLaunch, type TaskPortAssignment, type VolumeMount } from "./launch-spec.ts";
import type { TaskPort } from "./task-env.ts";

const { NetworkMode, RunSpecKind, VolumeKind } = registryV1RunSpec;

/**
 * The agent's decision on one LaunchInstance: its tasks (one per container, in order) and what
 * the instance shares (network, volumes), or every task id of the instance to report TASK_ERROR
 * with `message` (`taskIds` is empty when the launch named none).
 */
export type InstanceLaunchDecision =
  | { ok: true; tasks: TaskLaunch[]; instance: InstancePlan }
  | { ok: false; taskIds: string[]; message: string };

/** A host port published into the instance's network namespace (CNI portmap). */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

/** What the containers of one instance share; an app instance is a pod of one. */
export interface InstancePlan {
  instanceId: string;
  /** Its own network namespace on this CNI network, with these host ports published; undefined = the agent's own network. */
  network: { name: string; portMappings: PortMapping[] } | undefined;
  /** The instance's volumes: ephemeral ones (`hostPath` undefined) live in the instance's directory, shared by its containers. */
  volumes: { name: string; hostPath: string | undefined }[];
}

/** What the decision needs to know of the agent. */
export interface InstanceLaunchContext {
  /** The agent's GPUs (its inventory). */
  gpus: readonly { index: number; uuid: string }[];
  /** GPUs held by tasks this agent runs now: index → task id. */
  gpusInUse: ReadonlyMap<number, string>;
  /** Opens a sealed secret (its source path, the sealed value); absent where the agent has no secrets key. */
  openSecret?: (source: string, sealed: string) => string;
}

/** The CNI network of Marathon's BRIDGE networking (Mesos' UCR name for it). */
export const BRIDGE_NETWORK = "mesos-bridge";

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
 * its shape (`instanceShapeProblem`); its network (the host network, or ONE container network:
 * a named CNI network, BRIDGE as `mesos-bridge`; several are refused); its volumes (EPHEMERAL
 * and HOST; PERSISTENT and EXTERNAL are refused naming them); GPUs in a pod of several
 * containers (refused: the assignment does not say which container gets which); then each
 * container: secret references in its env (opened with the agent's secrets key from the values
 * sealed into the run spec; refused naming the variable and the secret when they cannot be), a command (shell → `/bin/sh -c`, argv → run directly; neither is refused,
 * image entrypoints are not run), non-negative resources, the assigned host ports (one for every
 * endpoint that has a host port, a fixed one exactly as asked — requirePorts — and none for an
 * endpoint that does not exist), the assigned GPUs (as many as the container asks for, each on
 * this agent and held by no other task), its volume mounts (of volumes the run spec has; an
 * ephemeral volume's mount path relative to the sandbox, as Mesos requires without an image),
 * and its health checks (each one the agent can run: see `planHealthChecks`).
 */
export function decideInstanceLaunch(launch: agentV1.LaunchInstance, agent: InstanceLaunchContext): InstanceLaunchDecision {
  const refuse = (message: string): InstanceLaunchDecision => ({ ok: false, taskIds: [...launch.taskIds], message });
  const shape = instanceShapeProblem(launch);
  if (shape !== undefined) return refuse(shape);
  const runSpec = launch.runSpec!;
  const pod = runSpec.kind === RunSpecKind.POD || runSpec.containers.length > 1;

  const containerNetworks = runSpec.networks.filter((n) => n.mode === NetworkMode.CONTAINER || n.mode === NetworkMode.CONTAINER_BRIDGE);
  if (containerNetworks.length > 1) return refuse(`an instance joins one container network on this agent; the run spec names ${containerNetworks.length}: ${containerNetworks.map(networkLabel).join(", ")}`);
  const joined = containerNetworks[0];
  const networkName = joined === undefined ? undefined : joined.mode === NetworkMode.CONTAINER_BRIDGE ? BRIDGE_NETWORK : joined.name || DEFAULT_CONTAINER_NETWORK;

  const unsupported = runSpec.volumes.filter((v) => v.kind !== VolumeKind.HOST && v.kind !== VolumeKind.EPHEMERAL);
  if (unsupported.length > 0) {
    return refuse(`volumes other than HOST and EPHEMERAL are not supported by this agent yet: ${unsupported.map((v) => `"${v.name}" (${VolumeKind[v.kind] ?? v.kind})`).join(", ")}`);
  }
  const volumes = runSpec.volumes.map((v) => ({ name: v.name, hostPath: v.kind === VolumeKind.HOST ? v.hostPath : undefined }));
  if (pod && runSpec.containers.length > 1 && launch.gpus.length > 0) return refuse("GPUs for a pod of several containers are not supported by this agent yet");

  const stray = launch.ports.find((p) => !runSpec.containers.some((c) => c.name === p.container));
  if (stray !== undefined) return refuse(`host port ${stray.hostPort} assigned to endpoint ${stray.endpointIndex} of container "${stray.container}": the run spec has no such container`);
  const podEndpoints = runSpec.containers.flatMap((c) => c.endpoints.map((e, i) => ({ container: c.name, index: i, name: e.name, containerPort: e.containerPort })));
  const tasks: TaskLaunch[] = [];
  const portMappings: PortMapping[] = [];
  for (const [i, container] of runSpec.containers.entries()) {
    const decided = containerTask(launch, container, launch.taskIds[i]!, agent, { pod, volumes, hostNetwork: networkName === undefined });
    if (!decided.ok) return refuse(runSpec.containers.length > 1 ? `container "${container.name}": ${decided.message}` : decided.message);
    tasks.push(decided.task);
    if (networkName !== undefined) {
      for (const p of decided.task.assignedPorts) {
        const endpoint = container.endpoints[p.endpointIndex]!;
        const protocols = endpoint.protocols.length === 0 ? ["tcp"] : endpoint.protocols;
        for (const protocol of protocols) if (protocol === "tcp" || protocol === "udp") portMappings.push({ hostPort: p.hostPort, containerPort: endpoint.containerPort || p.hostPort, protocol });
      }
    }
  }
  if (pod) {
    for (const task of tasks) {
      task.podEndpoints = podEndpoints.map((e) => ({
        name: e.name,
        containerPort: e.containerPort,
        hostPort: tasks.flatMap((t) => t.assignedPorts).find((p) => p.container === e.container && p.endpointIndex === e.index)?.hostPort,
      }));
    }
  }
  return { ok: true, tasks, instance: { instanceId: launch.instanceId, network: networkName === undefined ? undefined : { name: networkName, portMappings }, volumes } };
}

/** DC/OS's default container network, for a container network the run spec leaves unnamed. */
export const DEFAULT_CONTAINER_NETWORK = "dcos";

function networkLabel(n: registryV1RunSpec.NetworkSpec): string {
  return `${NetworkMode[n.mode]}${n.name ? ` "${n.name}"` : ""}`;
}

/** One container's task (see `decideInstanceLaunch` for the checks, in order). */
function containerTask(
  launch: agentV1.LaunchInstance,
  container: registryV1RunSpec.ContainerSpec,
  taskId: string,
  agent: InstanceLaunchContext,
  instance: { pod: boolean; volumes: readonly { name: string; hostPath: string | undefined }[]; hostNetwork: boolean },
): Applied<{ task: TaskLaunch }> {
  const runSpec = launch.runSpec!;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(container.env)) {
    if (value.kind.case === "secret") {
      const opened = openEnvSecret(runSpec, value.kind.value, agent);
      if (!opened.ok) return { ok: false, message: `env ${name}: ${opened.message}` };
      env[name] = opened.value;
      continue;
    }
    env[name] = value.kind.case === "value" ? value.kind.value : "";
  }

  const command = container.command?.kind;
  const argv = command?.case === "shell" ? (command.value.trim() === "" ? [] : ["/bin/sh", "-c", command.value]) : command?.case === "argv" ? [...command.value.args] : [];
  if (argv.length === 0) return { ok: false, message: "the container has no command (shell or argv); image entrypoints are not run by this agent" };

  const r = container.resources;
  const resources = { cpus: r?.cpus ?? 0, mem: r?.mem ?? 0, disk: r?.disk ?? 0, gpus: r?.gpus ?? 0 };
  if (!(resources.cpus >= 0) || !(resources.mem >= 0) || !(resources.disk >= 0)) return { ok: false, message: "the container's resources must be non-negative" };

  const ports = applyPorts(container, launch.ports.filter((p) => !instance.pod || p.container === container.name), instance.hostNetwork);
  if (!ports.ok) return ports;
  const gpus = applyGpus(resources.gpus, launch.gpus, agent);
  if (!gpus.ok) return gpus;
  const mounts = applyMounts(container, instance.volumes);
  if (!mounts.ok) return mounts;
  const health = planHealthChecks(container, ports.assigned, !instance.hostNetwork);
  if (!health.ok) return health;
  // Marathon 1.4 has readiness checks for apps only (their one container).
  const readiness = instance.pod ? { ok: true as const, probes: [] } : planReadinessChecks(runSpec.readinessChecks, container, ports.assigned, !instance.hostNetwork);
  if (!readiness.ok) return readiness;
  const artifacts = planArtifacts(container.artifacts);
  if (!artifacts.ok) return artifacts;

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
      readinessChecks: readiness.probes,
      volumeMounts: mounts.mounts,
      user: container.user || runSpec.user,
      artifacts: artifacts.artifacts,
      ...(instance.pod ? { container: container.name } : {}),
    },
  };
}

/** The container's volume mounts: each of a volume the run spec has; an ephemeral volume's path relative to the sandbox. */
function applyMounts(container: registryV1RunSpec.ContainerSpec, volumes: readonly { name: string; hostPath: string | undefined }[]): Applied<{ mounts: VolumeMount[] }> {
  const mounts: VolumeMount[] = [];
  for (const m of container.volumeMounts) {
    const volume = volumes.find((v) => v.name === m.name);
    if (volume === undefined) return { ok: false, message: `volume mount "${m.name}" names no volume of the run spec` };
    const relative = !m.mountPath.startsWith("/");
    if (!relative && volume.hostPath === undefined) {
      return { ok: false, message: `volume mount "${m.name}": the mount path of an ephemeral volume must be relative to the sandbox without a container image (${m.mountPath})` };
    }
    if (relative && (m.mountPath === "" || m.mountPath.split("/").some((s) => s === ".." || s === "." || s === ""))) {
      return { ok: false, message: `volume mount "${m.name}": mount path "${m.mountPath}" must name a path inside the sandbox` };
    }
    // An absolute path of a HOST volume needs no link: the task sees the agent's file system.
    if (relative) mounts.push({ volume: m.name, mountPath: m.mountPath, readOnly: m.readOnly });
  }
  return { ok: true, mounts };
}

type Applied<T> = ({ ok: true } & T) | { ok: false; message: string };

/** Matches the assigned host ports to the container's endpoints (see `decideInstanceLaunch`). */
function applyPorts(
  container: registryV1RunSpec.ContainerSpec,
  assigned: readonly { container: string; endpoint: string; endpointIndex: number; hostPort: number; containerPort: number }[],
  hostNetwork: boolean,
): Applied<{ env: TaskPort[]; assigned: TaskPortAssignment[] }> {
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
    // Marathon's requested port: on the host network the port definition's port (a fixed host
    // port, else the service port); on a container network the container port.
    const requested = hostNetwork ? endpoint.hostPort || endpoint.servicePort || endpoint.containerPort : endpoint.containerPort;
    env.push({ name: endpoint.name, requested, hostPort: given?.hostPort });
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

/** The value of the run spec's secret `name`: its source's sealed value, opened (never logged). */
function openEnvSecret(runSpec: registryV1RunSpec.RunSpec, name: string, agent: InstanceLaunchContext): Applied<{ value: string }> {
  const source = runSpec.secrets[name];
  if (!source) return { ok: false, message: `refers to secret "${name}", which the run spec does not define` };
  const sealed = runSpec.sealedSecrets[source];
  if (!sealed) return { ok: false, message: `secret "${name}" (${source}) was not sealed into the run spec` };
  if (!agent.openSecret) return { ok: false, message: `secret "${name}" (${source}): this agent has no secrets key (GANTRY_SECRETS_KEY_FILE)` };
  try {
    return { ok: true, value: agent.openSecret(source, sealed) };
  } catch (err) {
    return { ok: false, message: `secret "${name}": ${(err as Error).message}` };
  }
}
