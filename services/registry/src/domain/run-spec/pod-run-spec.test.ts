/**
 * podRunSpec: the DC/OS 1.9 overview's `/app` pod (shared/seed/dcos-1.9-deep-dive.txt) mapped in
 * full, then a table of rules, each with a pod body (validated first), the part of the run spec
 * the rule decides, and what it must be.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { registryV1RunSpec as rs } from "@gantry/proto";
import type { PodDefinition } from "../marathon/pod.model.ts";
import { RUNNABLE_SEED_POD } from "../marathon/test-support.ts";
import { INFO, plain, podSpec } from "./test-support.ts";

const container = (name: string, resources: object, extra: object = {}) => ({
  name,
  env: {},
  resources: { gpus: 0, disk: 0, ...resources },
  endpoints: [],
  healthChecks: [],
  artifacts: [],
  volumeMounts: [],
  user: "",
  killGracePeriodSeconds: 3,
  labels: {},
  image: "",
  ...extra,
});

describe("podRunSpec: the DC/OS overview's /app pod", () => {
  test("maps to two containers on the dcos network with Marathon's pod defaults", () => {
    assert.deepEqual(plain(podSpec(RUNNABLE_SEED_POD)), {
      id: "/app",
      kind: rs.RunSpecKind.POD,
      version: INFO.version,
      configVersion: INFO.lastConfigChangeAt,
      instances: 1,
      containers: [
        container("nginx", { cpus: 0.1, mem: 128 }, {
          endpoints: [{ name: "web", containerPort: 8080, hostPort: 0, protocols: ["tcp"], labels: { VIP_0: "/app:8080" }, servicePort: 0 }],
          image: "nginx",
          command: { kind: { case: "shell", value: "run-nginx" } },
        }),
        container("memcached", { cpus: 0.1, mem: 128 }, { command: { kind: { case: "shell", value: "run-memcached" } } }),
      ],
      placement: { constraints: [], acceptedResourceRoles: ["*"] },
      networks: [{ mode: rs.NetworkMode.CONTAINER, name: "dcos", labels: {} }],
      volumes: [],
      upgrade: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      killSelection: rs.KillSelection.YOUNGEST_FIRST,
      unreachable: { disabled: false, inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
      backoff: { backoffSeconds: 1, backoffFactor: 1.15, maxLaunchDelaySeconds: 3600 },
      labels: {},
      requirePorts: false,
      executorResources: { cpus: 0.1, mem: 32, disk: 10, gpus: 0 },
      readinessChecks: [],
      secrets: {},
      resident: false,
      user: "",
      dependencies: [],
      sealedSecrets: {},
    });
  });
});

interface Row {
  rule: string;
  pod: Record<string, unknown>;
  edit?: (pod: PodDefinition) => void;
  pick: (s: rs.RunSpec) => unknown;
  want: unknown;
}

const EXEC = { exec: { command: { shell: "sleep 1" } } };
const hostPod = (containerExtra: Record<string, unknown> = {}, podExtra: Record<string, unknown> = {}) => ({
  id: "/p",
  containers: [{ name: "main", ...EXEC, ...containerExtra }],
  networks: [{ mode: "host" }],
  ...podExtra,
});
const first = (s: rs.RunSpec) => s.containers[0]!;
const checkDefaults = { gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, delaySeconds: 15, ignoreHttp1xx: false };
const endpoints = [{ name: "admin", hostPort: 0 }, { name: "api", hostPort: 8443 }];

const rows: Row[] = [
  // containers
  { rule: "shell exec", pod: hostPod(), pick: (s) => plain(first(s).command), want: { kind: { case: "shell", value: "sleep 1" } } },
  { rule: "argv exec", pod: hostPod({ exec: { command: { argv: ["/bin/run", "-v"] } } }), pick: (s) => plain(first(s).command), want: { kind: { case: "argv", value: { args: ["/bin/run", "-v"] } } } },
  {
    rule: "no exec (a pod stored before it was refused): no command",
    pod: hostPod({ image: { kind: "DOCKER", id: "redis" } }),
    edit: (p) => delete p.containers[0]!.exec,
    pick: (s) => [first(s).command, first(s).image],
    want: [undefined, "redis"],
  },
  {
    rule: "pod environment on every container; the container's own wins",
    pod: {
      ...hostPod({ environment: { LEVEL: "debug", OWN: "1" } }, { environment: { LEVEL: "info", SHARED: "x", TOKEN: { secret: "tok" } }, secrets: { tok: { source: "/vault/tok" } } }),
      containers: [
        { name: "main", ...EXEC, environment: { LEVEL: "debug", OWN: "1" } },
        { name: "side", ...EXEC },
      ],
    },
    pick: (s) => s.containers.map((c) => plain(c.env)),
    want: [
      { LEVEL: { kind: { case: "value", value: "debug" } }, SHARED: { kind: { case: "value", value: "x" } }, TOKEN: { kind: { case: "secret", value: "tok" } }, OWN: { kind: { case: "value", value: "1" } } },
      { LEVEL: { kind: { case: "value", value: "info" } }, SHARED: { kind: { case: "value", value: "x" } }, TOKEN: { kind: { case: "secret", value: "tok" } } },
    ],
  },
  { rule: "secrets by name → source", pod: hostPod({}, { secrets: { tok: { source: "/vault/tok" } } }), pick: (s) => s.secrets, want: { tok: "/vault/tok" } },
  { rule: "per-container resources with defaults", pod: hostPod({ resources: { cpus: 0.5, gpus: 1 } }), pick: (s) => plain(first(s).resources), want: { cpus: 0.5, mem: 128, disk: 0, gpus: 1 } },
  { rule: "executor resources", pod: hostPod({}, { executorResources: { cpus: 0.2, mem: 64 } }), pick: (s) => plain(s.executorResources), want: { cpus: 0.2, mem: 64, disk: 10, gpus: 0 } },
  { rule: "container user; \"\" = the pod's", pod: { ...hostPod({}, { user: "nobody" }), containers: [{ name: "a", ...EXEC, user: "root" }, { name: "b", ...EXEC }] }, pick: (s) => [s.user, ...s.containers.map((c) => c.user)], want: ["nobody", "root", ""] },
  { rule: "labels of the pod and of each container", pod: hostPod({ labels: { c: "1" } }, { labels: { p: "2" } }), pick: (s) => [s.labels, first(s).labels], want: [{ p: "2" }, { c: "1" }] },
  { rule: "kill grace from lifecycle, rounded up", pod: hostPod({ lifecycle: { killGracePeriodSeconds: 7.5 } }), pick: (s) => first(s).killGracePeriodSeconds, want: 8 },
  { rule: "kill grace defaults to 3 s", pod: hostPod({ lifecycle: {} }), pick: (s) => first(s).killGracePeriodSeconds, want: 3 },
  {
    rule: "artifacts",
    pod: hostPod({ artifacts: [{ uri: "http://a/b.tgz", destPath: "b" }] }),
    pick: (s) => plain(first(s).artifacts),
    want: [{ uri: "http://a/b.tgz", extract: true, executable: false, cache: false, destPath: "b" }],
  },
  // networks and endpoints
  { rule: "host network: no networks", pod: hostPod(), pick: (s) => s.networks, want: [] },
  {
    rule: "host network endpoints: host port 0 = any, N = exactly N; no container port",
    pod: hostPod({ endpoints }),
    pick: (s) => plain(first(s).endpoints),
    want: [
      { name: "admin", containerPort: 0, hostPort: 0, protocols: ["tcp"], labels: {}, servicePort: 0 },
      { name: "api", containerPort: 0, hostPort: 8443, protocols: ["tcp"], labels: {}, servicePort: 0 },
    ],
  },
  {
    rule: "container networks: one CONTAINER network each, with labels; no hostPort = no host port",
    pod: { ...hostPod({ endpoints: [{ name: "web", containerPort: 80, protocol: ["udp", "tcp"] }] }), networks: [{ mode: "container", name: "blue", labels: { a: "b" } }, { mode: "container", name: "red" }] },
    pick: (s) => [plain(s.networks), plain(first(s).endpoints)],
    want: [
      [{ mode: rs.NetworkMode.CONTAINER, name: "blue", labels: { a: "b" } }, { mode: rs.NetworkMode.CONTAINER, name: "red", labels: {} }],
      [{ name: "web", containerPort: 80, protocols: ["udp", "tcp"], labels: {}, servicePort: 0 }],
    ],
  },
  // health checks
  {
    rule: "http check: HTTP, the named endpoint's index, path",
    pod: hostPod({ endpoints, healthCheck: { http: { endpoint: "api", path: "/ping" } } }),
    pick: (s) => plain(first(s).healthChecks),
    want: [{ protocol: rs.HealthCheckProtocol.HTTP, endpointIndex: 1, port: 0, path: "/ping", ...checkDefaults }],
  },
  {
    rule: "https scheme: HTTPS; no path: /",
    pod: hostPod({ endpoints, healthCheck: { http: { endpoint: "admin", scheme: "HTTPS" }, gracePeriodSeconds: 10 } }),
    pick: (s) => plain(first(s).healthChecks),
    want: [{ protocol: rs.HealthCheckProtocol.HTTPS, endpointIndex: 0, port: 0, path: "/", ...checkDefaults, gracePeriodSeconds: 10 }],
  },
  {
    rule: "tcp check: TCP on the named endpoint",
    pod: hostPod({ endpoints, healthCheck: { tcp: { endpoint: "api" } } }),
    pick: (s) => plain(first(s).healthChecks),
    want: [{ protocol: rs.HealthCheckProtocol.TCP, endpointIndex: 1, port: 0, path: "", ...checkDefaults }],
  },
  {
    rule: "exec check: COMMAND with its command (the validator refuses it today; the mapping is ready)",
    pod: hostPod(),
    edit: (p) => {
      p.containers[0]!.healthCheck = { exec: { command: { argv: ["true"] } }, gracePeriodSeconds: 1, intervalSeconds: 2, timeoutSeconds: 1, maxConsecutiveFailures: 4, delaySeconds: 0 };
    },
    pick: (s) => plain(first(s).healthChecks),
    want: [{ protocol: rs.HealthCheckProtocol.COMMAND, endpointIndex: -1, port: 0, path: "", command: { kind: { case: "argv", value: { args: ["true"] } } }, gracePeriodSeconds: 1, intervalSeconds: 2, timeoutSeconds: 1, maxConsecutiveFailures: 4, delaySeconds: 0, ignoreHttp1xx: false }],
  },
  // volumes
  {
    rule: "volumes: host → HOST, else EPHEMERAL; mounts per container (read_only default false)",
    pod: {
      ...hostPod(),
      volumes: [{ name: "etc", host: "/etc/app" }, { name: "scratch" }],
      containers: [
        { name: "a", ...EXEC, volumeMounts: [{ name: "etc", mountPath: "/etc/app", readOnly: true }, { name: "scratch", mountPath: "/tmp/s" }] },
        { name: "b", ...EXEC, volumeMounts: [{ name: "scratch", mountPath: "/data" }] },
      ],
    },
    pick: (s) => [plain(s.volumes), s.containers.map((c) => plain(c.volumeMounts))],
    want: [
      [
        { name: "etc", kind: rs.VolumeKind.HOST, hostPath: "/etc/app", sizeMb: 0, provider: "", options: {} },
        { name: "scratch", kind: rs.VolumeKind.EPHEMERAL, hostPath: "", sizeMb: 0, provider: "", options: {} },
      ],
      [
        [{ name: "etc", mountPath: "/etc/app", readOnly: true }, { name: "scratch", mountPath: "/tmp/s", readOnly: false }],
        [{ name: "scratch", mountPath: "/data", readOnly: false }],
      ],
    ],
  },
  // scheduling
  { rule: "instances from scaling", pod: hostPod({}, { scaling: { kind: "fixed", instances: 3 } }), pick: (s) => s.instances, want: 3 },
  {
    rule: "placement: object-form constraints (IS included) and roles as given",
    pod: hostPod({}, { scheduling: { placement: { acceptedResourceRoles: ["slave_public"], constraints: [{ fieldName: "hostname", operator: "UNIQUE" }, { fieldName: "rack", operator: "IS", value: "r1" }] } } }),
    pick: (s) => plain(s.placement),
    want: {
      constraints: [
        { field: "hostname", operator: rs.ConstraintOperator.UNIQUE, value: "" },
        { field: "rack", operator: rs.ConstraintOperator.IS, value: "r1" },
      ],
      acceptedResourceRoles: ["slave_public"],
    },
  },
  {
    rule: "backoff, upgrade, kill selection, unreachable disabled",
    pod: hostPod({}, { scheduling: { backoff: { backoff: 2, backoffFactor: 1.5, maxLaunchDelay: 300 }, upgrade: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 }, killSelection: "OLDEST_FIRST", unreachableStrategy: "disabled" } }),
    pick: (s) => [plain(s.backoff), plain(s.upgrade), s.killSelection, plain(s.unreachable)],
    want: [
      { backoffSeconds: 2, backoffFactor: 1.5, maxLaunchDelaySeconds: 300 },
      { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
      rs.KillSelection.OLDEST_FIRST,
      { disabled: true, inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    ],
  },
];

describe("podRunSpec", () => {
  for (const row of rows) test(row.rule, () => assert.deepEqual(row.pick(podSpec(row.pod, row.edit)), row.want));
});
