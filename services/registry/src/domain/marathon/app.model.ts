/**
 * The normalised Marathon 1.4 app: what `validateApp` returns and what Gantry stores, shaped as
 * Marathon returns it from `GET /v2/apps/{id}` minus runtime fields (`version`, `versionInfo`,
 * task counts, deployments) and minus the response-only mirrors `uris` and `ports` (derived from
 * `fetch` and `portDefinitions` by the writer). Optional fields that Marathon keeps as `None`
 * are omitted. Every value is plain JSON.
 */

/**
 * Marathon's 1.4 constraint operators plus `IS` (Marathon 1.6, a Gantry extension to 1.4), in
 * proto enum order (`gantry.registry.v1.ConstraintOperator`).
 */
export const CONSTRAINT_OPERATORS = ["UNIQUE", "LIKE", "CLUSTER", "GROUP_BY", "UNLIKE", "MAX_PER", "IS"] as const;
/** One constraint operator. */
export type ConstraintOperator = (typeof CONSTRAINT_OPERATORS)[number];
/** An app constraint in Marathon's array form: `[field, OP]` or `[field, OP, value]`. */
export type AppConstraint = [string, ConstraintOperator] | [string, ConstraintOperator, string];

/** An env value: a literal, or a reference to an entry of `secrets`. */
export type EnvValue = string | { secret: string };

/** Port protocols accepted by `portDefinitions` and `portMappings`. */
export const PORT_PROTOCOLS = ["tcp", "udp", "udp,tcp"] as const;

/** One `portDefinitions` entry. `port` 0 asks for a dynamically assigned service port. */
export interface PortDefinition {
  port: number;
  protocol: string;
  name?: string;
  labels: Record<string, string>;
}

/** One Docker `portMappings` entry (kept only for BRIDGE and USER networks). */
export interface PortMapping {
  containerPort: number;
  /** Absent on USER networks when not given: no host port is allocated. */
  hostPort?: number;
  servicePort: number;
  protocol: string;
  name?: string;
  labels: Record<string, string>;
}

/** Docker networking modes. */
export const DOCKER_NETWORKS = ["BRIDGE", "HOST", "NONE", "USER"] as const;
export type DockerNetwork = (typeof DOCKER_NETWORKS)[number];

/** `container.docker`. */
export interface DockerSpec {
  image: string;
  network?: DockerNetwork;
  /** Present only for BRIDGE and USER networks. */
  portMappings?: PortMapping[];
  privileged: boolean;
  parameters: { key: string; value: string }[];
  forcePullImage: boolean;
  /** Only valid with the Mesos containerizer (`type: MESOS`). */
  credential?: { principal: string; secret?: string };
}

/** `container.appc` (Mesos containerizer only). */
export interface AppcSpec {
  image: string;
  id?: string;
  labels: Record<string, string>;
  forcePullImage: boolean;
}

/** A persistent local volume (makes the app resident). */
export interface PersistentVolumeInfo {
  type: "root" | "path" | "mount";
  size: number;
  maxSize?: number;
  constraints: AppConstraint[];
}

/** An external (DVDI) volume. */
export interface ExternalVolumeInfo {
  size?: number;
  name: string;
  provider: string;
  options: Record<string, string>;
}

/** `container.volumes[]`: a host volume (`hostPath`), a persistent volume or an external one. */
export interface AppVolume {
  containerPath: string;
  hostPath?: string;
  mode: "RO" | "RW";
  persistent?: PersistentVolumeInfo;
  external?: ExternalVolumeInfo;
}

/** `container`. */
export interface AppContainer {
  type: "DOCKER" | "MESOS";
  volumes: AppVolume[];
  docker?: DockerSpec;
  appc?: AppcSpec;
}

/** Health check protocols. HTTP/HTTPS/TCP run in Marathon; MESOS_* and COMMAND on the agent. */
export const HEALTH_CHECK_PROTOCOLS = ["HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"] as const;
export type HealthCheckProtocol = (typeof HEALTH_CHECK_PROTOCOLS)[number];

/** An app health check with Marathon's defaults applied; fields not used by the protocol are absent. */
export interface AppHealthCheck {
  protocol: HealthCheckProtocol;
  gracePeriodSeconds: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  maxConsecutiveFailures: number;
  /** MESOS_* and COMMAND only. */
  delaySeconds?: number;
  /** Exactly one of portIndex/port for non-COMMAND checks. */
  portIndex?: number;
  port?: number;
  /** HTTP, HTTPS, MESOS_HTTP, MESOS_HTTPS. */
  path?: string;
  /** HTTP, HTTPS. */
  ignoreHttp1xx?: boolean;
  /** COMMAND. */
  command?: { value: string };
}

/** A readiness check, consulted only during deployments. */
export interface ReadinessCheck {
  name: string;
  protocol: "HTTP" | "HTTPS";
  path: string;
  portName: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  httpStatusCodesForReady: number[];
  preserveLastResponse: boolean;
}

/** One artifact fetched into the sandbox. */
export interface FetchUri {
  uri: string;
  extract: boolean;
  executable: boolean;
  cache: boolean;
  destPath?: string;
}

/** `ipAddress` (1.4 IP-per-task). */
export interface IpAddress {
  groups: string[];
  labels: Record<string, string>;
  discovery: { ports: { number: number; name: string; protocol: string }[] };
  networkName?: string;
}

/** `residency` for apps with persistent volumes. */
export interface Residency {
  relaunchEscalationTimeoutSeconds: number;
  taskLostBehavior: "WAIT_FOREVER" | "RELAUNCH_AFTER_TIMEOUT";
}

/** `upgradeStrategy`: both in [0, 1]. */
export interface UpgradeStrategy {
  minimumHealthCapacity: number;
  maximumOverCapacity: number;
}

/** `unreachableStrategy`: `"disabled"` or the two timeouts in seconds. */
export type UnreachableStrategy = "disabled" | { inactiveAfterSeconds: number; expungeAfterSeconds: number };

/** Which instances are killed first when scaling down. */
export const KILL_SELECTIONS = ["YOUNGEST_FIRST", "OLDEST_FIRST"] as const;
export type KillSelection = (typeof KILL_SELECTIONS)[number];

/** The normalised app. Invariants: `id` is canonical and absolute; all defaults applied. */
export interface AppDefinition {
  id: string;
  cmd?: string;
  args: string[];
  user?: string;
  env: Record<string, EnvValue>;
  instances: number;
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  executor: string;
  constraints: AppConstraint[];
  /** Absent means Marathon's `--default_accepted_resource_roles` (DC/OS 1.9: `["*"]`). */
  acceptedResourceRoles?: string[];
  portDefinitions: PortDefinition[];
  requirePorts: boolean;
  container?: AppContainer;
  healthChecks: AppHealthCheck[];
  readinessChecks: ReadinessCheck[];
  dependencies: string[];
  upgradeStrategy: UpgradeStrategy;
  backoffSeconds: number;
  backoffFactor: number;
  maxLaunchDelaySeconds: number;
  labels: Record<string, string>;
  fetch: FetchUri[];
  storeUrls: string[];
  ipAddress?: IpAddress;
  residency?: Residency;
  secrets: Record<string, { source: string }>;
  taskKillGracePeriodSeconds?: number;
  killSelection: KillSelection;
  unreachableStrategy: UnreachableStrategy;
}

/** Marathon's app defaults (`APPDEF` object, `FMT` readers), for reference and for the schema. */
export const APP_DEFAULTS = {
  instances: 1,
  cpus: 1.0,
  mem: 128.0,
  disk: 0.0,
  gpus: 0,
  executor: "",
  requirePorts: false,
  backoffSeconds: 1,
  backoffFactor: 1.15,
  maxLaunchDelaySeconds: 3600,
  killSelection: "YOUNGEST_FIRST" as KillSelection,
  portDefinitions: [{ port: 0, protocol: "tcp", name: "default", labels: {} }] as PortDefinition[],
  upgradeStrategy: { minimumHealthCapacity: 1.0, maximumOverCapacity: 1.0 } as UpgradeStrategy,
  /** Used instead when the app has persistent (resident) or external volumes. */
  upgradeStrategyWithVolumes: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.0 } as UpgradeStrategy,
  /** Marathon 1.4.9+ (1.4.2 used 300/600). */
  unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 } as { inactiveAfterSeconds: number; expungeAfterSeconds: number },
  residency: { relaunchEscalationTimeoutSeconds: 3600, taskLostBehavior: "WAIT_FOREVER" } as Residency,
  healthCheck: { gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, delaySeconds: 15 },
  readinessCheck: {
    name: "readinessCheck",
    protocol: "HTTP",
    path: "/",
    portName: "http-api",
    intervalSeconds: 30,
    timeoutSeconds: 10,
    httpStatusCodesForReady: [200],
    preserveLastResponse: false,
  } as ReadinessCheck,
} as const;

/** Label that turns an app into a single-instance app (both capacities 0, at most 1 instance). */
export const LABEL_SINGLE_INSTANCE_APP = "MARATHON_SINGLE_INSTANCE_APP";

/** The ports a health check's `portIndex` addresses: port mappings, discovery ports or port definitions. */
export function appPortNames(app: Pick<AppDefinition, "container" | "ipAddress" | "portDefinitions">): (string | undefined)[] {
  const mappings = app.container?.docker?.portMappings;
  if (mappings !== undefined) return mappings.map((m) => m.name);
  if (app.ipAddress !== undefined) return app.ipAddress.discovery.ports.map((p) => p.name);
  return app.portDefinitions.map((p) => p.name);
}

/** True when the app has persistent volumes or residency (Marathon's `isResident`). */
export function isResident(app: Pick<AppDefinition, "residency">): boolean {
  return app.residency !== undefined;
}
