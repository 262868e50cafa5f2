import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateApp, validateAppUpdate, AppMessages, ID_PATTERN_MESSAGE, EXECUTOR_MESSAGE } from "./app-validator.ts";
import { PORT_INDEX_MESSAGE, ONE_MESOS_HEALTH_CHECK_MESSAGE, PORT_XOR_PORT_INDEX_MESSAGE, readinessPortNameMessage } from "./app-health-checks.ts";
import { CONSTRAINT_FORMAT_MESSAGE, CONSTRAINT_IS_TEXT_MESSAGE, CONSTRAINT_IS_VALUE_MESSAGE, CONSTRAINT_OPERATOR_MESSAGE } from "./constraints.ts";
import { invalidRoleMessage } from "./common-rules.ts";
import type { AppDefinition } from "./app.model.ts";
import { assertNoViolation, assertOk, assertOnlyViolations, assertViolation } from "./test-support.ts";

const OBJ = "Object is not valid" as const;
const JSN = "Invalid JSON" as const;
const app = (extra: Record<string, unknown> = {}) => ({ id: "/web", cmd: "sleep 1000", ...extra });
/** A Docker app; with a command, as Gantry runs no image entrypoint. */
const docker = (extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => ({
  id: "/web",
  cmd: "nginx -g 'daemon off;'",
  container: { type: "DOCKER", docker: { image: "nginx", ...extra }, ...container },
});
const ok = (raw: unknown, opts?: Parameters<typeof validateApp>[1]): AppDefinition => assertOk(validateApp(raw, opts)).app;

describe("validateApp: defaults and normalisation", () => {
  it("fills every Marathon default for a minimal app", () => {
    assert.deepEqual(ok({ id: "web", cmd: "sleep 1" }), {
      id: "/web",
      cmd: "sleep 1",
      args: [],
      env: {},
      instances: 1,
      cpus: 1,
      mem: 128,
      disk: 0,
      gpus: 0,
      executor: "",
      constraints: [],
      portDefinitions: [{ port: 0, protocol: "tcp", name: "default", labels: {} }],
      requirePorts: false,
      healthChecks: [],
      readinessChecks: [],
      dependencies: [],
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      backoffSeconds: 1,
      backoffFactor: 1.15,
      maxLaunchDelaySeconds: 3600,
      labels: {},
      fetch: [],
      storeUrls: [],
      secrets: {},
      killSelection: "YOUNGEST_FIRST",
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    });
  });

  it("leaves acceptedResourceRoles absent when not given (Marathon's default roles apply)", () => {
    assert.equal("acceptedResourceRoles" in ok(app()), false);
  });

  it("resolves relative ids against the parent group, with . and ..", () => {
    assert.equal(ok(app({ id: "web" }), { parentGroup: "/prod" }).id, "/prod/web");
    assert.equal(ok(app({ id: "../web" }), { parentGroup: "/prod/eu" }).id, "/prod/web");
    assert.equal(ok(app({ id: "./a/./b/" }), { parentGroup: "/x" }).id, "/x/a/b");
    assert.equal(ok(app({ id: "/abs//path/" }), { parentGroup: "/x" }).id, "/abs/path");
  });

  it("drops unknown fields and read-only ones (versionInfo, 1.5 networks, tty)", () => {
    const a = ok(app({ foo: 1, versionInfo: { lastScalingAt: "x" }, networks: [{ mode: "host" }], tty: true, uris: undefined }));
    for (const k of ["foo", "versionInfo", "networks", "tty", "version"]) assert.equal(k in a, false, k);
  });

  it("produces a JSON-serialisable app (round trip is identical)", () => {
    const a = ok(app({ env: { A: "1" }, healthChecks: [{}], container: { type: "DOCKER", docker: { image: "x", network: "BRIDGE", portMappings: [{ containerPort: 80 }] } } }));
    assert.deepEqual(JSON.parse(JSON.stringify(a)), a);
  });

  it("treats JSON null as absent", () => {
    assert.equal(ok(app({ user: null, instances: null })).instances, 1);
  });
});

describe("validateApp: JSON shape (400 Invalid JSON)", () => {
  it("requires an object body", () => assertViolation(validateApp([1]), "/", "error.expected.jsobject", JSN));
  it("requires id", () => assertViolation(validateApp({ cmd: "x" }), "/id", "error.path.missing", JSN));
  it("reports wrong types at the field's path", () => {
    const r = validateApp(app({ cpus: "1", id: 3, labels: { a: 1 }, args: "x", requirePorts: "yes" }));
    assertOnlyViolations(r, [
      { path: "/id", errors: ["error.expected.jsstring"] },
      { path: "/cpus", errors: ["error.expected.jsnumber"] },
      { path: "/labels/a", errors: ["error.expected.jsstring"] },
      { path: "/args", errors: ["error.expected.jsarray"] },
      { path: "/requirePorts", errors: ["error.expected.jsboolean"] },
    ]);
    assert.equal(r.ok === false && r.message, JSN);
  });
  it("rejects a fractional instance count", () => assertViolation(validateApp(app({ instances: 1.5 })), "/instances", "error.expected.int", JSN));
  it("rejects an empty cmd (minLength 1)", () => assertViolation(validateApp(app({ cmd: "" })), "/cmd", "error.minLength", JSN));
  it("rejects env values that are neither strings nor secret refs", () =>
    assertViolation(validateApp(app({ env: { A: 1 } })), "/env/A", "error.expected.jsstring", JSN));
  it("rejects unknown enum values", () => {
    assertViolation(validateApp(app({ killSelection: "RANDOM" })), "/killSelection", "error.expected.validenumvalue", JSN);
    assertViolation(validateApp(app({ healthChecks: [{ protocol: "UDP" }] })), "/healthChecks/0/protocol", "error.expected.validenumvalue", JSN);
  });
  it("rejects a bad version timestamp but otherwise ignores version", () => {
    assertViolation(validateApp(app({ version: "yesterday" })), "/version", "error.expected.date.isoformat", JSN);
    ok(app({ version: "2017-03-01T10:00:00.000Z" }));
  });
  it("reports shape errors only, not rule violations, when both exist", () => {
    const r = validateApp(app({ cpus: "x", mem: -1 }));
    assertOnlyViolations(r, [{ path: "/cpus", errors: ["error.expected.jsnumber"] }]);
  });
});

describe("validateApp: id", () => {
  it("rejects uppercase and leading-dash segments", () => {
    assertViolation(validateApp(app({ id: "/Web" })), "/id", ID_PATTERN_MESSAGE, OBJ);
    assertViolation(validateApp(app({ id: "/-web" })), "/id", ID_PATTERN_MESSAGE);
    assertViolation(validateApp(app({ id: "/web-" })), "/id", ID_PATTERN_MESSAGE);
    assertViolation(validateApp(app({ id: "/we_b" })), "/id", ID_PATTERN_MESSAGE);
  });
  it("accepts dotted labels", () => assert.equal(ok(app({ id: "/a.b-c/d1" })).id, "/a.b-c/d1"));
  it("rejects the root and empty ids", () => {
    assertViolation(validateApp(app({ id: "/" })), "/id", AppMessages.emptyPath);
    assertViolation(validateApp(app({ id: "" })), "/id", AppMessages.emptyPath);
    assertViolation(validateApp(app({ id: ".." })), "/id", AppMessages.emptyPath);
  });
});

describe("validateApp: cmd, args and container", () => {
  it("rejects neither cmd nor args without a container image", () =>
    assertViolation(validateApp({ id: "/x" }), "/", AppMessages.cmdArgsContainer, OBJ));
  it("rejects both cmd and args", () => assertViolation(validateApp(app({ args: ["a"] })), "/", AppMessages.cmdArgsContainer));
  it("rejects both cmd and args even with a container", () =>
    assertViolation(validateApp({ ...docker(), cmd: "x", args: ["y"] }), "/", AppMessages.cmdArgsContainer));
  it("accepts args alone, and an image with a command", () => {
    ok({ id: "/x", args: ["a"] });
    ok(docker());
    ok({ id: "/x", args: ["a"], container: { type: "DOCKER", docker: { image: "nginx" } } });
  });
  it("refuses an image alone (Marathon runs its entrypoint; Gantry has no container runtime), naming cmd", () => {
    for (const container of [{ type: "DOCKER", docker: { image: "nginx" } }, { type: "MESOS", docker: { image: "nginx" } }, { type: "MESOS", appc: { image: "nginx", id: `sha512-${"a".repeat(128)}` } }]) {
      assertOnlyViolations(validateApp({ id: "/x", container }), [{ path: "/cmd", errors: [AppMessages.imageEntrypoint] }]);
    }
  });
  it("treats empty args as absent", () => assertViolation(validateApp({ id: "/x", args: [] }), "/", AppMessages.cmdArgsContainer));
  it("rejects a MESOS container without image and without cmd", () =>
    assertViolation(validateApp({ id: "/x", container: { type: "MESOS" } }), "/", AppMessages.cmdArgsContainer));
});

describe("validateApp: env and secrets", () => {
  it("rejects a secret reference to an undefined secret", () =>
    assertViolation(validateApp(app({ env: { DB: { secret: "pw" } } })), "/env/DB", "references an undefined secret named 'pw'", OBJ));
  it("rejects empty env keys", () => assertViolation(validateApp(app({ env: { "": "x" } })), "/env/", "must not be empty"));
  it("allows lowercase env names for apps", () => void ok(app({ env: { lower_case: "x" } })));
  it("refuses secrets while the secrets feature is off (DC/OS 1.9 OSS)", () =>
    assertViolation(
      validateApp(app({ secrets: { pw: { source: "/db/pw" } }, env: { DB: { secret: "pw" } } })),
      "/secrets",
      "Feature secrets is not enabled. Enable with --enable_features secrets)",
    ));
  it("accepts secrets with the feature on; sources must not be empty", () => {
    const features = ["secrets"];
    const a = ok(app({ secrets: { pw: { source: "/db/pw" } }, env: { DB: { secret: "pw" } } }), { features });
    assert.deepEqual(a.env, { DB: { secret: "pw" } });
    assertViolation(validateApp(app({ secrets: { pw: { source: "" } } }), { features }), "/secrets/pw/source", "must not be empty");
  });
});

describe("validateApp: resources", () => {
  it("instances >= 0 (int wording)", () => assertViolation(validateApp(app({ instances: -1 })), "/instances", "got -1, expected 0 or more", OBJ));
  it("cpus, mem, disk >= 0 (double wording)", () => {
    const r = validateApp(app({ cpus: -0.5, mem: -1, disk: -2 }));
    assertViolation(r, "/cpus", "got -0.5, expected 0.0 or more");
    assertViolation(r, "/mem", "got -1.0, expected 0.0 or more");
    assertViolation(r, "/disk", "got -2.0, expected 0.0 or more");
  });
  it("allows cpus 0 (code allows what RAML does not)", () => assert.equal(ok(app({ cpus: 0 })).cpus, 0));
  it("gpus >= 0", () => assertViolation(validateApp(app({ gpus: -1 })), "/gpus", "got -1, expected 0 or more"));
  it("gpus are refused with the Docker containerizer", () =>
    assertViolation(validateApp({ ...docker(), gpus: 1 }), "/", AppMessages.gpusDocker));
  it("gpus work with the Mesos containerizer", () =>
    assert.equal(ok({ id: "/g", cmd: "train", gpus: 1, container: { type: "MESOS", docker: { image: "tf" } } }).gpus, 1));
  it("gpus need the gpu_resources feature", () =>
    assertViolation(validateApp(app({ gpus: 1 }), { features: [] }), "/gpus", "Feature gpu_resources is not enabled. Enable with --enable_features gpu_resources)"));
});

describe("validateApp: executor", () => {
  it("accepts //cmd, paths and empty", () => {
    for (const executor of ["", "//cmd", "/opt/exec", "exec", "a/b"]) ok(app({ executor }));
  });
  it("rejects other forms", () => {
    assertViolation(validateApp(app({ executor: "a//b" })), "/executor", EXECUTOR_MESSAGE);
    assertViolation(validateApp(app({ executor: "/" })), "/executor", EXECUTOR_MESSAGE);
  });
});

describe("validateApp: constraints", () => {
  const c = (...constraints: unknown[]) => validateApp(app({ constraints }));
  it("must be arrays of 2–3 strings", () => {
    assertViolation(c(["hostname"]), "/constraints/0", CONSTRAINT_FORMAT_MESSAGE, JSN);
    assertViolation(c(["a", "UNIQUE", "b", "c"]), "/constraints/0", CONSTRAINT_FORMAT_MESSAGE);
    assertViolation(c(["a", "MAX_PER", 2]), "/constraints/0", CONSTRAINT_FORMAT_MESSAGE);
  });
  it("operator must be one of the six 1.4 operators or IS", () =>
    assertViolation(c(["a", "IN", "{b}"]), "/constraints/0", "Constraint operator must be one of the following: [UNIQUE, LIKE, CLUSTER, GROUP_BY, UNLIKE, MAX_PER, IS]", JSN));
  it("IS (Gantry extension, Marathon 1.6) needs a Mesos text or scalar value", () => {
    assertViolation(c(["rack", "IS"]), "/constraints/0", CONSTRAINT_IS_VALUE_MESSAGE, OBJ);
    assertViolation(c(["rack", "IS", ""]), "/constraints/0", CONSTRAINT_IS_VALUE_MESSAGE);
    assertViolation(c(["ok", "IS", "r1"], ["rack", "IS", "{a,b}"]), "/constraints/1", CONSTRAINT_IS_TEXT_MESSAGE);
    assert.deepEqual(ok(app({ constraints: [["rack", "IS", "rack-1"], ["gpus", "IS", "1.50"]] })).constraints, [["rack", "IS", "rack-1"], ["gpus", "IS", "1.50"]]);
  });
  it("UNIQUE takes no value", () => {
    assertViolation(c(["hostname", "UNIQUE", "x"]), "/constraints/0", "Value specified but not used", OBJ);
    ok(app({ constraints: [["hostname", "UNIQUE"]] }));
  });
  it("CLUSTER value is optional (1.4.12)", () => void ok(app({ constraints: [["rack", "CLUSTER"], ["rack", "CLUSTER", "r1"]] })));
  it("GROUP_BY value is absent or an integer", () => {
    assertViolation(c(["rack", "GROUP_BY", "x"]), "/constraints/0", "Value was specified but is not a number");
    ok(app({ constraints: [["rack", "GROUP_BY"], ["zone", "GROUP_BY", "3"]] }));
  });
  it("MAX_PER needs an integer value", () => {
    assertViolation(c(["rack", "MAX_PER"]), "/constraints/0", "Value was not specified or is not a number");
    assertViolation(c(["rack", "MAX_PER", "two"]), "/constraints/0", "Value was not specified or is not a number");
    ok(app({ constraints: [["rack", "MAX_PER", "2"]] }));
  });
  it("LIKE and UNLIKE need a valid regular expression", () => {
    assertViolation(c(["a", "LIKE"]), "/constraints/0", "A regular expression value must be provided");
    assertViolation(c(["a", "UNLIKE"]), "/constraints/0", "A regular expression value must be provided");
    assertViolation(c(["ok", "LIKE", "x"], ["a", "LIKE", "[a-"]), "/constraints/1", "'[a-' is not a valid regular expression");
    ok(app({ constraints: [["a", "LIKE", ""], ["b", "UNLIKE", "rack-[0-9]+"]] }));
  });
  it("collapses duplicates (constraints are a set)", () =>
    assert.deepEqual(ok(app({ constraints: [["hostname", "UNIQUE"], ["hostname", "UNIQUE"]] })).constraints, [["hostname", "UNIQUE"]]));
  it("uses the operator message constant", () => assert.match(CONSTRAINT_OPERATOR_MESSAGE, /MAX_PER, IS\]$/));
});

describe("validateApp: acceptedResourceRoles", () => {
  it("an empty list is a parse error", () =>
    assertViolation(validateApp(app({ acceptedResourceRoles: [] })), "/acceptedResourceRoles", "set must not be empty", JSN));
  it("role names follow Mesos rules", () => {
    for (const role of ["-x", ".", "..", "a b", "a/b", "a\tb"]) {
      assertViolation(validateApp(app({ acceptedResourceRoles: ["*", role] })), "/acceptedResourceRoles/1", invalidRoleMessage(role));
    }
    assert.deepEqual(ok(app({ acceptedResourceRoles: ["*", "slave_public", "*"] })).acceptedResourceRoles, ["*", "slave_public"]);
  });
  it("resident apps must use [*]", () => {
    const resident = { ...docker({}, { volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 10 } }] }), cmd: "x", container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 10 } }] } };
    assertViolation(validateApp({ ...resident, acceptedResourceRoles: ["slave_public"] }), "/acceptedResourceRoles", AppMessages.residentRoles);
    ok({ ...resident, acceptedResourceRoles: ["*"] });
  });
});

describe("validateApp: ports", () => {
  it("converts deprecated ports to port definitions", () =>
    assert.deepEqual(ok(app({ ports: [8080, 0] })).portDefinitions, [
      { port: 8080, protocol: "tcp", labels: {} },
      { port: 0, protocol: "tcp", labels: {} },
    ]));
  it("accepts ports and portDefinitions that are equivalent (the reader filters: below)", () => {
    assert.equal(ok(app({ ports: [1], portDefinitions: [{ port: 1, name: "http" }] })).portDefinitions[0]?.name, "http");
  });
  it("keeps an explicit empty list", () => assert.deepEqual(ok(app({ portDefinitions: [] })).portDefinitions, []));
  it("port definitions: protocol, port >= 0, name pattern", () => {
    const r = validateApp(app({ portDefinitions: [{ port: -1, protocol: "sctp", name: "Http" }] }));
    assertViolation(r, "/portDefinitions/0/protocol", "is not one of (tcp,udp,udp,tcp)");
    assertViolation(r, "/portDefinitions/0/port", "got -1, expected 0 or more");
    assertViolation(r, "/portDefinitions/0/name", "must fully match regular expression '^[a-z0-9-]+$'");
    ok(app({ portDefinitions: [{ port: 1, protocol: "udp,tcp" }] }));
  });
  it("port missing is a parse error", () => assertViolation(validateApp(app({ portDefinitions: [{ protocol: "tcp" }] })), "/portDefinitions/0/port", "error.path.missing"));
  it("names and non-zero ports must be unique", () => {
    const r = validateApp(app({ portDefinitions: [{ port: 80, name: "a" }, { port: 80, name: "a" }, { port: 0 }, { port: 0 }] }));
    assertOnlyViolations(r, [{ path: "/portDefinitions", errors: [AppMessages.portNamesUnique, AppMessages.portsUnique] }]);
    assertViolation(validateApp(app({ ports: [1, 1] })), "/ports", AppMessages.portsUnique);
    ok(app({ ports: [0, 0] }));
  });
  it("ipAddress removes the default port definition", () => {
    const a = ok(app({ ipAddress: { discovery: { ports: [{ number: 80, name: "http" }] } } }));
    assert.deepEqual(a.portDefinitions, []);
    assert.deepEqual(a.ipAddress, { groups: [], labels: {}, discovery: { ports: [{ number: 80, name: "http", protocol: "tcp" }] } });
  });
  it("ipAddress discovery is refused with Docker BRIDGE/USER networking", () =>
    assertViolation(
      validateApp({ ...docker({ network: "USER" }), ipAddress: { networkName: "dcos", discovery: { ports: [{ number: 80, name: "http" }] } } }),
      "/",
      AppMessages.discoveryWithDockerNetwork,
    ));
  it("requirePorts defaults to false and is kept", () => assert.equal(ok(app({ requirePorts: true, ports: [80] })).requirePorts, true));
});

describe("validateApp: container", () => {
  it("defaults type to DOCKER and docker flags to false", () =>
    assert.deepEqual(ok({ id: "/x", cmd: "x", container: { docker: { image: "nginx" } } }).container, {
      type: "DOCKER",
      volumes: [],
      docker: { image: "nginx", privileged: false, parameters: [], forcePullImage: false },
    }));
  it("DOCKER without docker is refused (Marathon answers 500)", () =>
    assertViolation(validateApp({ id: "/x", cmd: "x", container: { type: "DOCKER" } }), "/container/docker", "docker must not be empty"));
  it("image is required and non-empty", () => {
    assertViolation(validateApp({ id: "/x", container: { docker: {} } }), "/container/docker/image", "error.path.missing", JSN);
    assertViolation(validateApp({ id: "/x", container: { docker: { image: "" } } }), "/container/docker/image", "must not be empty", OBJ);
  });
  it("Docker containerizer refuses credential", () =>
    assertViolation(validateApp(docker({ credential: { principal: "p" } })), "/container/docker/credential", "Docker Containerizer does not support credential"));
  it("Mesos containerizer with a Docker image refuses portMappings, network and parameters", () => {
    const r = validateApp({ id: "/x", container: { type: "MESOS", docker: { image: "i", network: "BRIDGE", portMappings: [{ containerPort: 80 }], parameters: [{ key: "a", value: "b" }] } } });
    assertViolation(r, "/container/docker/portMappings", "Mesos Containerizer does not support portMappings");
    assertViolation(r, "/container/docker/network", "Mesos Containerizer does not support network");
    assertViolation(r, "/container/docker/parameters", "Mesos Containerizer does not support parameters");
    ok({ id: "/x", cmd: "x", container: { type: "MESOS", docker: { image: "i", credential: { principal: "p", secret: "s" } } } });
  });
  it("AppC only with the Mesos containerizer; id must be a sha512", () => {
    assertViolation(validateApp({ id: "/x", cmd: "x", container: { type: "DOCKER", docker: { image: "i" }, appc: { image: "a" } } }), "/container/appc", "AppC images are only supported by the Mesos containerizer (type MESOS)");
    assertViolation(validateApp({ id: "/x", container: { type: "MESOS", appc: { image: "a", id: "sha256-x" } } }), "/container/appc/id", "must fully match regular expression '^sha512-[0-9a-z]{128}$'");
    ok({ id: "/x", cmd: "x", container: { type: "MESOS", appc: { image: "a", id: `sha512-${"a".repeat(128)}` } } });
  });
  it("network must be BRIDGE, HOST, NONE or USER", () =>
    assertViolation(validateApp(docker({ network: "OVERLAY" })), "/container/docker/network", "error.expected.validenumvalue", JSN));
  it("drops port mappings for HOST networking", () =>
    assert.equal(ok(docker({ network: "HOST", portMappings: [{ containerPort: 80 }] })).container?.docker?.portMappings, undefined));
  it("BRIDGE: hostPort defaults to 0; USER: no host port; no default portDefinitions", () => {
    const bridge = ok(docker({ network: "BRIDGE", portMappings: [{ containerPort: 80, name: "http" }] }));
    assert.deepEqual(bridge.container?.docker?.portMappings, [{ containerPort: 80, hostPort: 0, servicePort: 0, protocol: "tcp", name: "http", labels: {} }]);
    assert.deepEqual(bridge.portDefinitions, []);
    const user = ok(docker({ network: "USER", portMappings: [{ containerPort: 80 }] }));
    assert.deepEqual(user.container?.docker?.portMappings, [{ containerPort: 80, servicePort: 0, protocol: "tcp", labels: {} }]);
  });
  it("port mappings: ranges, protocol, name pattern, unique names", () => {
    const r = validateApp(docker({ network: "BRIDGE", portMappings: [{ containerPort: 70000, hostPort: -1, protocol: "icmp", name: "1http" }, { containerPort: 1, name: "a" }, { containerPort: 2, name: "a" }] }));
    assertViolation(r, "/container/docker/portMappings/0/containerPort", "got 70000, expected between 0 and 65535");
    assertViolation(r, "/container/docker/portMappings/0/hostPort", "got -1, expected between 0 and 65535");
    assertViolation(r, "/container/docker/portMappings/0/protocol", "is not one of (tcp,udp,udp,tcp)");
    assertViolation(r, "/container/docker/portMappings/0/name", "must fully match regular expression '^[a-z][a-z0-9-]*$'");
    assertViolation(r, "/container/portMappings", AppMessages.portNamesUnique);
  });
  it("host volumes need hostPath and mode", () => {
    // Marathon's reader takes an absent hostPath as "", which `DockerVolume`'s validator refuses (422).
    for (const hostPath of [undefined, ""]) {
      const r = validateApp(docker({}, { volumes: [{ containerPath: "/a", mode: "RW", hostPath }] }), { pathStyle: "marathon" });
      assertOnlyViolations(r, [{ path: "/container/volumes(0)/hostPath", errors: ["must not be empty"] }]);
      assertViolation(r, "/container/volumes(0)/hostPath", "must not be empty", OBJ);
    }
    assertViolation(validateApp(docker({}, { volumes: [{ containerPath: "/a", hostPath: "/b" }] })), "/container/volumes/0/mode", "error.path.missing", JSN);
    assertViolation(validateApp(docker({}, { volumes: [{ containerPath: "/a", hostPath: "/b", mode: "RX" }] })), "/container/volumes/0/mode", "error.expected.validenumvalue");
    assertViolation(validateApp(docker({}, { volumes: [{ containerPath: "", hostPath: "/b", mode: "RO" }] })), "/container/volumes/0/containerPath", "must not be empty", OBJ);
  });
  it("persistent volumes make the app resident: residency, upgrade {0.5, 0}, unreachable disabled", () => {
    const a = ok({ id: "/db", cmd: "x", container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 100 } }] } });
    assert.deepEqual(a.residency, { relaunchEscalationTimeoutSeconds: 3600, taskLostBehavior: "WAIT_FOREVER" });
    assert.deepEqual(a.upgradeStrategy, { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 });
    assert.equal(a.unreachableStrategy, "disabled");
    assert.deepEqual(a.container?.volumes[0]?.persistent, { type: "root", size: 100, constraints: [] });
  });
  it("persistent size > 0 and path-LIKE constraints only", () => {
    const r = validateApp({ id: "/db", cmd: "x", container: { type: "MESOS", volumes: [{ containerPath: "d", mode: "RW", persistent: { size: 0, constraints: [["host", "UNIQUE"]] } }] } });
    assertViolation(r, "/container/volumes/0/persistent/size", "got 0, expected more than 0");
    assertViolation(r, "/container/volumes/0/persistent/constraints/0", 'Persistent volume constraints must be ["path", "LIKE", "<regex>"]');
  });
  it("external volumes: upgrade {0.5, 0}, name/provider required, feature external_volumes (more in external-volumes.test.ts)", () => {
    const volume = (name: string) => ({ containerPath: "d", mode: "RW", external: { name, provider: "dvdi", options: { "dvdi/driver": "rexray" } } });
    const ext = { id: "/e", cmd: "x", container: { type: "MESOS", volumes: [volume("v")] } };
    assert.deepEqual(ok(ext).upgradeStrategy, { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 });
    assertViolation(validateApp(ext, { features: [] }), "/container/volumes/0", "Feature external_volumes is not enabled. Enable with --enable_features external_volumes)");
    const noName = { ...ext, container: { type: "MESOS", volumes: [volume("")] } };
    assertViolation(validateApp(noName), "/container/volumes/0/external/name", "must not be empty");
    assertViolation(validateApp({ ...ext, container: { type: "MESOS", volumes: [{ containerPath: "d", mode: "RW", external: { name: "v" } }] } }), "/container/volumes/0/external/provider", "error.path.missing", JSN);
  });
});

describe("validateApp: health checks", () => {
  const hc = (...healthChecks: unknown[]) => validateApp(app({ healthChecks }));
  it("HTTP defaults, with portIndex 0 injected", () =>
    assert.deepEqual(ok(app({ healthChecks: [{}] })).healthChecks, [
      { protocol: "HTTP", gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, portIndex: 0, path: "/", ignoreHttp1xx: false },
    ]));
  it("TCP has no path; MESOS_HTTP adds delaySeconds 15 and path; COMMAND has command and delay", () => {
    const checks = ok(app({ healthChecks: [{ protocol: "TCP", path: "/x" }, { protocol: "MESOS_HTTP" }, { protocol: "COMMAND", command: { value: "true" } }] })).healthChecks;
    assert.deepEqual(checks[0], { protocol: "TCP", gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, portIndex: 0 });
    assert.equal(checks[1]?.delaySeconds, 15);
    assert.equal(checks[1]?.path, "/");
    assert.equal("ignoreHttp1xx" in (checks[1] ?? {}), false);
    assert.deepEqual(checks[2], { protocol: "COMMAND", gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, delaySeconds: 15, command: { value: "true" } });
  });
  it("COMMAND needs a command", () => assertViolation(hc({ protocol: "COMMAND" }), "/healthChecks/0/command", "error.path.missing", JSN));
  it("COMMAND needs no port", () => void ok(app({ portDefinitions: [], healthChecks: [{ protocol: "COMMAND", command: { value: "true" } }] })));
  it("port indices must address a port, reported per check at /healthChecks(i) (Marathon's every(portIndexIsValid))", () => {
    const cases: { body: Record<string, unknown>; path: string }[] = [
      { body: app({ healthChecks: [{ portIndex: 1 }] }), path: "/healthChecks(0)" },
      { body: app({ healthChecks: [{ portIndex: "http" }] }), path: "/healthChecks(0)" },
      { body: app({ healthChecks: [{ portIndex: 0 }, { protocol: "TCP", portIndex: 3 }] }), path: "/healthChecks(1)" },
      { body: app({ portDefinitions: [], healthChecks: [{ protocol: "TCP" }] }), path: "/healthChecks(0)" },
    ];
    for (const c of cases) {
      const r = validateApp(c.body, { pathStyle: "marathon" });
      assertOnlyViolations(r, [{ path: c.path, errors: [PORT_INDEX_MESSAGE] }]);
      assert.equal(r.ok === false && r.message, OBJ);
    }
    ok(app({ portDefinitions: [], healthChecks: [{ protocol: "TCP", port: 8080 }] }));
  });
  it("port indices address port mappings for BRIDGE apps", () => {
    ok({ ...docker({ network: "BRIDGE", portMappings: [{ containerPort: 80 }, { containerPort: 81 }] }), healthChecks: [{ portIndex: 1 }] });
    assertViolation(validateApp({ ...docker({ network: "BRIDGE", portMappings: [{ containerPort: 80 }] }), healthChecks: [{ portIndex: 1 }] }), "/healthChecks/0", PORT_INDEX_MESSAGE);
  });
  it("port and portIndex are exclusive", () => assertViolation(hc({ port: 80, portIndex: 0 }), "/healthChecks/0", PORT_XOR_PORT_INDEX_MESSAGE));
  it("at most one Mesos health check (COMMAND not counted)", () => {
    assertViolation(hc({ protocol: "MESOS_HTTP" }, { protocol: "MESOS_TCP" }), "/healthChecks", ONE_MESOS_HEALTH_CHECK_MESSAGE);
    ok(app({ healthChecks: [{ protocol: "MESOS_HTTP" }, { protocol: "COMMAND", command: { value: "x" } }, { protocol: "HTTP" }] }));
  });
  it("timings >= 0", () => {
    const r = hc({ gracePeriodSeconds: -1, maxConsecutiveFailures: -1 });
    assertViolation(r, "/healthChecks/0/gracePeriodSeconds", "got -1, expected 0 or more");
    assertViolation(r, "/healthChecks/0/maxConsecutiveFailures", "got -1, expected 0 or more");
  });
});

describe("validateApp: readiness checks", () => {
  const named = { portDefinitions: [{ port: 0, name: "http-api" }] };
  it("applies defaults", () =>
    assert.deepEqual(ok(app({ ...named, readinessChecks: [{}] })).readinessChecks, [
      { name: "readinessCheck", protocol: "HTTP", path: "/", portName: "http-api", intervalSeconds: 30, timeoutSeconds: 10, httpStatusCodesForReady: [200], preserveLastResponse: false },
    ]));
  it("at most one", () => assertViolation(validateApp(app({ ...named, readinessChecks: [{}, {}] })), "/readinessChecks", "got 2, expected 1 or less"));
  it("0 < timeout < interval", () => {
    assertViolation(validateApp(app({ ...named, readinessChecks: [{ timeoutSeconds: 30 }] })), "/readinessChecks/0/timeoutSeconds", "got 30, expected less than 30");
    assertViolation(validateApp(app({ ...named, readinessChecks: [{ timeoutSeconds: 0 }] })), "/readinessChecks/0/timeoutSeconds", "got 0, expected more than 0");
  });
  it("status codes not empty", () =>
    assertViolation(validateApp(app({ ...named, readinessChecks: [{ httpStatusCodesForReady: [] }] })), "/readinessChecks/0/httpStatusCodesForReady", "must not be empty"));
  it("portName must name a port (port definitions, or port mappings for BRIDGE)", () => {
    assertViolation(validateApp(app({ readinessChecks: [{}] })), "/readinessChecks/0/portName", readinessPortNameMessage("http-api"));
    ok({ ...docker({ network: "BRIDGE", portMappings: [{ containerPort: 80, name: "web" }] }), readinessChecks: [{ portName: "web" }] });
  });
});

describe("validateApp: dependencies, upgrade strategy, labels", () => {
  it("canonicalises dependencies relative to the app's own id", () =>
    assert.deepEqual(ok(app({ id: "/prod/web", dependencies: ["../db", "/cache", "./sidecar", "../db"] })).dependencies, ["/prod/db", "/cache", "/prod/web/sidecar"]));
  it("rejects invalid dependency ids", () => assertViolation(validateApp(app({ dependencies: ["/DB"] })), "/dependencies/0", ID_PATTERN_MESSAGE));
  it("capacities in [0, 1], with Accord's between wording (Marathon's AppDefinitionTest)", () => {
    const cases: { strategy: Record<string, number>; path: string; message: string }[] = [
      { strategy: { minimumHealthCapacity: 1.2 }, path: "/upgradeStrategy/minimumHealthCapacity", message: "got 1.2, expected between 0.0 and 1.0" },
      { strategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 1.2 }, path: "/upgradeStrategy/maximumOverCapacity", message: "got 1.2, expected between 0.0 and 1.0" },
      { strategy: { minimumHealthCapacity: -1.2 }, path: "/upgradeStrategy/minimumHealthCapacity", message: "got -1.2, expected between 0.0 and 1.0" },
      { strategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: -1.2 }, path: "/upgradeStrategy/maximumOverCapacity", message: "got -1.2, expected between 0.0 and 1.0" },
      { strategy: { minimumHealthCapacity: 2 }, path: "/upgradeStrategy/minimumHealthCapacity", message: "got 2.0, expected between 0.0 and 1.0" },
    ];
    for (const c of cases) assertOnlyViolations(validateApp(app({ upgradeStrategy: c.strategy })), [{ path: c.path, errors: [c.message] }]);
    ok(app({ upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } }));
  });
  it("fills a partially given strategy with the defaults", () =>
    assert.deepEqual(ok(app({ upgradeStrategy: { minimumHealthCapacity: 0.5 } })).upgradeStrategy, { minimumHealthCapacity: 0.5, maximumOverCapacity: 1 }));
  it("resident apps need maximumOverCapacity 0", () =>
    assertViolation(
      validateApp({ id: "/db", cmd: "x", upgradeStrategy: { maximumOverCapacity: 0.5 }, container: { type: "MESOS", volumes: [{ containerPath: "d", mode: "RW", persistent: { size: 1 } }] } }),
      "/upgradeStrategy/maximumOverCapacity",
      "got 0.5, expected 0.0",
    ));
  it("single-instance apps: both capacities 0 and at most one instance", () => {
    const labels = { MARATHON_SINGLE_INSTANCE_APP: "true" };
    const r = validateApp(app({ labels, instances: 2 }));
    assertViolation(r, "/upgradeStrategy/minimumHealthCapacity", "got 1.0, expected 0.0");
    assertViolation(r, "/upgradeStrategy/maximumOverCapacity", "got 1.0, expected 0.0");
    assertViolation(r, "/", AppMessages.singleInstance);
    ok(app({ labels, instances: 1, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } }));
  });
  it("migration API labels", () => {
    assertViolation(validateApp(app({ labels: { DCOS_MIGRATION_API_VERSION: "v1" } })), "/labels", AppMessages.migrationLabels);
    assertViolation(
      validateApp(app({ labels: { DCOS_MIGRATION_API_VERSION: "v2", DCOS_PACKAGE_FRAMEWORK_NAME: "f", DCOS_MIGRATION_API_PATH: "/p" } })),
      "/labels",
      AppMessages.migrationVersion,
    );
    ok(app({ labels: { DCOS_MIGRATION_API_VERSION: "v1", DCOS_PACKAGE_FRAMEWORK_NAME: "f", DCOS_MIGRATION_API_PATH: "/p" } }));
  });
  it("backoff fields are not range-checked by Marathon", () => {
    const a = ok(app({ backoffSeconds: -1, backoffFactor: 0.5, maxLaunchDelaySeconds: -5 }));
    assert.deepEqual([a.backoffSeconds, a.backoffFactor, a.maxLaunchDelaySeconds], [-1, 0.5, -5]);
  });
});

describe("validateApp: AppDefinitionReads' cross-field filters (400 Invalid JSON at /, the first one only)", () => {
  const refused: { name: string; extra: Record<string, unknown>; message: string }[] = [
    { name: "ports and portDefinitions that differ", extra: { ports: [1], portDefinitions: [{ port: 2 }] }, message: AppMessages.portsAndPortDefinitions },
    { name: "ipAddress with ports", extra: { ipAddress: {}, ports: [80] }, message: AppMessages.ipAddressAndPorts },
    { name: "ipAddress with portDefinitions", extra: { ipAddress: {}, portDefinitions: [{ port: 0 }] }, message: AppMessages.ipAddressAndPorts },
    { name: "uris and fetch", extra: { uris: ["http://a"], fetch: [{ uri: "http://b" }] }, message: AppMessages.urisAndFetch },
    { name: "uris and fetch before ipAddress with ports", extra: { uris: ["http://a"], fetch: [{ uri: "http://b" }], ipAddress: {}, ports: [1] }, message: AppMessages.urisAndFetch },
    { name: "ipAddress with ports before ports against portDefinitions", extra: { ipAddress: {}, ports: [1], portDefinitions: [{ port: 2 }] }, message: AppMessages.ipAddressAndPorts },
  ];
  for (const { name, extra, message } of refused) {
    it(`refuses ${name}`, () => assertOnlyViolations(validateApp(app(extra)), [{ path: "/", errors: [message] }]));
    it(`reports ${name} as a parse error`, () => assertViolation(validateApp(app(extra)), "/", message, JSN));
  }
  const accepted: { name: string; extra: Record<string, unknown> }[] = [
    { name: "ports equal to the portDefinitions' ports", extra: { ports: [1], portDefinitions: [{ port: 1 }] } },
    { name: "ipAddress with empty ports and portDefinitions", extra: { ipAddress: {}, ports: [], portDefinitions: [] } },
    { name: "empty uris with fetch", extra: { uris: [], fetch: [{ uri: "http://b" }] } },
    { name: "uris with an empty fetch", extra: { uris: ["http://a"], fetch: [] } },
  ];
  for (const { name, extra } of accepted) {
    it(`accepts ${name}`, () => {
      ok(app(extra));
    });
  }
});

describe("validateApp: fetch, uris, storeUrls", () => {
  it("fetch defaults extract true, executable/cache false", () =>
    assert.deepEqual(ok(app({ fetch: [{ uri: "http://x/a.bin", destPath: "b" }] })).fetch, [{ uri: "http://x/a.bin", extract: true, executable: false, cache: false, destPath: "b" }]));
  it("uris convert to fetch, extract by archive extension", () =>
    assert.deepEqual(ok(app({ uris: ["http://x/a.tgz", "http://x/b.sh"] })).fetch.map((f) => f.extract), [true, false]));
  it("an empty fetch gives way to uris, as in Marathon's reader", () =>
    assert.deepEqual(ok(app({ uris: ["http://x/a.tgz"], fetch: [] })).fetch.map((f) => f.uri), ["http://x/a.tgz"]));
  it("URIs must be valid, reported at /fetch(i) also for uris (Marathon validates the converted fetch)", () => {
    const cases: { body: Record<string, unknown>; path: string }[] = [
      { body: app({ fetch: [{ uri: "http://example.com/valid" }, { uri: "d://\not-a-uri" }] }), path: "/fetch(1)" },
      { body: app({ fetch: [{ uri: "http://x/a b" }] }), path: "/fetch(0)" },
      { body: app({ uris: ["http://x/%zz"] }), path: "/fetch(0)" },
    ];
    for (const c of cases) assertOnlyViolations(validateApp(c.body, { pathStyle: "marathon" }), [{ path: c.path, errors: [AppMessages.uriSyntax] }]);
    ok(app({ fetch: [{ uri: "http://example.com/valid" }, { uri: "/root/file" }] }));
  });
  it("storeUrls must be URLs", () => {
    const r = validateApp(app({ storeUrls: ["foo", "gopher://x", "http://ok/x"] }));
    assertOnlyViolations(r, [
      { path: "/storeUrls/0", errors: ["no protocol: foo"] },
      { path: "/storeUrls/1", errors: ["unknown protocol: gopher"] },
    ]);
  });
});

describe("validateApp: residency, kill, unreachable", () => {
  it("residency needs persistent volumes", () => assertViolation(validateApp(app({ residency: {} })), "/", AppMessages.residency));
  it("taskKillGracePeriodSeconds >= 0", () => {
    assertViolation(validateApp(app({ taskKillGracePeriodSeconds: -1 })), "/taskKillGracePeriodSeconds", "got -1, expected 0 or more");
    assert.equal(ok(app({ taskKillGracePeriodSeconds: 5 })).taskKillGracePeriodSeconds, 5);
  });
  it("killSelection accepts OLDEST_FIRST", () => assert.equal(ok(app({ killSelection: "OLDEST_FIRST" })).killSelection, "OLDEST_FIRST"));
  it("unreachableStrategy: disabled, or 0 <= inactive <= expunge", () => {
    assert.equal(ok(app({ unreachableStrategy: "disabled" })).unreachableStrategy, "disabled");
    assertViolation(validateApp(app({ unreachableStrategy: { inactiveAfterSeconds: 100, expungeAfterSeconds: 50 } })), "/unreachableStrategy/inactiveAfterSeconds", "got 100, expected 50 or less");
    assertViolation(validateApp(app({ unreachableStrategy: { inactiveAfterSeconds: -1, expungeAfterSeconds: 50 } })), "/unreachableStrategy/inactiveAfterSeconds", "got -1, expected 0 or more");
    assertViolation(validateApp(app({ unreachableStrategy: "enabled" })), "/unreachableStrategy", "error.expected.jsobject", JSN);
    assert.deepEqual(ok(app({ unreachableStrategy: { expungeAfterSeconds: 10 } })).unreachableStrategy, { inactiveAfterSeconds: 0, expungeAfterSeconds: 10 });
  });
  it("inactive == expunge is fine (1.4.9+)", () => void ok(app({ unreachableStrategy: { inactiveAfterSeconds: 60, expungeAfterSeconds: 60 } })));
  it("resident apps must disable unreachable handling", () =>
    assertViolation(
      validateApp({ id: "/db", cmd: "x", unreachableStrategy: { inactiveAfterSeconds: 1, expungeAfterSeconds: 2 }, container: { type: "MESOS", volumes: [{ containerPath: "d", mode: "RW", persistent: { size: 1 } }] } }),
      "/unreachableStrategy",
      AppMessages.residentUnreachable,
    ));
});

describe("validateApp: path rendering", () => {
  it("renders array indexes as Marathon does when asked", () => {
    assertViolation(validateApp(app({ healthChecks: [{ protocol: "UDP" }] }), { pathStyle: "marathon" }), "/healthChecks(0)/protocol", "error.expected.validenumvalue");
    assertNoViolation(validateApp(app({ healthChecks: [{ protocol: "UDP" }] }), { pathStyle: "marathon" }), "/healthChecks/0/protocol", "error.expected.validenumvalue");
  });
  it("groups several errors of one path in one entry", () => {
    const r = validateApp({ id: "/x" , args: ["a"], cmd: "b", gpus: 1, container: { docker: { image: "i" } } });
    assertOnlyViolations(r, [{ path: "/", errors: [AppMessages.cmdArgsContainer, AppMessages.gpusDocker] }]);
  });
});

describe("validateAppUpdate", () => {
  const existing = ok(app({ id: "/prod/web", instances: 2, cpus: 0.5, labels: { a: "b" } }));
  it("merges given fields over the stored app and ignores the body id", () => {
    const updated = assertOk(validateAppUpdate({ id: "/other", instances: 5 }, existing)).app;
    assert.deepEqual(updated, { ...existing, instances: 5 });
  });
  it("resolves relative ids in the update against the app's group", () =>
    assert.deepEqual(assertOk(validateAppUpdate({ dependencies: ["db"] }, existing)).app.dependencies, ["/prod/web/db"]));
  it("validates the merged result", () => assertViolation(validateAppUpdate({ cpus: -1 }, existing), "/cpus", "got -1.0, expected 0.0 or more"));
  it("null counts as not given (Play's readNullable)", () =>
    assert.deepEqual(assertOk(validateAppUpdate({ cpus: null, portDefinitions: null, cmd: null }, existing)).app, existing));
  describe("the merged app is checked as Marathon's AppUpdate.apply result", () => {
    const withArgs = ok({ id: "/prod/args", args: ["run"] });
    const withIp = ok(app({ id: "/prod/ip", ipAddress: {} }));
    const cases: { name: string; body: Record<string, unknown>; stored: AppDefinition | string; kind: typeof OBJ | typeof JSN; path: string; message: string }[] = [
      { name: "ipAddress over stored port definitions", body: { ipAddress: {} }, stored: existing, kind: OBJ, path: "/", message: AppMessages.ipAddressWithPortDefinitions },
      { name: "ipAddress with ports", body: { ipAddress: {}, ports: [80] }, stored: existing, kind: OBJ, path: "/", message: AppMessages.ipAddressWithPortDefinitions },
      { name: "portDefinitions over a stored ipAddress", body: { portDefinitions: [{ port: 0 }] }, stored: withIp, kind: OBJ, path: "/", message: AppMessages.ipAddressWithPortDefinitions },
      { name: "ipAddress for an app not stored yet (the default port definition)", body: { cmd: "x", ipAddress: {} }, stored: "/prod/new", kind: OBJ, path: "/", message: AppMessages.ipAddressWithPortDefinitions },
      { name: "args over a stored cmd", body: { args: ["run"] }, stored: existing, kind: OBJ, path: "/", message: AppMessages.cmdArgsContainer },
      { name: "cmd over stored args", body: { cmd: "x" }, stored: withArgs, kind: OBJ, path: "/", message: AppMessages.cmdArgsContainer },
      { name: "a rule on a stored field (instances 2)", body: { labels: { MARATHON_SINGLE_INSTANCE_APP: "true" }, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } }, stored: existing, kind: OBJ, path: "/", message: AppMessages.singleInstance },
      { name: "ports and portDefinitions that differ", body: { ports: [1], portDefinitions: [{ port: 2 }] }, stored: existing, kind: JSN, path: "/", message: AppMessages.portsAndPortDefinitions },
      { name: "uris and fetch, even empty", body: { uris: [], fetch: [] }, stored: existing, kind: JSN, path: "/", message: AppMessages.urisAndFetch },
    ];
    for (const { name, body, stored, kind, path, message } of cases) {
      it(`refuses ${name}: ${kind} at ${path}`, () => {
        const r = validateAppUpdate(body, stored, { pathStyle: "marathon" });
        assertOnlyViolations(r, [{ path, errors: [message] }]);
        assertViolation(r, path, message, kind);
      });
    }
    it("accepts ipAddress with empty port definitions, and keeps the stored ipAddress", () => {
      assert.deepEqual(assertOk(validateAppUpdate({ ipAddress: {}, portDefinitions: [] }, existing)).app.ipAddress, { groups: [], labels: {}, discovery: { ports: [] } });
      assert.equal(assertOk(validateAppUpdate({ cpus: 2 }, withIp)).app.ipAddress !== undefined, true);
      assertOk(validateAppUpdate({ cmd: "x", ipAddress: {}, ports: [] }, "/prod/new"));
    });
  });
  it("ports replace the stored portDefinitions; uris replace fetch", () => {
    const withFetch = ok(app({ fetch: [{ uri: "http://a" }] }));
    const updated = assertOk(validateAppUpdate({ ports: [8080], uris: ["http://b.zip"] }, withFetch)).app;
    assert.deepEqual(updated.portDefinitions, [{ port: 8080, protocol: "tcp", labels: {} }]);
    assert.deepEqual(updated.fetch, [{ uri: "http://b.zip", extract: true, executable: false, cache: false }]);
  });
  it("a full replace (partial=false) resets omitted fields to defaults", () => {
    const updated = assertOk(validateAppUpdate({ cmd: "x" }, existing, { partial: false })).app;
    assert.equal(updated.id, "/prod/web");
    assert.equal(updated.instances, 1);
    assert.deepEqual(updated.labels, {});
  });
  it("leaves resident-app changes to the deployment check (checkResidentUpdates, as Marathon's plan validator)", () => {
    const resident = ok({ id: "/db", cmd: "x", container: { type: "MESOS", volumes: [{ containerPath: "d", mode: "RW", persistent: { size: 1 } }] } });
    assert.equal(assertOk(validateAppUpdate({ cpus: 2 }, resident)).app.cpus, 2);
    assert.equal(assertOk(validateAppUpdate({ instances: 3 }, resident)).app.instances, 3);
  });
  it("refuses a non-object body", () => assertViolation(validateAppUpdate("x", existing), "/", "error.expected.jsobject", JSN));
});
