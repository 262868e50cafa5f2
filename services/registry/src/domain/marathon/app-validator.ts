/**
 * The Marathon 1.4 app validator: raw JSON in, the normalised `AppDefinition` (or Marathon-style
 * violations) out. Pure.
 *
 *   raw ─▶ read (shape, defaults; 400 "Invalid JSON") ─▶ normalise (ids, ports, volumes regime)
 *       ─▶ rules (422 "Object is not valid") ─▶ AppDefinition
 *
 * Unknown fields are dropped; `version`/`versionInfo` are read-only and ignored here (the
 * registry stamps versions).
 */
import type { FieldViolation } from "@gantry/platform";
import {
  APP_DEFAULTS,
  KILL_SELECTIONS,
  LABEL_SINGLE_INSTANCE_APP,
  PORT_PROTOCOLS,
  appPortNames,
  type AppDefinition,
  type IpAddress,
  type PortDefinition,
  type Residency,
  type UpgradeStrategy,
} from "./app.model.ts";
import {
  checkContainer,
  hasExternalVolumes,
  hasImage,
  hasPersistentVolumes,
  readContainer,
  type ContainerInput,
} from "./app-container.ts";
import { checkExternalVolumesOfApp } from "./external-volumes.ts";
import { checkHealthChecks, checkReadinessChecks, healthCheck, injectPortIndex, readinessCheck } from "./app-health-checks.ts";
import {
  checkRoles,
  checkSecretRefs,
  checkSecrets,
  checkUnreachableStrategy,
  compileOptions,
  envMap,
  fetchUri,
  isArchive,
  isValidUri,
  secretsMap,
  unreachableStrategy,
  urlError,
  type CompiledOptions,
  type MarathonValidationOptions,
} from "./common-rules.ts";
import { appConstraint, checkConstraintValue, dedupeConstraints } from "./constraints.ts";
import {
  allUnique,
  arrayOf,
  atLeast,
  between,
  bool,
  check,
  equalTo,
  featureNotEnabled,
  fullPattern,
  has,
  int,
  Issues,
  isObject,
  isOneOf,
  matchesFully,
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
  type JsonObject,
  type Path,
  type Reader,
  type ValidationFailure,
} from "./field-validators.ts";
import { checkAppLimits, checkIdSegmentLengths } from "./limits.ts";
import { AppReaderMessages, breaksIpAddressRequirement, readerFilterError, type AppReads } from "./app-reader-filters.ts";
import { canonicalPath, ID_PATH_SEGMENT_PATTERN, invalidSegments, isRoot, parentOf } from "./path-id.ts";

/** The outcome of `validateApp`. */
export type AppValidationResult = { ok: true; app: AppDefinition } | ValidationFailure;

/** `executor`: `//cmd`, a path, or empty. */
export const EXECUTOR_PATTERN = fullPattern("^(//cmd)|(/?[^/]+(/[^/]+)*)|$");
/** `portDefinitions[].name`. */
export const PORT_DEFINITION_NAME = fullPattern("^[a-z0-9-]+$");

/** Marathon's cross-field messages (exact strings from the reference). */
export const AppMessages = {
  ...AppReaderMessages,
  cmdArgsContainer: "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.",
  gpusDocker: "GPU resources only work with the Mesos containerizer",
  residency: "AppDefinition must contain persistent volumes and define residency",
  emptyPath: "Path must contain at least one path element",
  emptyRoles: "set must not be empty",
  residentRoles: 'A resident app must have `acceptedResourceRoles = ["*"]`.',
  residentUnreachable: "unreachableStrategy must be disabled for resident apps",
  singleInstance: "Single instance app may only have one instance",
  migrationLabels: "DCOS_PACKAGE_FRAMEWORK_NAME and DCOS_MIGRATION_API_PATH must be defined when using DCOS_MIGRATION_API_VERSION",
  migrationVersion: 'DCOS_MIGRATION_API_VERSION must be "v1"',
  portsUnique: "Ports must be unique.",
  portNamesUnique: "Port names must be unique.",
  uriSyntax: "URI has invalid syntax.",
  discoveryWithDockerNetwork: "ipAddress.discovery is not allowed for Docker containers using BRIDGE or USER networking",
  // Gantry's own: what no Gantry agent can run (README, deliberate differences).
  imageEntrypoint: "cmd or args is required: Gantry has no container runtime, so an image's entrypoint cannot run (the image is recorded, not pulled; the command runs on the agent)",
} as const;

/** The message for an id segment that breaks `ID_PATH_SEGMENT_PATTERN`. */
export const ID_PATTERN_MESSAGE = `must fully match regular expression '${ID_PATH_SEGMENT_PATTERN.source}'`;

/**
 * Validates and normalises one app (`POST /v2/apps` body, or an app of a group body).
 * Relative ids resolve against `options.parentGroup` (default `/`). Never throws for any JSON input.
 */
export function validateApp(raw: unknown, options?: MarathonValidationOptions): AppValidationResult {
  const opts = compileOptions(options);
  const is = new Issues();
  const app = readApp(raw, is, opts);
  return is.failure(opts.pathStyle) ?? (app === undefined ? shapeFailure() : { ok: true, app });
}

function shapeFailure(): ValidationFailure {
  return { ok: false, message: "Invalid JSON", violations: [{ path: "/", errors: [ShapeError.object] }] };
}

/** Everything the reader saw that rules need but the normalised app does not keep. */
interface AppInput {
  rawId: string;
  container: ContainerInput | undefined;
  healthChecks: ReturnType<typeof healthCheck>[];
  givenPorts: number[] | undefined;
  givenPortDefinitions: PortDefinition[] | undefined;
  /** The field the fetch list was given as: `uris` when it came from there. */
  fetchField: "uris" | "fetch";
  givenRoles: boolean;
}

/**
 * Reads, normalises and checks an app, recording issues in `is`. Returns the app when the shape
 * was readable (it may still have rule violations recorded), else undefined.
 *
 * `reads` names Marathon's reader: `definition` for a whole app; `update` for a partial update
 * already merged over the stored app (see `validateAppUpdate`), which is then held to
 * `AppDefinition`'s `require` (ipAddress without port definitions, 422) before the rules.
 */
export function readApp(raw: unknown, is: Issues, opts: CompiledOptions, reads: AppReads = "definition"): AppDefinition | undefined {
  const o = obj(raw, [], is);
  if (o === undefined) return undefined;
  const read = readFields(o, is, opts, reads);
  if (read === undefined || is.hasShapeErrors) return undefined;
  const { app, input } = read;
  if (reads === "update" && breaksIpAddressRequirement(app)) {
    // Marathon throws while building the merged app: this is its only error.
    is.violation([], AppMessages.ipAddressWithPortDefinitions);
    return app;
  }
  checkApp(is, app, input, opts);
  return app;
}

function readFields(o: JsonObject, is: Issues, opts: CompiledOptions, reads: AppReads): { app: AppDefinition; input: AppInput } | undefined {
  const root: Path = [];
  const rawId = req(o, "id", str, root, is);
  const cmd = opt(o, "cmd", str, root, is);
  if (cmd === "") is.typeError(["cmd"], ShapeError.minLength);
  const roles = opt(o, "acceptedResourceRoles", stringArray, root, is);
  if (roles !== undefined && roles.length === 0) is.typeError(["acceptedResourceRoles"], AppMessages.emptyRoles);

  const container = opt(o, "container", (v, p, i) => readContainer(v, p, i), root, is);
  const healthChecks = opt(o, "healthChecks", arrayOf(healthCheck), root, is) ?? [];
  const givenPorts = opt(o, "ports", arrayOf(int), root, is);
  const givenPortDefinitions = opt(o, "portDefinitions", arrayOf(portDefinition), root, is);
  const ipAddress = opt(o, "ipAddress", ipAddressReader, root, is);
  const uris = opt(o, "uris", stringArray, root, is);
  const fetch = opt(o, "fetch", arrayOf(fetchUri), root, is);
  const residency = opt(o, "residency", residencyReader, root, is);
  const upgrade = opt(o, "upgradeStrategy", obj, root, is);
  const minimumHealthCapacity = upgrade && opt(upgrade, "minimumHealthCapacity", num, ["upgradeStrategy"], is);
  const maximumOverCapacity = upgrade && opt(upgrade, "maximumOverCapacity", num, ["upgradeStrategy"], is);
  const unreachable = opt(o, "unreachableStrategy", unreachableStrategy(APP_DEFAULTS.unreachableStrategy), root, is);
  const version = opt(o, "version", str, root, is);
  if (version !== undefined && Number.isNaN(Date.parse(version))) is.typeError(["version"], "error.expected.date.isoformat");

  const app: AppDefinition = {
    id: rawId === undefined ? "/" : canonicalPath(rawId, opts.parentGroup),
    args: opt(o, "args", stringArray, root, is) ?? [],
    env: opt(o, "env", envMap, root, is) ?? {},
    instances: opt(o, "instances", int, root, is) ?? APP_DEFAULTS.instances,
    cpus: opt(o, "cpus", num, root, is) ?? APP_DEFAULTS.cpus,
    mem: opt(o, "mem", num, root, is) ?? APP_DEFAULTS.mem,
    disk: opt(o, "disk", num, root, is) ?? APP_DEFAULTS.disk,
    gpus: opt(o, "gpus", int, root, is) ?? APP_DEFAULTS.gpus,
    executor: opt(o, "executor", str, root, is) ?? APP_DEFAULTS.executor,
    constraints: opt(o, "constraints", arrayOf(appConstraint), root, is) ?? [],
    portDefinitions: [],
    requirePorts: opt(o, "requirePorts", bool, root, is) ?? APP_DEFAULTS.requirePorts,
    healthChecks: [],
    readinessChecks: opt(o, "readinessChecks", arrayOf(readinessCheck), root, is) ?? [],
    dependencies: opt(o, "dependencies", stringArray, root, is) ?? [],
    upgradeStrategy: { ...APP_DEFAULTS.upgradeStrategy },
    backoffSeconds: opt(o, "backoffSeconds", int, root, is) ?? APP_DEFAULTS.backoffSeconds,
    backoffFactor: opt(o, "backoffFactor", num, root, is) ?? APP_DEFAULTS.backoffFactor,
    maxLaunchDelaySeconds: opt(o, "maxLaunchDelaySeconds", int, root, is) ?? APP_DEFAULTS.maxLaunchDelaySeconds,
    labels: opt(o, "labels", stringMap, root, is) ?? {},
    fetch: [],
    storeUrls: opt(o, "storeUrls", stringArray, root, is) ?? [],
    secrets: opt(o, "secrets", secretsMap, root, is) ?? {},
    killSelection: opt(o, "killSelection", oneOf(KILL_SELECTIONS), root, is) ?? APP_DEFAULTS.killSelection,
    unreachableStrategy: "disabled",
  };
  const user = opt(o, "user", str, root, is);
  const grace = opt(o, "taskKillGracePeriodSeconds", int, root, is);
  if (rawId === undefined || is.hasShapeErrors) return undefined;
  const filterError = readerFilterError({ uris, fetch, ports: givenPorts, portDefinitions: givenPortDefinitions, ipAddress: ipAddress !== undefined }, reads);
  if (filterError !== undefined) {
    is.typeError([], filterError);
    return undefined;
  }

  // Optional fields are set only when present, so the stored app has no `undefined` members.
  if (cmd !== undefined) app.cmd = cmd;
  if (user !== undefined) app.user = user;
  if (roles !== undefined) app.acceptedResourceRoles = [...new Set(roles)];
  if (container !== undefined) app.container = container.container;
  if (ipAddress !== undefined) app.ipAddress = ipAddress;
  if (grace !== undefined) app.taskKillGracePeriodSeconds = grace;

  // Dependencies are relative to the app's own id (Marathon's `withCanonizedIds`).
  app.dependencies = [...new Set(app.dependencies.map((d) => canonicalPath(d, app.id)))];

  // Persistent volumes make the app resident: residency, no unreachable replacement, no over-capacity.
  const persistent = hasPersistentVolumes(app.container);
  if (residency !== undefined) app.residency = residency;
  else if (persistent) app.residency = { ...APP_DEFAULTS.residency };
  const withVolumes = persistent || hasExternalVolumes(app.container);
  const strategyDefaults = withVolumes ? APP_DEFAULTS.upgradeStrategyWithVolumes : APP_DEFAULTS.upgradeStrategy;
  app.upgradeStrategy = {
    minimumHealthCapacity: minimumHealthCapacity ?? strategyDefaults.minimumHealthCapacity,
    maximumOverCapacity: maximumOverCapacity ?? strategyDefaults.maximumOverCapacity,
  } satisfies UpgradeStrategy;
  app.unreachableStrategy = unreachable ?? (persistent ? "disabled" : { ...APP_DEFAULTS.unreachableStrategy });

  // Marathon: a non-empty `fetch`, else `uris` (archives extracted), else none.
  const fetchFromUris = (fetch === undefined || fetch.length === 0) && uris !== undefined;
  app.fetch = fetchFromUris ? uris.map((uri) => ({ uri, extract: isArchive(uri), executable: false, cache: false })) : (fetch ?? []);
  app.portDefinitions = normalisePortDefinitions(givenPorts, givenPortDefinitions, app);
  const portCount = appPortNames(app).length;
  injectPortIndex(healthChecks.filter((h) => h !== undefined), portCount);
  app.healthChecks = healthChecks.flatMap((h) => (h === undefined ? [] : [h.check]));

  const input: AppInput = {
    rawId,
    container,
    healthChecks,
    givenPorts,
    givenPortDefinitions,
    fetchField: fetchFromUris ? "uris" : "fetch",
    givenRoles: roles !== undefined,
  };
  return { app, input };
}

function usesDockerPortMappings(app: AppDefinition): boolean {
  return app.container?.docker?.portMappings !== undefined;
}

/**
 * `ports` (deprecated) become port definitions; with neither `ports` nor `portDefinitions`, the
 * default single dynamic port is used unless the app has an `ipAddress` or Docker BRIDGE/USER
 * networking (its ports are then the discovery ports or the port mappings).
 */
function normalisePortDefinitions(
  ports: number[] | undefined,
  portDefinitions: PortDefinition[] | undefined,
  app: AppDefinition,
): PortDefinition[] {
  if (portDefinitions !== undefined) return portDefinitions;
  if (ports !== undefined) return ports.map((port) => ({ port, protocol: "tcp", labels: {} }));
  if (app.ipAddress !== undefined || usesDockerPortMappings(app)) return [];
  return APP_DEFAULTS.portDefinitions.map((p) => ({ ...p, labels: {} }));
}

const portDefinition: Reader<PortDefinition> = objectReader((o, path, is) => {
  const port = req(o, "port", int, path, is);
  const def: PortDefinition = {
    port: port ?? 0,
    protocol: opt(o, "protocol", str, path, is) ?? "tcp",
    labels: opt(o, "labels", stringMap, path, is) ?? {},
  };
  const name = opt(o, "name", str, path, is);
  if (name !== undefined) def.name = name;
  return port === undefined ? undefined : def;
});


const discoveryPort: Reader<IpAddress["discovery"]["ports"][number]> = objectReader((o, path, is) => {
  const number = req(o, "number", int, path, is);
  const name = req(o, "name", str, path, is);
  const protocol = opt(o, "protocol", str, path, is) ?? "tcp";
  return number === undefined || name === undefined ? undefined : { number, name, protocol };
});

const ipAddressReader: Reader<IpAddress> = objectReader((o, path, is) => {
  const discovery = opt(o, "discovery", obj, path, is);
  const ip: IpAddress = {
    groups: opt(o, "groups", stringArray, path, is) ?? [],
    labels: opt(o, "labels", stringMap, path, is) ?? {},
    discovery: { ports: (discovery && opt(discovery, "ports", arrayOf(discoveryPort), [...path, "discovery"], is)) ?? [] },
  };
  const networkName = opt(o, "networkName", str, path, is);
  if (networkName !== undefined) ip.networkName = networkName;
  return ip;
});

const residencyReader: Reader<Residency> = objectReader((o, path, is) => {
  const d = APP_DEFAULTS.residency;
  return {
    relaunchEscalationTimeoutSeconds: opt(o, "relaunchEscalationTimeoutSeconds", int, path, is) ?? d.relaunchEscalationTimeoutSeconds,
    taskLostBehavior: opt(o, "taskLostBehavior", oneOf(["WAIT_FOREVER", "RELAUNCH_AFTER_TIMEOUT"] as const), path, is) ?? d.taskLostBehavior,
  };
});

/** Id rules shared by apps, pods and groups: segment pattern, and (unless `allowRoot`) not the root. */
export function checkId(is: Issues, path: Path, rawId: string, canonical: string, allowRoot = false): void {
  if (invalidSegments(rawId).length > 0) is.violation(path, ID_PATTERN_MESSAGE);
  if (!allowRoot && isRoot(canonical)) is.violation(path, AppMessages.emptyPath);
}

function checkApp(is: Issues, app: AppDefinition, input: AppInput, opts: CompiledOptions): void {
  checkId(is, ["id"], input.rawId, app.id);
  checkIdSegmentLengths(is, ["id"], app.id);
  checkAppLimits(is, app, input.fetchField);

  // cmd XOR args, or neither when a container brings an image.
  const hasCmd = app.cmd !== undefined;
  const hasArgs = app.args.length > 0;
  check(is, [], (hasCmd !== hasArgs) || (!hasCmd && !hasArgs && hasImage(app.container)), AppMessages.cmdArgsContainer);
  // Marathon then runs the image's entrypoint; Gantry agents run commands only.
  check(is, ["cmd"], hasCmd || hasArgs || !hasImage(app.container), AppMessages.imageEntrypoint);

  for (const key of Object.keys(app.env)) if (key.length === 0) is.violation(["env", key], "must not be empty");
  checkSecretRefs(is, ["env"], app.env, app.secrets);
  checkSecrets(is, app.secrets, opts.features);

  atLeast(is, ["instances"], app.instances, 0, "int");
  atLeast(is, ["cpus"], app.cpus, 0, "double");
  atLeast(is, ["mem"], app.mem, 0, "double");
  atLeast(is, ["disk"], app.disk, 0, "double");
  atLeast(is, ["gpus"], app.gpus, 0, "int");
  if (app.gpus > 0) {
    check(is, [], app.container?.type !== "DOCKER", AppMessages.gpusDocker);
    check(is, ["gpus"], opts.features.has("gpu_resources"), featureNotEnabled("gpu_resources"));
  }
  matchesFully(is, ["executor"], app.executor, EXECUTOR_PATTERN);

  app.constraints.forEach((c, i) => checkConstraintValue(is, ["constraints", i], c[0], c[1], c[2]));
  app.constraints = dedupeConstraints(app.constraints);

  const resident = app.residency !== undefined;
  if (app.acceptedResourceRoles !== undefined) {
    checkRoles(is, ["acceptedResourceRoles"], app.acceptedResourceRoles);
    const onlyStar = app.acceptedResourceRoles.length === 1 && app.acceptedResourceRoles[0] === "*";
    check(is, ["acceptedResourceRoles"], !resident || onlyStar, AppMessages.residentRoles);
  }

  checkPorts(is, app, input);
  if (input.container !== undefined) checkContainer(is, input.container, opts.features);
  checkExternalVolumesOfApp(is, app);
  const portNames = appPortNames(app);
  checkHealthChecks(is, input.healthChecks.flatMap((h) => (h === undefined ? [] : [h])), portNames.length);
  checkReadinessChecks(is, app.readinessChecks, portNames);

  app.dependencies.forEach((dep, i) => {
    if (invalidSegments(dep).length > 0) is.violation(["dependencies", i], ID_PATTERN_MESSAGE);
  });

  checkUpgradeStrategy(is, app);
  checkLabels(is, app.labels);

  // `appDef.fetch is every(fetchUriIsValid)`: reported at `/fetch(i)`, also when given as `uris`.
  app.fetch.forEach((f, i) => check(is, ["fetch", i], isValidUri(f.uri), AppMessages.uriSyntax));
  app.storeUrls.forEach((u, i) => {
    const error = urlError(u);
    if (error !== undefined) is.violation(["storeUrls", i], error);
  });

  check(is, [], app.residency === undefined || hasPersistentVolumes(app.container), AppMessages.residency);
  if (app.residency !== undefined) atLeast(is, ["residency", "relaunchEscalationTimeoutSeconds"], app.residency.relaunchEscalationTimeoutSeconds, 0, "int");
  if (app.taskKillGracePeriodSeconds !== undefined) atLeast(is, ["taskKillGracePeriodSeconds"], app.taskKillGracePeriodSeconds, 0, "int");
  checkUnreachableStrategy(is, ["unreachableStrategy"], app.unreachableStrategy);
  check(is, ["unreachableStrategy"], !resident || app.unreachableStrategy === "disabled", AppMessages.residentUnreachable);
}

function checkPorts(is: Issues, app: AppDefinition, input: AppInput): void {
  const { givenPorts, givenPortDefinitions } = input;
  if (app.ipAddress !== undefined) {
    const network = app.container?.docker?.network;
    const dockerNet = app.container?.type === "DOCKER" && (network === "BRIDGE" || network === "USER");
    check(is, [], !(dockerNet && app.ipAddress.discovery.ports.length > 0), AppMessages.discoveryWithDockerNetwork);
    app.ipAddress.discovery.ports.forEach((p, i) => {
      const pp: Path = ["ipAddress", "discovery", "ports", i];
      atLeast(is, [...pp, "number"], p.number, 0, "int");
      notEmpty(is, [...pp, "name"], p.name);
      isOneOf(is, [...pp, "protocol"], p.protocol, ["tcp", "udp"]);
    });
    check(is, ["ipAddress", "discovery", "ports"], allUnique(app.ipAddress.discovery.ports.map((p) => p.name)), AppMessages.portNamesUnique);
  }
  const field = givenPortDefinitions === undefined && givenPorts !== undefined ? "ports" : "portDefinitions";
  app.portDefinitions.forEach((p, i) => {
    const pp: Path = field === "ports" ? ["ports", i] : ["portDefinitions", i];
    if (field === "portDefinitions") isOneOf(is, [...pp, "protocol"], p.protocol, PORT_PROTOCOLS);
    atLeast(is, field === "ports" ? pp : [...pp, "port"], p.port, 0, "int");
    if (p.name !== undefined) matchesFully(is, [...pp, "name"], p.name, PORT_DEFINITION_NAME);
  });
  const names = app.portDefinitions.flatMap((p) => (p.name === undefined ? [] : [p.name]));
  check(is, [field], allUnique(names), AppMessages.portNamesUnique);
  const fixed = app.portDefinitions.map((p) => p.port).filter((p) => p !== 0);
  check(is, [field], allUnique(fixed), AppMessages.portsUnique);
}

function checkUpgradeStrategy(is: Issues, app: AppDefinition): void {
  const s = app.upgradeStrategy;
  // `UpgradeStrategy.updateStrategyValidator`: Accord's `between(0.0, 1.0)` on each capacity.
  for (const key of ["minimumHealthCapacity", "maximumOverCapacity"] as const) between(is, ["upgradeStrategy", key], s[key], 0, 1, "double");
  if (app.residency !== undefined) equalTo(is, ["upgradeStrategy", "maximumOverCapacity"], s.maximumOverCapacity, 0, "double");
  if (app.labels[LABEL_SINGLE_INSTANCE_APP] === "true") {
    equalTo(is, ["upgradeStrategy", "minimumHealthCapacity"], s.minimumHealthCapacity, 0, "double");
    equalTo(is, ["upgradeStrategy", "maximumOverCapacity"], s.maximumOverCapacity, 0, "double");
    check(is, [], app.instances <= 1, AppMessages.singleInstance);
  }
}

function checkLabels(is: Issues, labels: Record<string, string>): void {
  const version = labels["DCOS_MIGRATION_API_VERSION"];
  if (version === undefined) return;
  const nonEmpty = (k: string) => (labels[k] ?? "").length > 0;
  check(is, ["labels"], nonEmpty("DCOS_PACKAGE_FRAMEWORK_NAME") && nonEmpty("DCOS_MIGRATION_API_PATH"), AppMessages.migrationLabels);
  check(is, ["labels"], version === "v1", AppMessages.migrationVersion);
}

// ---------------------------------------------------------------------------------------------
// Updates

/** Options of `validateAppUpdate`. */
export interface AppUpdateOptions extends MarathonValidationOptions {
  /** `true` (default, Marathon's `partialUpdate=true` and PATCH): merge over the existing app; `false`: replace it. */
  partial?: boolean;
}

/**
 * Validates `PUT`/`PATCH /v2/apps/{id}` against the stored `existing` app, or, given only the
 * path's id, for an app not stored yet (a partial update then applies to Marathon's
 * `AppUpdate.empty`: the defaults, the default port definition included). The body's `id` is
 * ignored (the path wins).
 *
 * `partial: false` reads the body as a whole new definition. A partial update is Marathon's
 * `AppUpdate`: each given top-level field replaces the stored one wholesale (`null` counts as not
 * given; `ports` replace `portDefinitions`, `uris` replace `fetch`; nothing else is dropped, so
 * `args` over a stored `cmd`, or `ipAddress` over stored port definitions, fail as the merged app
 * does), and the merged app is read with `AppUpdateReads`' filters (which see the same
 * `uris`/`fetch` and `ports`/`portDefinitions` pairs as the body: the stored app has neither
 * `uris` nor `ports`) and then checked like any definition. What resident apps may not change is
 * checked on the whole deployment (`checkResidentUpdates`), as Marathon does.
 */
export function validateAppUpdate(raw: unknown, existing: AppDefinition | string, options: AppUpdateOptions = {}): AppValidationResult {
  const id = typeof existing === "string" ? existing : existing.id;
  const opts = compileOptions({ ...options, parentGroup: parentOf(id) });
  if (!isObject(raw)) {
    const is = new Issues();
    is.typeError([], ShapeError.object);
    return is.failure(opts.pathStyle) as ValidationFailure;
  }
  const partial = options.partial !== false;
  const stored = typeof existing === "string" ? { id, portDefinitions: APP_DEFAULTS.portDefinitions } : existing;
  const merged = partial ? mergeUpdate(raw, stored) : { ...raw, id };
  const is = new Issues();
  const app = readApp(merged, is, opts, partial ? "update" : "definition");
  return is.failure(opts.pathStyle) ?? (app === undefined ? shapeFailure() : { ok: true, app });
}

/** The stored app as JSON with the given fields of `body` over it (`AppUpdate.apply`). */
function mergeUpdate(body: JsonObject, existing: Partial<AppDefinition>): JsonObject {
  const merged = JSON.parse(JSON.stringify(existing)) as JsonObject;
  if (has(body, "ports")) delete merged["portDefinitions"];
  if (has(body, "uris")) delete merged["fetch"];
  for (const key of Object.keys(body)) {
    if (key === "id" || key === "version" || key === "versionInfo" || !has(body, key)) continue;
    merged[key] = body[key];
  }
  return merged;
}

/** Renders violations for logs and tests: `"/cpus: got -1.0, expected 0.0 or more"`. */
export function describeViolations(violations: readonly FieldViolation[]): string[] {
  return violations.flatMap((v) => v.errors.map((e) => `${v.path}: ${e}`));
}

/** The executor rule's message. */
export const EXECUTOR_MESSAGE = `must fully match regular expression '${EXECUTOR_PATTERN.source}'`;
