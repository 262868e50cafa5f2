import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validatePod, PodMessages, commandCheckMessage } from "./pod-validator.ts";
import { ID_PATTERN_MESSAGE } from "./app-validator.ts";
import type { PodDefinition } from "./pod.model.ts";
import { assertOk, assertOnlyViolations, assertViolation, RUNNABLE_SEED_POD, SEED_POD } from "./test-support.ts";
import { ABSOLUTE_PATH_MESSAGE } from "./path-id.ts";
import { CONSTRAINT_IS_TEXT_MESSAGE, CONSTRAINT_IS_VALUE_MESSAGE } from "./constraints.ts";

const OBJ = "Object is not valid" as const;
const JSN = "Invalid JSON" as const;
const EXEC = { exec: { command: { shell: "sleep 1" } } };
const hostPod = (extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => ({
  id: "/p",
  containers: [{ name: "main", ...EXEC, ...container }],
  networks: [{ mode: "host" }],
  ...extra,
});
const ok = (raw: unknown, opts?: Parameters<typeof validatePod>[1]): PodDefinition => assertOk(validatePod(raw, opts)).pod;

describe("validatePod: the DC/OS 1.9 overview /app pod", () => {
  it("as the overview gives it, is refused: neither container has a command, and Gantry runs no image entrypoint", () =>
    assertOnlyViolations(validatePod(SEED_POD), [
      { path: "/containers/0/exec", errors: [PodMessages.commandRequired] },
      { path: "/containers/1/exec", errors: [PodMessages.commandRequired] },
    ]));
  const pod = ok(RUNNABLE_SEED_POD);
  it("is accepted", () => assert.equal(pod.id, "/app"));
  it("keeps both containers; resources get disk 0 and gpus 0", () => {
    assert.deepEqual(pod.containers.map((c) => c.name), ["nginx", "memcached"]);
    assert.deepEqual(pod.containers[0]?.resources, { cpus: 0.1, mem: 128, disk: 0, gpus: 0 });
    assert.deepEqual(pod.containers[1]?.resources, { cpus: 0.1, mem: 128, disk: 0, gpus: 0 });
  });
  it("keeps the web endpoint with dynamic host port and the VIP label", () =>
    assert.deepEqual(pod.containers[0]?.endpoints, [{ name: "web", containerPort: 8080, hostPort: 0, protocol: ["tcp"], labels: { VIP_0: "/app:8080" } }]));
  it("nginx keeps its image beside its command; memcached has none", () => {
    assert.deepEqual(pod.containers.map((c) => c.image?.id), ["nginx", undefined]);
    assert.deepEqual(pod.containers[1]?.exec, { command: { shell: "run-memcached" } });
  });
  it("fills scheduling, scaling and executor defaults", () => {
    assert.deepEqual(pod.scaling, { kind: "fixed", instances: 1 });
    assert.deepEqual(pod.networks, [{ mode: "container", name: "dcos" }]);
    assert.deepEqual(pod.scheduling, {
      backoff: { backoff: 1, backoffFactor: 1.15, maxLaunchDelay: 3600 },
      upgrade: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      placement: { constraints: [], acceptedResourceRoles: [] },
      killSelection: "YOUNGEST_FIRST",
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    });
    assert.deepEqual(pod.executorResources, { cpus: 0.1, mem: 32, disk: 10 });
    assert.deepEqual([pod.volumes, pod.labels, pod.environment, pod.secrets], [[], {}, {}, {}]);
  });
  it("is JSON-serialisable", () => assert.deepEqual(JSON.parse(JSON.stringify(pod)), pod));
});

describe("validatePod: shape and ids", () => {
  it("requires containers", () => assertViolation(validatePod({ id: "/p" }), "/containers", "error.path.missing", JSN));
  it("reports wrong types at their paths", () =>
    assertViolation(validatePod(hostPod({}, { resources: { cpus: "1" } })), "/containers/0/resources/cpus", "error.expected.jsnumber", JSN));
  it("ignores unknown fields (scaling.maxInstances)", () => {
    const pod = ok(hostPod({ scaling: { kind: "fixed", instances: 2, maxInstances: 888 }, foo: 1 }));
    assert.deepEqual(pod.scaling, { kind: "fixed", instances: 2 });
    assert.equal("foo" in pod, false);
  });
  it("validates segments; the root is no pod id", () => {
    assertViolation(validatePod(hostPod({ id: "/P" })), "/id", ID_PATTERN_MESSAGE, OBJ);
    assertViolation(validatePod(hostPod({ id: "/" })), "/id", "Path must contain at least one path element");
  });
  it("refuses relative ids with Marathon's absolutePathValidator message (pods are not canonicalised first)", () => {
    const cases: { id: string; errors: string[] }[] = [
      { id: "p", errors: [ABSOLUTE_PATH_MESSAGE] },
      { id: "g/p", errors: [ABSOLUTE_PATH_MESSAGE] },
      { id: "./p", errors: [ABSOLUTE_PATH_MESSAGE] },
      { id: "../p", errors: [ABSOLUTE_PATH_MESSAGE] },
      { id: "", errors: [ABSOLUTE_PATH_MESSAGE, "Path must contain at least one path element"] },
    ];
    for (const c of cases) {
      const r = validatePod(hostPod({ id: c.id }), { parentGroup: "/g" });
      assertOnlyViolations(r, [{ path: "/id", errors: c.errors }]);
      assert.equal(r.ok === false && r.message, OBJ);
    }
    assert.equal(ABSOLUTE_PATH_MESSAGE, "Path needs to be absolute");
    assert.equal(ok(hostPod({ id: "/g/p/" }), { parentGroup: "/other" }).id, "/g/p");
  });
  it("user must not be empty", () => assertViolation(validatePod(hostPod({ user: "" })), "/user", "must not be empty"));
});

describe("validatePod: containers", () => {
  it("must not be empty", () => assertViolation(validatePod(hostPod({ containers: [] })), "/containers", "must not be empty"));
  it("names are valid and unique", () => {
    assertViolation(validatePod(hostPod({}, { name: "Main" })), "/containers/0/name", PodMessages.validName);
    assertViolation(validatePod(hostPod({}, { name: "a".repeat(64) })), "/containers/0/name", "got 64, expected less than 64");
    const two = hostPod({ containers: [{ name: "a" }, { name: "a" }] });
    assertViolation(validatePod(two), "/containers", PodMessages.containerNamesUnique);
  });
  it("resources >= 0", () => {
    const r = validatePod(hostPod({}, { resources: { cpus: -1, gpus: -1 } }));
    assertViolation(r, "/containers/0/resources/cpus", "got -1.0, expected 0.0 or more");
    assertViolation(r, "/containers/0/resources/gpus", "got -1, expected 0 or more");
  });
  it("image id 1–1024 chars; kind DOCKER or APPC", () => {
    assertViolation(validatePod(hostPod({}, { image: { kind: "DOCKER", id: "" } })), "/containers/0/image/id", "got 0, expected between 1 and 1024");
    assertViolation(validatePod(hostPod({}, { image: { kind: "OCI", id: "x" } })), "/containers/0/image/kind", "error.expected.validenumvalue", JSN);
  });
  it("exec: shell or argv", () => {
    assert.deepEqual(ok(hostPod({}, { exec: { command: { argv: ["a", "b"] }, overrideEntrypoint: true } })).containers[0]?.exec, { command: { argv: ["a", "b"] }, overrideEntrypoint: true });
    assertViolation(validatePod(hostPod({}, { exec: { command: { shell: "" } } })), "/containers/0/exec/command/shell", "must not be empty");
  });
  it("artifacts: defaults and lengths", () => {
    assert.deepEqual(ok(hostPod({}, { artifacts: [{ uri: "http://a/b.tgz" }] })).containers[0]?.artifacts, [{ uri: "http://a/b.tgz", extract: true, executable: false, cache: false }]);
    assertViolation(validatePod(hostPod({}, { artifacts: [{ uri: "" }] })), "/containers/0/artifacts/0/uri", "got 0, expected between 1 and 1024");
  });
  it("lifecycle.killGracePeriodSeconds > 0", () =>
    assertViolation(validatePod(hostPod({}, { lifecycle: { killGracePeriodSeconds: 0 } })), "/containers/0/lifecycle/killGracePeriodSeconds", "got 0.0, expected more than 0.0"));
});

describe("validatePod: environment and secrets", () => {
  it("names are upper case (stricter than apps) and shorter than 255", () => {
    assertViolation(validatePod(hostPod({ environment: { lower: "x" } })), "/environment/lower", PodMessages.envName);
    assertViolation(validatePod(hostPod({}, { environment: { "1X": "x" } })), "/containers/0/environment/1X", PodMessages.envName);
    assertViolation(validatePod(hostPod({ environment: { ["A".repeat(255)]: "x" } })), `/environment/${"A".repeat(255)}`, "got 255, expected less than 255");
    ok(hostPod({ environment: { MASTER_URI: "x", _X1: "y" } }));
  });
  it("secret refs need the secrets feature and a defined secret", () => {
    const r = validatePod(hostPod({ environment: { PW: { secret: "pw" } } }));
    assertViolation(r, "/environment", PodMessages.envSecretsFeature);
    assertViolation(r, "/environment/PW", "references an undefined secret named 'pw'");
    ok(hostPod({ environment: { PW: { secret: "pw" } }, secrets: { pw: { source: "/s" } } }), { features: ["secrets"] });
  });
  it("secrets need the feature", () =>
    assertViolation(validatePod(hostPod({ secrets: { pw: { source: "/s" } } })), "/secrets", "Feature secrets is not enabled. Enable with --enable_features secrets)"));
});

describe("validatePod: volumes", () => {
  const mounted = (volumes: unknown[], mounts: unknown[] = [{ name: "data", mountPath: "/d" }]) => hostPod({ volumes }, { volumeMounts: mounts });
  it("accepts an ephemeral and a host volume", () =>
    assert.deepEqual(ok(hostPod({ volumes: [{ name: "data" }, { name: "logs", host: "/var/log" }] }, { volumeMounts: [{ name: "data", mountPath: "/d" }, { name: "logs", mountPath: "/l", readOnly: true }] })).volumes, [{ name: "data" }, { name: "logs", host: "/var/log" }]));
  it("each volume must be mounted", () => assertViolation(validatePod(mounted([{ name: "data" }, { name: "unused" }])), "/volumes/1", PodMessages.volumeReferenced));
  it("names unique; host not empty", () => {
    assertViolation(validatePod(mounted([{ name: "data" }, { name: "data" }])), "/volumes", PodMessages.volumeNamesUnique);
    assertViolation(validatePod(mounted([{ name: "data", host: "" }])), "/volumes/0/host", "must not be empty");
  });
  it("mounts must reference a volume; mountPath 1–1024", () => {
    assertViolation(validatePod(mounted([], [{ name: "nope", mountPath: "/x" }])), "/containers/0/volumeMounts/0/name", PodMessages.volumeMountExists);
    assertViolation(validatePod(mounted([{ name: "data" }], [{ name: "data", mountPath: "" }])), "/containers/0/volumeMounts/0/mountPath", "got 0, expected between 1 and 1024");
  });
});

describe("validatePod: networks", () => {
  it("needs one host network or 1..n container networks", () => {
    assertViolation(validatePod({ ...hostPod(), networks: [] }), "/networks", PodMessages.networkModes);
    assertViolation(validatePod({ ...hostPod(), networks: undefined }), "/networks", PodMessages.networkModes);
    assertViolation(validatePod({ ...hostPod(), networks: [{ mode: "host" }, { mode: "container", name: "a" }] }), "/networks", PodMessages.networkModes);
    assertViolation(validatePod({ ...hostPod(), networks: [{ mode: "host" }, { mode: "host" }] }), "/networks", PodMessages.networkModes);
    ok({ ...hostPod(), networks: [{ name: "a" }, { name: "b" }] });
  });
  it("host networks have no name or labels", () =>
    assertViolation(validatePod({ ...hostPod(), networks: [{ mode: "host", name: "x" }] }), "/networks", PodMessages.hostNetworkNamed));
  it("no duplicates", () => assertViolation(validatePod({ ...hostPod(), networks: [{ name: "a" }, { name: "a" }] }), "/networks", PodMessages.duplicateNetworks));
  it("unnamed container networks get the default name, else need one", () => {
    assert.deepEqual(ok({ ...hostPod(), networks: [{}] }).networks, [{ mode: "container", name: "dcos" }]);
    assert.deepEqual(ok({ ...hostPod(), networks: [{}] }, { defaultNetworkName: "overlay" }).networks, [{ mode: "container", name: "overlay" }]);
    assertViolation(validatePod({ ...hostPod(), networks: [{ mode: "container" }] }, { defaultNetworkName: null }), "/networks", PodMessages.networkName);
  });
  it("mode must be container or host", () => assertViolation(validatePod({ ...hostPod(), networks: [{ mode: "bridge" }] }), "/networks/0/mode", "error.expected.validenumvalue", JSN));
});

describe("validatePod: endpoints", () => {
  const ct = (endpoints: unknown[], more: object[] = []) => ({ id: "/p", networks: [{ name: "dcos" }], containers: [{ name: "a", endpoints, ...EXEC }, ...more.map((c) => ({ ...EXEC, ...c }))] });
  it("host networking: hostPort required, containerPort forbidden", () => {
    const r = validatePod(hostPod({}, { endpoints: [{ name: "web", containerPort: 80 }] }));
    assertViolation(r, "/containers/0/endpoints/0/hostPort", PodMessages.hostPortRequired);
    assertViolation(r, "/containers/0/endpoints/0/containerPort", PodMessages.containerPortForbidden);
    ok(hostPod({}, { endpoints: [{ name: "web", hostPort: 0 }] }));
  });
  it("container networking: containerPort required", () => {
    assertViolation(validatePod(ct([{ name: "web" }])), "/containers/0/endpoints/0/containerPort", PodMessages.containerPortRequired);
    assert.equal("hostPort" in (ok(ct([{ name: "web", containerPort: 80 }])).containers[0]?.endpoints[0] ?? {}), false);
  });
  it("port ranges and name rules", () => {
    const r = validatePod(ct([{ name: "Web", containerPort: 0, hostPort: 70000 }]));
    assertViolation(r, "/containers/0/endpoints/0/containerPort", "got 0, expected between 1 and 65535");
    assertViolation(r, "/containers/0/endpoints/0/hostPort", "got 70000, expected between 0 and 65535");
    assertViolation(r, "/containers/0/endpoints/0/name", "must fully match regular expression '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'");
  });
  it("protocols distinct; default [tcp]", () => {
    assertViolation(validatePod(ct([{ name: "w", containerPort: 1, protocol: ["tcp", "tcp"] }])), "/containers/0/endpoints/0/protocol", PodMessages.duplicateProtocols);
    assert.deepEqual(ok(ct([{ name: "w", containerPort: 1 }])).containers[0]?.endpoints[0]?.protocol, ["tcp"]);
  });
  it("names, container ports and non-zero host ports unique across the pod", () => {
    const r = validatePod(ct([{ name: "w", containerPort: 80, hostPort: 9000 }], [{ name: "b", endpoints: [{ name: "w", containerPort: 80, hostPort: 9000 }] }]));
    assertViolation(r, "/", PodMessages.endpointNamesUnique);
    assertViolation(r, "/", PodMessages.containerPortsUnique);
    assertViolation(r, "/", PodMessages.hostPortsUnique);
    ok(ct([{ name: "w", containerPort: 80, hostPort: 0 }], [{ name: "b", endpoints: [{ name: "x", containerPort: 81, hostPort: 0 }] }]));
  });
});

describe("validatePod: health checks", () => {
  const withHc = (healthCheck: unknown) => hostPod({}, { endpoints: [{ name: "web", hostPort: 0 }], healthCheck });
  it("applies defaults", () =>
    assert.deepEqual(ok(withHc({ http: { endpoint: "web" } })).containers[0]?.healthCheck, {
      http: { endpoint: "web", scheme: "HTTP" },
      gracePeriodSeconds: 300,
      intervalSeconds: 60,
      maxConsecutiveFailures: 3,
      timeoutSeconds: 20,
      delaySeconds: 15,
    }));
  it("exactly one of http, tcp, exec", () => {
    assertViolation(validatePod(withHc({ http: { endpoint: "web" }, tcp: { endpoint: "web" } })), "/containers/0/healthCheck", PodMessages.oneHealthCheckKind);
    assertViolation(validatePod(withHc({})), "/containers/0/healthCheck", PodMessages.oneHealthCheckKind);
  });
  it("endpoint must be one of the container's", () =>
    assertViolation(validatePod(withHc({ tcp: { endpoint: "db" } })), "/containers/0/healthCheck/tcp/endpoint", PodMessages.endpointInContainer));
  it("command checks are refused in 1.4", () =>
    assertViolation(validatePod(withHc({ exec: { command: { shell: "true" } } })), "/containers/0/healthCheck/exec", commandCheckMessage("1.2.0")));
  it("timeoutSeconds < intervalSeconds", () =>
    assertViolation(validatePod(withHc({ tcp: { endpoint: "web" }, timeoutSeconds: 60 })), "/containers/0/healthCheck/timeoutSeconds", "got 60, expected less than 60"));
});

describe("validatePod: scaling and scheduling", () => {
  it("only fixed scaling, instances >= 0", () => {
    assertViolation(validatePod(hostPod({ scaling: { kind: "auto" } })), "/scaling", PodMessages.fixedScaling);
    assertViolation(validatePod(hostPod({ scaling: { instances: -1 } })), "/scaling/instances", "got -1, expected 0 or more");
  });
  it("backoff >= 0, upgrade in [0, 1]", () => {
    const r = validatePod(hostPod({ scheduling: { backoff: { backoff: -1 }, upgrade: { minimumHealthCapacity: 1.5, maximumOverCapacity: -1 } } }));
    assertViolation(r, "/scheduling/backoff/backoff", "got -1.0, expected 0.0 or more");
    assertViolation(r, "/scheduling/upgrade/minimumHealthCapacity", "got 1.5, expected 1.0 or less");
    assertViolation(r, "/scheduling/upgrade/maximumOverCapacity", "got -1.0, expected 0.0 or more");
  });
  it("object-form placement constraints with the app operator rules", () => {
    const c = (constraints: unknown[]) => validatePod(hostPod({ scheduling: { placement: { constraints } } }));
    assertViolation(c([{ fieldName: "hostname", operator: "UNIQUE", value: "x" }]), "/scheduling/placement/constraints/0", "Value specified but not used");
    assertViolation(c([{ fieldName: "rack", operator: "MAX_PER" }]), "/scheduling/placement/constraints/0", "Value was not specified or is not a number");
    assertViolation(c([{ fieldName: "", operator: "CLUSTER" }]), "/scheduling/placement/constraints/0", "Missing field and operator");
    assertViolation(c([{ fieldName: "a", operator: "IN", value: "{b}" }]), "/scheduling/placement/constraints/0/operator", "error.expected.validenumvalue", JSN);
    assertViolation(c([{ fieldName: "rack", operator: "IS" }]), "/scheduling/placement/constraints/0", CONSTRAINT_IS_VALUE_MESSAGE, OBJ);
    assertViolation(c([{ fieldName: "rack", operator: "IS", value: "a b" }]), "/scheduling/placement/constraints/0", CONSTRAINT_IS_TEXT_MESSAGE);
    assertViolation(c([["hostname", "UNIQUE"]]), "/scheduling/placement/constraints/0", "error.expected.jsobject", JSN);
    assert.deepEqual(ok(hostPod({ scheduling: { placement: { constraints: [{ fieldName: "rack", operator: "GROUP_BY", value: "2" }] } } })).scheduling.placement.constraints, [{ fieldName: "rack", operator: "GROUP_BY", value: "2" }]);
    assert.deepEqual(ok(hostPod({ scheduling: { placement: { constraints: [{ fieldName: "rack", operator: "IS", value: "rack-1" }] } } })).scheduling.placement.constraints, [{ fieldName: "rack", operator: "IS", value: "rack-1" }]);
  });
  it("roles, kill selection and unreachable strategy", () => {
    assertViolation(validatePod(hostPod({ scheduling: { placement: { acceptedResourceRoles: ["-x"] } } })), "/scheduling/placement/acceptedResourceRoles/0", "'-x' is not a valid role name: it must not be empty, '.' or '..', must not start with '-' and must not contain tab, LF, VT, FF, CR, space, '/' or DEL");
    const pod = ok(hostPod({ scheduling: { killSelection: "OLDEST_FIRST", unreachableStrategy: "disabled" } }));
    assert.equal(pod.scheduling.killSelection, "OLDEST_FIRST");
    assert.equal(pod.scheduling.unreachableStrategy, "disabled");
    assertViolation(validatePod(hostPod({ scheduling: { unreachableStrategy: { inactiveAfterSeconds: 5, expungeAfterSeconds: 1 } } })), "/scheduling/unreachableStrategy/inactiveAfterSeconds", "got 5, expected 1 or less");
  });
});
