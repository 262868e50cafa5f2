/**
 * A task's environment: Marathon's task variables (so Marathon apps run unchanged), the app's
 * own, and what the platform guarantees. Pure; the one place the agent computes it, whichever
 * command (LaunchTask or LaunchInstance) asked for the task.
 */

/** What a task may use, as the scheduler accounted it (mem and disk in megabytes). */
export interface TaskResources {
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
}

/** One port of a task as Marathon's variables name it, in the order of the app's ports. */
export interface TaskPort {
  /** The endpoint's name; "" when unnamed. */
  name: string;
  /**
   * The port the run spec asked for (Marathon's "requested" port): on the host network the
   * port definition's port (the fixed host port with requirePorts, else the service port), on
   * a container network the container port; 0 when it asked for any.
   */
  requested: number;
  /** The host port the scheduler assigned; undefined when the endpoint has no host port. */
  hostPort: number | undefined;
}

/** What a task's environment is computed from. */
export interface TaskEnvSpec {
  taskId: string;
  instanceId: string;
  appId: string;
  appVersion: string;
  /** The app's own variables, literal values only (secret references are refused before). */
  env: Readonly<Record<string, string>>;
  resources: TaskResources;
  /** The run spec's labels (MARATHON_APP_LABELS, MARATHON_APP_LABEL_<NAME>). */
  labels: Readonly<Record<string, string>>;
  /**
   * The task's ports with their assigned host ports (PORT0…n, PORT, PORTS, PORT_<port>,
   * PORT_<NAME>). Undefined for a LaunchTask, whose scheduler put PORT0…n in `env`: PORT and
   * PORTS are derived from those then.
   */
  ports: readonly TaskPort[] | undefined;
  /** The container image the run spec names ("" = none): MARATHON_APP_DOCKER_IMAGE. */
  image: string;
  /** HOST as the scheduler names this agent; "" = the agent's own hostname. */
  host: string;
  /** A pod's container: its name (MARATHON_CONTAINER_ID); undefined for an app's task. */
  container?: string;
  /**
   * A pod's endpoints, of all its containers (ENDPOINT_<NAME>, EP_HOST_<NAME>, EP_CONTAINER_<NAME>):
   * the host port the scheduler assigned (undefined when none) and the container port (0 on the host network).
   */
  podEndpoints?: readonly { name: string; hostPort: number | undefined; containerPort: number }[];
}

/** What the agent adds to a task's environment from where it runs. */
export interface TaskEnvContext {
  hostname: string;
  sandbox: string;
  agentId: string;
  /** The agent's own environment; only PATH, HOME, LANG, LC_ALL and TZ pass through. */
  inherited: Readonly<Record<string, string | undefined>>;
  /** GPU indices given to the task; undefined when the agent has no GPUs (nothing set then). */
  gpuIndices: readonly number[] | undefined;
}

const PASS_THROUGH = ["PATH", "HOME", "LANG", "LC_ALL", "TZ"] as const;
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Marathon's limit on a variable's length (names and values), and the prefix of label variables. */
const MAX_ENV_LENGTH = 512;
const LABEL_PREFIX = "MARATHON_APP_LABEL_";

/**
 * The environment of a task, in layers, later wins:
 * 1. a few of the agent's variables (PATH, HOME, LANG, LC_ALL, TZ; PATH defaulted);
 * 2. Marathon's task variables: HOST, MARATHON_APP_ID, MARATHON_APP_VERSION,
 *    MARATHON_APP_DOCKER_IMAGE, MARATHON_APP_RESOURCE_{CPUS,MEM,DISK,GPUS},
 *    MARATHON_APP_LABELS and MARATHON_APP_LABEL_<NAME>, and the port variables
 *    (`marathonPortsEnv`);
 * 3. the app's `env`: it overrides Marathon's variables, as in Marathon;
 * 4. what the platform guarantees and no app may change: MESOS_TASK_ID, MESOS_SANDBOX,
 *    GANTRY_TASK_ID, GANTRY_INSTANCE_ID, GANTRY_AGENT_ID, and on a GPU agent
 *    CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES listing exactly the task's GPUs by index
 *    (`""` / `void` for a task without GPUs).
 */
export function buildTaskEnvironment(spec: TaskEnvSpec, ctx: TaskEnvContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of PASS_THROUGH) {
    const v = ctx.inherited[k];
    if (v !== undefined) env[k] = v;
  }
  env.PATH ??= DEFAULT_PATH;

  const r = spec.resources;
  Object.assign(env, {
    HOST: spec.host || ctx.hostname,
    MARATHON_APP_ID: spec.appId,
    MARATHON_APP_VERSION: spec.appVersion,
    MARATHON_APP_RESOURCE_CPUS: String(r.cpus),
    MARATHON_APP_RESOURCE_MEM: String(r.mem),
    MARATHON_APP_RESOURCE_DISK: String(r.disk),
    MARATHON_APP_RESOURCE_GPUS: String(r.gpus),
  });
  if (spec.image !== "") env.MARATHON_APP_DOCKER_IMAGE = spec.image;
  Object.assign(env, marathonLabelsEnv(spec.labels));
  if (spec.ports !== undefined) Object.assign(env, marathonPortsEnv(spec.ports));

  if (spec.podEndpoints !== undefined) Object.assign(env, marathonPodEnv(spec.container ?? "", spec.podEndpoints, r));

  Object.assign(env, spec.env);
  if (spec.ports === undefined) {
    const portKeys = Object.keys(spec.env)
      .filter((k) => /^PORT\d+$/.test(k))
      .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
    if (portKeys.length > 0) {
      env.PORT ??= spec.env[portKeys[0]!]!;
      env.PORTS ??= portKeys.map((k) => spec.env[k]).join(",");
    }
  }

  Object.assign(env, {
    MESOS_TASK_ID: spec.taskId,
    MESOS_SANDBOX: ctx.sandbox,
    GANTRY_TASK_ID: spec.taskId,
    GANTRY_INSTANCE_ID: spec.instanceId,
    GANTRY_AGENT_ID: ctx.agentId,
  });
  if (ctx.gpuIndices !== undefined) {
    const list = ctx.gpuIndices.join(",");
    env.CUDA_VISIBLE_DEVICES = list;
    env.NVIDIA_VISIBLE_DEVICES = list === "" ? "void" : list;
  }
  return env;
}

/**
 * Marathon's port variables (its `EnvironmentHelper.portsEnv`) for ports in the app's order:
 * `PORT<i>` = the assigned host port (else the requested port, for a container port without a
 * host port); `PORT_<requested>` = the host port (a requested 0 is keyed by the host port
 * itself); `PORT_<NAME>` (the name upper-cased) = the host port; `PORT` = the first host port and
 * `PORTS` = all host ports, comma separated. Empty when there are no ports.
 */
export function marathonPortsEnv(ports: readonly TaskPort[]): Record<string, string> {
  const env: Record<string, string> = {};
  if (ports.length === 0) return env;
  ports.forEach((p, i) => {
    const value = p.hostPort ?? (p.requested !== 0 ? p.requested : undefined);
    if (value === undefined) return;
    env[`PORT${i}`] = String(value);
    const key = p.requested !== 0 ? p.requested : value;
    env[`PORT_${key}`] = String(value);
    if (p.name !== "") env[`PORT_${p.name.toUpperCase()}`] = String(value);
  });
  const assigned = ports.flatMap((p) => (p.hostPort === undefined ? [] : [String(p.hostPort)]));
  if (assigned.length > 0) env.PORT = assigned[0]!;
  env.PORTS = assigned.join(",");
  return env;
}

/**
 * Marathon's variables of a pod container (`TaskGroupBuilder`): per endpoint of the pod,
 * `ENDPOINT_<NAME>` = the container port on a container network, else the host port,
 * `EP_HOST_<NAME>` = the host port (when it has one), `EP_CONTAINER_<NAME>` = the container port
 * (when it has one); and `MARATHON_CONTAINER_ID`, `MARATHON_CONTAINER_RESOURCE_{CPUS,MEM,DISK,GPUS}`.
 */
export function marathonPodEnv(container: string, endpoints: NonNullable<TaskEnvSpec["podEndpoints"]>, r: TaskResources): Record<string, string> {
  const env: Record<string, string> = {
    MARATHON_CONTAINER_ID: container,
    MARATHON_CONTAINER_RESOURCE_CPUS: String(r.cpus),
    MARATHON_CONTAINER_RESOURCE_MEM: String(r.mem),
    MARATHON_CONTAINER_RESOURCE_DISK: String(r.disk),
    MARATHON_CONTAINER_RESOURCE_GPUS: String(r.gpus),
  };
  for (const e of endpoints) {
    const name = e.name.replace(/[^a-zA-Z0-9_]+/g, "_").toUpperCase();
    if (name === "") continue;
    const endpoint = e.containerPort !== 0 ? e.containerPort : e.hostPort;
    if (endpoint !== undefined) env[`ENDPOINT_${name}`] = String(endpoint);
    if (e.hostPort !== undefined) env[`EP_HOST_${name}`] = String(e.hostPort);
    if (e.containerPort !== 0) env[`EP_CONTAINER_${name}`] = String(e.containerPort);
  }
  return env;
}

/**
 * Marathon's label variables: `MARATHON_APP_LABELS` lists the label names (each non-alphanumeric
 * run replaced by `_`, upper-cased) separated by spaces, and `MARATHON_APP_LABEL_<NAME>` holds
 * each value. Labels too long for a variable are left out, as Marathon does.
 */
export function marathonLabelsEnv(labels: Readonly<Record<string, string>>): Record<string, string> {
  const names: string[] = [];
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    if (key.length >= MAX_ENV_LENGTH - LABEL_PREFIX.length || value.length >= MAX_ENV_LENGTH) continue;
    const name = key.replace(/[^a-zA-Z0-9_]+/g, "_").toUpperCase();
    names.push(name);
    env[`${LABEL_PREFIX}${name}`] = value;
  }
  return { MARATHON_APP_LABELS: names.join(" "), ...env };
}
