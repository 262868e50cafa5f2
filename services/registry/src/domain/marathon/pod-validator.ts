/**
 * The Marathon 1.4 pod validator (`PODVAL` = `M/api/v2/validation/PodsValidation.scala` and its
 * Env/Name/Network/Scheduling/Secret helpers): raw JSON in, the normalised `PodDefinition` or
 * Marathon-style violations out. Pure.
 *
 *   raw ─▶ read (shape, defaults) ─▶ name unnamed container networks (`dcos`)
 *       ─▶ rules: pod → containers → endpoints/health/mounts → volumes → networks → scheduling
 *       ─▶ cross-container uniqueness (endpoint names, container ports, host ports)
 */
import { KILL_SELECTIONS } from "./app.model.ts";
import { checkId } from "./app-validator.ts";
import {
  checkRoles,
  checkSecrets,
  checkUnreachableStrategy,
  compileOptions,
  envMap,
  fetchUri,
  secretsMap,
  unreachableStrategy,
  type CompiledOptions,
  type MarathonValidationOptions,
} from "./common-rules.ts";
import { checkConstraintValue, podConstraint } from "./constraints.ts";
import {
  allUnique,
  arrayOf,
  atLeast,
  atMost,
  between,
  bool,
  check,
  featureNotEnabled,
  fullPattern,
  int,
  Issues,
  lessThan,
  matchesFully,
  moreThan,
  notEmpty,
  num,
  obj,
  objectReader,
  oneOf,
  opt,
  req,
  ShapeError,
  str,
  stringArray,
  stringMap,
  type Path,
  type Reader,
  type ValidationFailure,
} from "./field-validators.ts";
import { checkIdSegmentLengths } from "./limits.ts";
import { ABSOLUTE_PATH_MESSAGE, canonicalPath, isAbsolute } from "./path-id.ts";
import {
  POD_DEFAULTS,
  type PodContainer,
  type PodDefinition,
  type PodEndpoint,
  type PodExec,
  type PodHealthCheck,
  type PodNetwork,
  type PodVolume,
  type PodVolumeMount,
} from "./pod.model.ts";

/** The outcome of `validatePod`. */
export type PodValidationResult = { ok: true; pod: PodDefinition } | ValidationFailure;

/** Names of containers, endpoints, volumes and networks (`NameValidation.NamePattern`). */
export const NAME_PATTERN = fullPattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
/** Pod environment variable names (1.4: upper case only). */
export const POD_ENV_NAME = fullPattern("^[A-Z_][A-Z0-9_]*$");

/** Marathon's pod messages (PodsValidation, NetworkValidation, EnvVarValidation, NameValidation). */
export const PodMessages = {
  validName: "must contain only alphanumeric chars or hyphens, and must begin with a letter",
  envName: "must contain only alphanumeric chars or underscore, and must not begin with a number",
  envSecretsFeature: "use of secret-references in the environment requires the secrets feature to be enabled",
  containerNamesUnique: "container names are unique",
  volumeNamesUnique: "volume names are unique",
  volumeReferenced: "volume must be referenced by at least one container",
  volumeMountExists: "Referenced Volume in VolumeMount should exist",
  endpointInContainer: "contained in the container endpoints",
  oneHealthCheckKind: "Only one of http, tcp, or command may be specified",
  hostPortRequired: "is required when using host-mode networking",
  containerPortForbidden: "is not allowed when using host-mode networking",
  containerPortRequired: "is required when using container-mode networking",
  duplicateProtocols: "Duplicate protocols within the same endpoint are not allowed",
  endpointNamesUnique: "Endpoint names are unique",
  containerPortsUnique: "Container ports are unique",
  hostPortsUnique: "Host ports are unique",
  hostNetworkNamed: "Host networks may not have names or labels",
  duplicateNetworks: "Duplicate networks are not allowed",
  networkModes: "Must specify either a single host network, or else 1-to-n container networks",
  networkName: "container network must specify a name",
  fixedScaling: "Not a fixed scaling policy",
  // Gantry's own: what no Gantry agent can run (README, deliberate differences).
  commandRequired: "is required: Gantry has no container runtime, so a container runs only its exec.command, never an image's entrypoint (the image is recorded, not pulled; the command runs on the agent)",
} as const;

/** Marathon 1.4 refuses command health checks in pods whatever the master version. */
export function commandCheckMessage(mesosMasterVersion: string): string {
  return `Mesos Master (${mesosMasterVersion}) does not support Command Health Checks`;
}

/**
 * Validates and normalises one pod (`POST /v2/pods`, `PUT /v2/pods/{id}` body). The id must be
 * absolute (`Path needs to be absolute`, as in Marathon 1.4); `options.parentGroup` does not
 * apply to pods. Never throws.
 */
export function validatePod(raw: unknown, options?: MarathonValidationOptions): PodValidationResult {
  const opts = compileOptions(options);
  const is = new Issues();
  const pod = readPod(raw, is, opts);
  if (pod === undefined && !is.hasShapeErrors) is.typeError([], ShapeError.object);
  return is.failure(opts.pathStyle) ?? { ok: true, pod: pod as PodDefinition };
}

/** Reads, normalises and checks a pod into `is`; the pod when its shape was readable. */
export function readPod(raw: unknown, is: Issues, opts: CompiledOptions): PodDefinition | undefined {
  const o = obj(raw, [], is);
  if (o === undefined) return undefined;
  const root: Path = [];
  const rawId = req(o, "id", str, root, is);
  const containers = req(o, "containers", arrayOf(container), root, is);
  const scalingRaw = opt(o, "scaling", obj, root, is);
  const scalingKind = scalingRaw && opt(scalingRaw, "kind", str, ["scaling"], is);
  const instances = scalingRaw && opt(scalingRaw, "instances", int, ["scaling"], is);
  const scheduling = opt(o, "scheduling", obj, root, is) ?? {};
  const sp: Path = ["scheduling"];
  const backoff = opt(scheduling, "backoff", obj, sp, is) ?? {};
  const upgrade = opt(scheduling, "upgrade", obj, sp, is) ?? {};
  const placement = opt(scheduling, "placement", obj, sp, is) ?? {};
  const executorResources = opt(o, "executorResources", obj, root, is) ?? {};
  const d = POD_DEFAULTS;

  const pod: PodDefinition = {
    id: rawId === undefined ? "/" : canonicalPath(rawId),
    labels: opt(o, "labels", stringMap, root, is) ?? {},
    environment: opt(o, "environment", envMap, root, is) ?? {},
    secrets: opt(o, "secrets", secretsMap, root, is) ?? {},
    containers: containers ?? [],
    volumes: opt(o, "volumes", arrayOf(volume), root, is) ?? [],
    networks: opt(o, "networks", arrayOf(network), root, is) ?? [],
    scaling: { kind: "fixed", instances: instances ?? d.scaling.instances },
    scheduling: {
      backoff: {
        backoff: opt(backoff, "backoff", num, [...sp, "backoff"], is) ?? d.backoff.backoff,
        backoffFactor: opt(backoff, "backoffFactor", num, [...sp, "backoff"], is) ?? d.backoff.backoffFactor,
        maxLaunchDelay: opt(backoff, "maxLaunchDelay", num, [...sp, "backoff"], is) ?? d.backoff.maxLaunchDelay,
      },
      upgrade: {
        minimumHealthCapacity: opt(upgrade, "minimumHealthCapacity", num, [...sp, "upgrade"], is) ?? d.upgrade.minimumHealthCapacity,
        maximumOverCapacity: opt(upgrade, "maximumOverCapacity", num, [...sp, "upgrade"], is) ?? d.upgrade.maximumOverCapacity,
      },
      placement: {
        constraints: opt(placement, "constraints", arrayOf(podConstraint), [...sp, "placement"], is) ?? [],
        acceptedResourceRoles: opt(placement, "acceptedResourceRoles", stringArray, [...sp, "placement"], is) ?? [],
      },
      killSelection: opt(scheduling, "killSelection", oneOf(KILL_SELECTIONS), sp, is) ?? "YOUNGEST_FIRST",
      unreachableStrategy: opt(scheduling, "unreachableStrategy", unreachableStrategy(d.unreachableStrategy), sp, is) ?? {
        ...d.unreachableStrategy,
      },
    },
    executorResources: {
      cpus: opt(executorResources, "cpus", num, ["executorResources"], is) ?? d.executorResources.cpus,
      mem: opt(executorResources, "mem", num, ["executorResources"], is) ?? d.executorResources.mem,
      disk: opt(executorResources, "disk", num, ["executorResources"], is) ?? d.executorResources.disk,
    },
  };
  const user = opt(o, "user", str, root, is);
  if (rawId === undefined || is.hasShapeErrors) return undefined;
  if (user !== undefined) pod.user = user;

  // Unnamed container networks take the default network name (DC/OS: `dcos`).
  const unnamed = pod.networks.filter((n) => n.mode === "container" && n.name === undefined);
  if (opts.defaultNetworkName !== undefined) for (const n of unnamed) n.name = opts.defaultNetworkName;
  else if (unnamed.length > 0) is.violation(["networks"], PodMessages.networkName);

  checkPod(is, pod, rawId, scalingKind, opts);
  return pod;
}

// ---------------------------------------------------------------------------------------------
// Readers

const commandReader: Reader<{ shell: string } | { argv: string[] }> = objectReader((o, path, is) => {
  const shell = opt(o, "shell", str, path, is);
  if (shell !== undefined) return { shell };
  const argv = opt(o, "argv", stringArray, path, is);
  if (argv !== undefined) return { argv };
  is.typeError([...path, "shell"], ShapeError.missing);
  return undefined;
});

const execReader: Reader<PodExec> = objectReader((o, path, is) => {
  const command = req(o, "command", commandReader, path, is);
  const overrideEntrypoint = opt(o, "overrideEntrypoint", bool, path, is);
  if (command === undefined) return undefined;
  return overrideEntrypoint === undefined ? { command } : { command, overrideEntrypoint };
});

const endpoint: Reader<PodEndpoint> = objectReader((o, path, is) => {
  const name = req(o, "name", str, path, is);
  const e: PodEndpoint = {
    name: name ?? "",
    protocol: opt(o, "protocol", arrayOf(oneOf(["tcp", "udp"] as const)), path, is) ?? ["tcp"],
    labels: opt(o, "labels", stringMap, path, is) ?? {},
  };
  const containerPort = opt(o, "containerPort", int, path, is);
  const hostPort = opt(o, "hostPort", int, path, is);
  if (containerPort !== undefined) e.containerPort = containerPort;
  if (hostPort !== undefined) e.hostPort = hostPort;
  return name === undefined ? undefined : e;
});

const healthCheck: Reader<PodHealthCheck> = objectReader((o, path, is) => {
  const d = POD_DEFAULTS.healthCheck;
  const hc: PodHealthCheck = {
    gracePeriodSeconds: opt(o, "gracePeriodSeconds", int, path, is) ?? d.gracePeriodSeconds,
    intervalSeconds: opt(o, "intervalSeconds", int, path, is) ?? d.intervalSeconds,
    maxConsecutiveFailures: opt(o, "maxConsecutiveFailures", int, path, is) ?? d.maxConsecutiveFailures,
    timeoutSeconds: opt(o, "timeoutSeconds", int, path, is) ?? d.timeoutSeconds,
    delaySeconds: opt(o, "delaySeconds", int, path, is) ?? d.delaySeconds,
  };
  const http = opt(o, "http", obj, path, is);
  if (http !== undefined) {
    const hp = [...path, "http"];
    const endpointName = req(http, "endpoint", str, hp, is);
    const hcPath = opt(http, "path", str, hp, is);
    const scheme = opt(http, "scheme", oneOf(["HTTP", "HTTPS"] as const), hp, is) ?? "HTTP";
    if (endpointName !== undefined) hc.http = hcPath === undefined ? { endpoint: endpointName, scheme } : { endpoint: endpointName, path: hcPath, scheme };
  }
  const tcp = opt(o, "tcp", obj, path, is);
  if (tcp !== undefined) {
    const endpointName = req(tcp, "endpoint", str, [...path, "tcp"], is);
    if (endpointName !== undefined) hc.tcp = { endpoint: endpointName };
  }
  const exec = opt(o, "exec", obj, path, is);
  if (exec !== undefined) {
    const command = req(exec, "command", commandReader, [...path, "exec"], is);
    if (command !== undefined) hc.exec = { command };
  }
  return hc;
});

const volumeMount: Reader<PodVolumeMount> = objectReader((o, path, is) => {
  const name = req(o, "name", str, path, is);
  const mountPath = req(o, "mountPath", str, path, is);
  const readOnly = opt(o, "readOnly", bool, path, is);
  if (name === undefined || mountPath === undefined) return undefined;
  return readOnly === undefined ? { name, mountPath } : { name, mountPath, readOnly };
});


const container: Reader<PodContainer> = objectReader((o, path, is) => {
  const name = req(o, "name", str, path, is);
  const res = opt(o, "resources", obj, path, is) ?? {};
  const rp = [...path, "resources"];
  const r = POD_DEFAULTS.resources;
  const c: PodContainer = {
    name: name ?? "",
    resources: {
      cpus: opt(res, "cpus", num, rp, is) ?? r.cpus,
      mem: opt(res, "mem", num, rp, is) ?? r.mem,
      disk: opt(res, "disk", num, rp, is) ?? r.disk,
      gpus: opt(res, "gpus", int, rp, is) ?? r.gpus,
    },
    endpoints: opt(o, "endpoints", arrayOf(endpoint), path, is) ?? [],
    volumeMounts: opt(o, "volumeMounts", arrayOf(volumeMount), path, is) ?? [],
    artifacts: opt(o, "artifacts", arrayOf(fetchUri), path, is) ?? [],
    environment: opt(o, "environment", envMap, path, is) ?? {},
    labels: opt(o, "labels", stringMap, path, is) ?? {},
  };
  const exec = opt(o, "exec", execReader, path, is);
  if (exec !== undefined) c.exec = exec;
  const image = opt(o, "image", obj, path, is);
  if (image !== undefined) {
    const ip = [...path, "image"];
    const kind = req(image, "kind", oneOf(["DOCKER", "APPC"] as const), ip, is);
    const id = req(image, "id", str, ip, is);
    const forcePull = opt(image, "forcePull", bool, ip, is);
    if (kind !== undefined && id !== undefined) c.image = forcePull === undefined ? { kind, id } : { kind, id, forcePull };
  }
  const hc = opt(o, "healthCheck", healthCheck, path, is);
  if (hc !== undefined) c.healthCheck = hc;
  const user = opt(o, "user", str, path, is);
  if (user !== undefined) c.user = user;
  const lifecycle = opt(o, "lifecycle", obj, path, is);
  if (lifecycle !== undefined) {
    const grace = opt(lifecycle, "killGracePeriodSeconds", num, [...path, "lifecycle"], is);
    c.lifecycle = grace === undefined ? {} : { killGracePeriodSeconds: grace };
  }
  return name === undefined ? undefined : c;
});

const volume: Reader<PodVolume> = objectReader((o, path, is) => {
  const name = req(o, "name", str, path, is);
  const host = opt(o, "host", str, path, is);
  if (name === undefined) return undefined;
  return host === undefined ? { name } : { name, host };
});

const network: Reader<PodNetwork> = objectReader((o, path, is) => {
  const n: PodNetwork = { mode: opt(o, "mode", oneOf(["container", "host"] as const), path, is) ?? "container" };
  const name = opt(o, "name", str, path, is);
  const labels = opt(o, "labels", stringMap, path, is);
  if (name !== undefined) n.name = name;
  if (labels !== undefined) n.labels = labels;
  return n;
});

// ---------------------------------------------------------------------------------------------
// Rules

function checkName(is: Issues, path: Path, name: string): void {
  check(is, path, NAME_PATTERN.test(name), PodMessages.validName);
  moreThan(is, path, name.length, 0, "int");
  lessThan(is, path, name.length, 64, "int");
}

function checkEnv(is: Issues, path: Path, env: PodDefinition["environment"], pod: PodDefinition, features: ReadonlySet<string>): void {
  for (const [name, value] of Object.entries(env)) {
    const np = [...path, name];
    check(is, np, POD_ENV_NAME.test(name), PodMessages.envName);
    lessThan(is, np, name.length, 255, "int");
    if (typeof value === "object" && !Object.hasOwn(pod.secrets, value.secret)) {
      is.violation(np, `references an undefined secret named '${value.secret}'`);
    }
  }
  const refs = Object.values(env).some((v) => typeof v === "object");
  check(is, path, !refs || features.has("secrets"), PodMessages.envSecretsFeature);
}

function checkHealthCheck(is: Issues, path: Path, hc: PodHealthCheck, endpoints: readonly PodEndpoint[], opts: CompiledOptions): void {
  atLeast(is, [...path, "gracePeriodSeconds"], hc.gracePeriodSeconds, 0, "int");
  atLeast(is, [...path, "intervalSeconds"], hc.intervalSeconds, 0, "int");
  lessThan(is, [...path, "timeoutSeconds"], hc.timeoutSeconds, hc.intervalSeconds, "int");
  atLeast(is, [...path, "maxConsecutiveFailures"], hc.maxConsecutiveFailures, 0, "int");
  atLeast(is, [...path, "timeoutSeconds"], hc.timeoutSeconds, 0, "int");
  atLeast(is, [...path, "delaySeconds"], hc.delaySeconds, 0, "int");
  for (const [kind, spec] of [["http", hc.http], ["tcp", hc.tcp]] as const) {
    if (spec === undefined) continue;
    const ep = [...path, kind, "endpoint"];
    between(is, ep, spec.endpoint.length, 1, 63);
    matchesFully(is, ep, spec.endpoint, NAME_PATTERN);
    check(is, ep, endpoints.some((e) => e.name === spec.endpoint), PodMessages.endpointInContainer);
  }
  if (hc.http?.path !== undefined) between(is, [...path, "http", "path"], hc.http.path.length, 1, 1024);
  if (hc.exec !== undefined) is.violation([...path, "exec"], commandCheckMessage(opts.mesosMasterVersion));
  const kinds = [hc.http, hc.tcp, hc.exec].filter((k) => k !== undefined).length;
  check(is, path, kinds === 1, PodMessages.oneHealthCheckKind);
}

function checkEndpoint(is: Issues, path: Path, e: PodEndpoint, networks: readonly PodNetwork[]): void {
  const host = networks.some((n) => n.mode === "host");
  const containerNet = networks.some((n) => n.mode === "container");
  between(is, [...path, "name"], e.name.length, 1, 63);
  matchesFully(is, [...path, "name"], e.name, NAME_PATTERN);
  between(is, [...path, "containerPort"], e.containerPort ?? 1, 1, 65535);
  between(is, [...path, "hostPort"], e.hostPort ?? 0, 0, 65535);
  check(is, [...path, "hostPort"], !host || e.hostPort !== undefined, PodMessages.hostPortRequired);
  check(is, [...path, "containerPort"], !host || e.containerPort === undefined, PodMessages.containerPortForbidden);
  check(is, [...path, "containerPort"], !containerNet || e.containerPort !== undefined, PodMessages.containerPortRequired);
  check(is, [...path, "protocol"], allUnique(e.protocol), PodMessages.duplicateProtocols);
}

function checkContainerRules(is: Issues, path: Path, c: PodContainer, pod: PodDefinition, opts: CompiledOptions): void {
  checkName(is, [...path, "name"], c.name);
  const rp = [...path, "resources"];
  atLeast(is, [...rp, "cpus"], c.resources.cpus, 0, "double");
  atLeast(is, [...rp, "mem"], c.resources.mem, 0, "double");
  atLeast(is, [...rp, "disk"], c.resources.disk, 0, "double");
  atLeast(is, [...rp, "gpus"], c.resources.gpus, 0, "int");
  if (c.resources.gpus > 0) check(is, [...rp, "gpus"], opts.features.has("gpu_resources"), featureNotEnabled("gpu_resources"));
  c.endpoints.forEach((e, i) => checkEndpoint(is, [...path, "endpoints", i], e, pod.networks));
  if (c.image !== undefined) between(is, [...path, "image", "id"], c.image.id.length, 1, 1024);
  if (c.exec !== undefined) {
    const cmd = c.exec.command;
    if ("shell" in cmd) notEmpty(is, [...path, "exec", "command", "shell"], cmd.shell);
    else notEmpty(is, [...path, "exec", "command", "argv"], cmd.argv);
  } else is.violation([...path, "exec"], PodMessages.commandRequired);
  checkEnv(is, [...path, "environment"], c.environment, pod, opts.features);
  if (c.healthCheck !== undefined) checkHealthCheck(is, [...path, "healthCheck"], c.healthCheck, c.endpoints, opts);
  c.volumeMounts.forEach((m, i) => {
    const mp = [...path, "volumeMounts", i];
    between(is, [...mp, "name"], m.name.length, 1, 63);
    matchesFully(is, [...mp, "name"], m.name, NAME_PATTERN);
    between(is, [...mp, "mountPath"], m.mountPath.length, 1, 1024);
    check(is, [...mp, "name"], pod.volumes.some((v) => v.name === m.name), PodMessages.volumeMountExists);
  });
  c.artifacts.forEach((a, i) => {
    const ap = [...path, "artifacts", i];
    between(is, [...ap, "uri"], a.uri.length, 1, 1024);
    if (a.destPath !== undefined) between(is, [...ap, "destPath"], a.destPath.length, 1, 1024);
  });
  if (c.user !== undefined) notEmpty(is, [...path, "user"], c.user);
  const grace = c.lifecycle?.killGracePeriodSeconds;
  if (grace !== undefined) moreThan(is, [...path, "lifecycle", "killGracePeriodSeconds"], grace, 0, "double");
}

function checkNetworks(is: Issues, networks: readonly PodNetwork[]): void {
  const path: Path = ["networks"];
  const hostNamed = networks.some((n) => n.mode === "host" && ((n.name ?? "").length > 0 || Object.keys(n.labels ?? {}).length > 0));
  check(is, path, !hostNamed, PodMessages.hostNetworkNamed);
  const names = networks.flatMap((n) => (n.name === undefined ? [] : [n.name]));
  check(is, path, allUnique(names), PodMessages.duplicateNetworks);
  const hosts = networks.filter((n) => n.mode === "host").length;
  const containers = networks.filter((n) => n.mode === "container").length;
  check(is, path, (hosts === 1 && containers === 0) || (hosts === 0 && containers > 0), PodMessages.networkModes);
  networks.forEach((n, i) => {
    if (n.mode === "container" && n.name !== undefined) checkName(is, [...path, i, "name"], n.name);
  });
}

function checkPod(is: Issues, pod: PodDefinition, rawId: string, scalingKind: string | undefined, opts: CompiledOptions): void {
  // `PathId(pod.id) as "id" is valid and absolutePathValidator and nonEmptyPath`: pod ids are
  // not canonicalised first (apps are, by `withCanonizedIds`), so a relative one is refused.
  checkId(is, ["id"], rawId, pod.id);
  check(is, ["id"], isAbsolute(rawId), ABSOLUTE_PATH_MESSAGE);
  checkIdSegmentLengths(is, ["id"], pod.id);
  if (pod.user !== undefined) notEmpty(is, ["user"], pod.user);
  checkEnv(is, ["environment"], pod.environment, pod, opts.features);
  checkSecrets(is, pod.secrets, opts.features);

  pod.volumes.forEach((v, i) => {
    const vp: Path = ["volumes", i];
    checkName(is, [...vp, "name"], v.name);
    if (v.host !== undefined) notEmpty(is, [...vp, "host"], v.host);
    check(is, vp, pod.containers.some((c) => c.volumeMounts.some((m) => m.name === v.name)), PodMessages.volumeReferenced);
  });
  check(is, ["volumes"], allUnique(pod.volumes.map((v) => v.name)), PodMessages.volumeNamesUnique);

  notEmpty(is, ["containers"], pod.containers);
  pod.containers.forEach((c, i) => checkContainerRules(is, ["containers", i], c, pod, opts));
  check(is, ["containers"], allUnique(pod.containers.map((c) => c.name)), PodMessages.containerNamesUnique);

  checkNetworks(is, pod.networks);

  check(is, ["scaling"], scalingKind === undefined || scalingKind === "fixed", PodMessages.fixedScaling);
  atLeast(is, ["scaling", "instances"], pod.scaling.instances, 0, "int");

  const s = pod.scheduling;
  const sp: Path = ["scheduling"];
  atLeast(is, [...sp, "backoff", "backoff"], s.backoff.backoff, 0, "double");
  atLeast(is, [...sp, "backoff", "backoffFactor"], s.backoff.backoffFactor, 0, "double");
  atLeast(is, [...sp, "backoff", "maxLaunchDelay"], s.backoff.maxLaunchDelay, 0, "double");
  for (const key of ["maximumOverCapacity", "minimumHealthCapacity"] as const) {
    atLeast(is, [...sp, "upgrade", key], s.upgrade[key], 0, "double");
    atMost(is, [...sp, "upgrade", key], s.upgrade[key], 1, "double");
  }
  s.placement.constraints.forEach((c, i) =>
    checkConstraintValue(is, [...sp, "placement", "constraints", i], c.fieldName, c.operator, c.value),
  );
  checkRoles(is, [...sp, "placement", "acceptedResourceRoles"], s.placement.acceptedResourceRoles);
  checkUnreachableStrategy(is, [...sp, "unreachableStrategy"], s.unreachableStrategy);

  const endpoints = pod.containers.flatMap((c) => c.endpoints);
  check(is, [], allUnique(endpoints.map((e) => e.name)), PodMessages.endpointNamesUnique);
  check(is, [], allUnique(endpoints.flatMap((e) => (e.containerPort === undefined ? [] : [e.containerPort]))), PodMessages.containerPortsUnique);
  check(is, [], allUnique(endpoints.flatMap((e) => (e.hostPort === undefined || e.hostPort === 0 ? [] : [e.hostPort]))), PodMessages.hostPortsUnique);
}
