/**
 * The app `container` (1.4: `RAML/types/appContainer.raml`, `FMT` `ContainerReads`,
 * `M/state/Container.scala`): reading with Marathon's defaults, then the containerizer rules.
 *
 *   type DOCKER + docker  → Docker containerizer (no credential, no appc)
 *   type MESOS  + docker  → Mesos containerizer with a Docker image (no portMappings/network/parameters)
 *   type MESOS  + appc    → Mesos containerizer with an AppC image
 *   type MESOS  alone     → Mesos containerizer without image (volumes only)
 */
import {
  DOCKER_NETWORKS,
  PORT_PROTOCOLS,
  type AppContainer,
  type AppVolume,
  type AppcSpec,
  type DockerNetwork,
  type DockerSpec,
  type ExternalVolumeInfo,
  type PersistentVolumeInfo,
  type PortMapping,
} from "./app.model.ts";
import { appConstraint, isValidRegex } from "./constraints.ts";
import { checkExternalVolume } from "./external-volumes.ts";
import { PersistentVolumeMessages } from "./volume-messages.ts";
import {
  allUnique,
  arrayOf,
  between,
  bool,
  check,
  fullPattern,
  has,
  int,
  isOneOf,
  matchesFully,
  moreThan,
  notEmpty,
  obj,
  objectReader,
  oneOf,
  opt,
  req,
  str,
  stringMap,
  type Issues,
  type JsonObject,
  type Path,
  type Reader,
} from "./field-validators.ts";

/** Port mapping names (`^[a-z][a-z0-9-]*$`). */
export const PORT_MAPPING_NAME = fullPattern("^[a-z][a-z0-9-]*$");
/** AppC image ids (`sha512-` and 128 hex digits). */
export const APPC_ID = fullPattern("^sha512-[0-9a-z]{128}$");

/** What the reader saw but the normalised container drops; the rules still need it. */
export interface ContainerInput {
  container: AppContainer;
  /** Docker `portMappings`, `network` or `parameters` were given (Mesos containerizer refuses them). */
  givenDockerNetworking: { portMappings: boolean; network: boolean; parameters: boolean };
  /** `type: DOCKER` (explicit or defaulted) came without a `docker` object. */
  dockerMissing: boolean;
}

function portMapping(network: DockerNetwork | undefined): Reader<PortMapping> {
  return objectReader((o, path, is) => {
    const hostPort = opt(o, "hostPort", int, path, is);
    const m: PortMapping = {
      containerPort: opt(o, "containerPort", int, path, is) ?? 0,
      servicePort: opt(o, "servicePort", int, path, is) ?? 0,
      protocol: opt(o, "protocol", str, path, is) ?? "tcp",
      labels: opt(o, "labels", stringMap, path, is) ?? {},
    };
    // BRIDGE: a missing hostPort means "dynamic" (0); USER: no host port at all.
    if (hostPort !== undefined) m.hostPort = hostPort;
    else if (network === "BRIDGE") m.hostPort = 0;
    const name = opt(o, "name", str, path, is);
    if (name !== undefined) m.name = name;
    return m;
  });
}

const parameter: Reader<{ key: string; value: string }> = objectReader((o, path, is) => {
  const key = req(o, "key", str, path, is);
  const value = req(o, "value", str, path, is);
  return key === undefined || value === undefined ? undefined : { key, value };
});

function readDocker(o: JsonObject, path: Path, is: Issues): DockerSpec | undefined {
  const image = req(o, "image", str, path, is);
  const network = opt(o, "network", oneOf(DOCKER_NETWORKS), path, is);
  const mappings = opt(o, "portMappings", arrayOf(portMapping(network)), path, is);
  const credentialRaw = opt(o, "credential", obj, path, is);
  let credential: DockerSpec["credential"];
  if (credentialRaw !== undefined) {
    const principal = req(credentialRaw, "principal", str, [...path, "credential"], is);
    const secret = opt(credentialRaw, "secret", str, [...path, "credential"], is);
    if (principal !== undefined) credential = secret === undefined ? { principal } : { principal, secret };
  }
  const docker: DockerSpec = {
    image: image ?? "",
    privileged: opt(o, "privileged", bool, path, is) ?? false,
    parameters: opt(o, "parameters", arrayOf(parameter), path, is) ?? [],
    forcePullImage: opt(o, "forcePullImage", bool, path, is) ?? false,
  };
  if (network !== undefined) docker.network = network;
  // Port mappings only mean something on BRIDGE and USER networks; elsewhere Marathon drops them.
  if (network === "BRIDGE" || network === "USER") docker.portMappings = mappings ?? [];
  if (credential !== undefined) docker.credential = credential;
  return docker;
}

function readAppc(o: JsonObject, path: Path, is: Issues): AppcSpec {
  const appc: AppcSpec = {
    image: req(o, "image", str, path, is) ?? "",
    labels: opt(o, "labels", stringMap, path, is) ?? {},
    forcePullImage: opt(o, "forcePullImage", bool, path, is) ?? false,
  };
  const id = opt(o, "id", str, path, is);
  if (id !== undefined) appc.id = id;
  return appc;
}

const persistentInfo: Reader<PersistentVolumeInfo> = objectReader((o, path, is) => {
  const size = req(o, "size", int, path, is);
  const info: PersistentVolumeInfo = {
    type: opt(o, "type", oneOf(["root", "path", "mount"] as const), path, is) ?? "root",
    size: size ?? 0,
    constraints: opt(o, "constraints", arrayOf(appConstraint), path, is) ?? [],
  };
  const maxSize = opt(o, "maxSize", int, path, is);
  if (maxSize !== undefined) info.maxSize = maxSize;
  return info;
});

const externalInfo: Reader<ExternalVolumeInfo> = objectReader((o, path, is) => {
  const info: ExternalVolumeInfo = {
    name: req(o, "name", str, path, is) ?? "",
    provider: req(o, "provider", str, path, is) ?? "",
    options: opt(o, "options", stringMap, path, is) ?? {},
  };
  const size = opt(o, "size", int, path, is);
  if (size !== undefined) info.size = size;
  return info;
});

const volume: Reader<AppVolume> = objectReader((o, path, is) => {
  const containerPath = req(o, "containerPath", str, path, is);
  const mode = req(o, "mode", oneOf(["RO", "RW"] as const), path, is);
  const hostPath = opt(o, "hostPath", str, path, is);
  const persistent = opt(o, "persistent", persistentInfo, path, is);
  const external = opt(o, "external", externalInfo, path, is);
  if (containerPath === undefined || mode === undefined) return undefined;
  const vol: AppVolume = { containerPath, mode };
  if (hostPath !== undefined) vol.hostPath = hostPath;
  if (persistent !== undefined) vol.persistent = persistent;
  if (external !== undefined) vol.external = external;
  return vol;
});

/** Reads `container` with defaults: `type` DOCKER, `volumes` [], docker flags false, parameters []. */
export function readContainer(v: unknown, path: Path, is: Issues): ContainerInput | undefined {
  const o = obj(v, path, is);
  if (o === undefined) return undefined;
  const type = opt(o, "type", oneOf(["DOCKER", "MESOS"] as const), path, is) ?? "DOCKER";
  const volumes = opt(o, "volumes", arrayOf(volume), path, is) ?? [];
  const container: AppContainer = { type, volumes };
  const dockerRaw = opt(o, "docker", obj, path, is);
  let given = { portMappings: false, network: false, parameters: false };
  if (dockerRaw !== undefined) {
    const docker = readDocker(dockerRaw, [...path, "docker"], is);
    if (docker !== undefined) container.docker = docker;
    const mappings = dockerRaw["portMappings"];
    const params = dockerRaw["parameters"];
    given = {
      portMappings: Array.isArray(mappings) && mappings.length > 0,
      network: has(dockerRaw, "network"),
      parameters: Array.isArray(params) && params.length > 0,
    };
    // Under the Mesos containerizer the given mappings are refused, not silently dropped.
    if (type === "MESOS" && docker !== undefined) delete docker.portMappings;
  }
  const appcRaw = opt(o, "appc", obj, path, is);
  if (appcRaw !== undefined) container.appc = readAppc(appcRaw, [...path, "appc"], is);
  return { container, givenDockerNetworking: given, dockerMissing: type === "DOCKER" && dockerRaw === undefined };
}

/** True when the container carries an image (Docker or AppC): `cmd`/`args` may then be omitted. */
export function hasImage(c: AppContainer | undefined): boolean {
  return c !== undefined && (c.docker !== undefined || c.appc !== undefined);
}

/** True for persistent volumes (they make an app resident). */
export function hasPersistentVolumes(c: AppContainer | undefined): boolean {
  return c?.volumes.some((v) => v.persistent !== undefined) ?? false;
}

/** True for external volumes. */
export function hasExternalVolumes(c: AppContainer | undefined): boolean {
  return c?.volumes.some((v) => v.external !== undefined) ?? false;
}

/** Checks the containerizer rules, image fields, port mappings and volumes. */
export function checkContainer(is: Issues, input: ContainerInput, features: ReadonlySet<string>): void {
  const { container: c, givenDockerNetworking: given } = input;
  const path = ["container"];
  if (input.dockerMissing) {
    // Marathon 1.4 throws here and answers 500; Gantry reports it as a validation error.
    is.violation([...path, "docker"], "docker must not be empty");
  }
  if (c.docker !== undefined) {
    const d = c.docker;
    const dp = [...path, "docker"];
    notEmpty(is, [...dp, "image"], d.image);
    if (c.type === "DOCKER") {
      check(is, [...dp, "credential"], d.credential === undefined, "Docker Containerizer does not support credential");
    } else {
      check(is, [...dp, "portMappings"], !given.portMappings, "Mesos Containerizer does not support portMappings");
      check(is, [...dp, "network"], !given.network, "Mesos Containerizer does not support network");
      check(is, [...dp, "parameters"], !given.parameters, "Mesos Containerizer does not support parameters");
      if (d.credential !== undefined) notEmpty(is, [...dp, "credential", "principal"], d.credential.principal);
    }
    d.portMappings?.forEach((m, i) => {
      const mp = [...dp, "portMappings", i];
      between(is, [...mp, "containerPort"], m.containerPort, 0, 65535);
      if (m.hostPort !== undefined) between(is, [...mp, "hostPort"], m.hostPort, 0, 65535);
      between(is, [...mp, "servicePort"], m.servicePort, 0, 65535);
      isOneOf(is, [...mp, "protocol"], m.protocol, PORT_PROTOCOLS);
      if (m.name !== undefined) matchesFully(is, [...mp, "name"], m.name, PORT_MAPPING_NAME);
    });
    if (d.portMappings !== undefined) {
      const names = d.portMappings.flatMap((m) => (m.name === undefined ? [] : [m.name]));
      // Marathon validates port mappings on the container (`Container.Docker.portMappings`).
      check(is, [...path, "portMappings"], allUnique(names), "Port names must be unique.");
    }
  }
  if (c.appc !== undefined) {
    const ap = [...path, "appc"];
    check(is, ap, c.type === "MESOS", "AppC images are only supported by the Mesos containerizer (type MESOS)");
    check(is, path, c.docker === undefined, "A container may define either docker or appc, not both");
    notEmpty(is, [...ap, "image"], c.appc.image);
    if (c.appc.id !== undefined) matchesFully(is, [...ap, "id"], c.appc.id, APPC_ID);
  }
  c.volumes.forEach((vol, i) => checkVolume(is, [...path, "volumes", i], vol, features));
}

/** Marathon's persistent-volume messages (`M/state/Volume.scala`, 1.4.12). */

/**
 * `PersistentVolume.validPersistentVolume`: a containerPath relative to the sandbox without `/`
 * and not `.`/`..`, mode RW; `maxSize` only on mount volumes and larger than `size`. Marathon
 * reports the `maxSize` rules on the `persistent` object itself.
 */
function checkPersistentVolume(is: Issues, path: Path, vol: AppVolume, p: PersistentVolumeInfo): void {
  const cp = [...path, "containerPath"];
  check(is, cp, vol.containerPath !== "." && vol.containerPath !== "..", PersistentVolumeMessages.dotPath);
  check(is, cp, !vol.containerPath.includes("/"), PersistentVolumeMessages.slash);
  check(is, [...path, "mode"], vol.mode === "RW", PersistentVolumeMessages.modeRW);
  const pp = [...path, "persistent"];
  moreThan(is, [...pp, "size"], p.size, 0, "int");
  if (p.maxSize !== undefined) {
    check(is, pp, p.type === "mount", PersistentVolumeMessages.maxSizeMountOnly);
    check(is, pp, p.maxSize > p.size, PersistentVolumeMessages.maxSizeOrder);
  }
  p.constraints.forEach((c, i) => {
    const ok = c[0] === "path" && c[1] === "LIKE" && c[2] !== undefined && isValidRegex(c[2]);
    check(is, [...pp, "constraints", i], ok, 'Persistent volume constraints must be ["path", "LIKE", "<regex>"]');
  });
}

function checkVolume(is: Issues, path: Path, vol: AppVolume, features: ReadonlySet<string>): void {
  notEmpty(is, [...path, "containerPath"], vol.containerPath);
  if (vol.persistent !== undefined && vol.external !== undefined) {
    is.violation(path, "A volume may be either persistent or external, not both");
  }
  if (vol.persistent !== undefined) checkPersistentVolume(is, path, vol, vol.persistent);
  if (vol.external !== undefined) checkExternalVolume(is, path, vol.external, features);
  // A host (Docker) volume: Marathon's reader makes an absent hostPath "", which its validator refuses.
  if (vol.persistent === undefined && vol.external === undefined) notEmpty(is, [...path, "hostPath"], vol.hostPath ?? "");
}
