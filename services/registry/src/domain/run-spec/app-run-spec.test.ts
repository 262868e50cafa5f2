/**
 * appRunSpec as a table: each row names one mapping rule, an app body (validated first, so
 * Marathon's defaults are in), the part of the run spec the rule decides, and what it must be.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { registryV1RunSpec as rs } from "@gantry/proto";
import { appContainerName } from "./app-run-spec.ts";
import type { AppDefinition } from "../marathon/app.model.ts";
import { appSpec, INFO, plain } from "./test-support.ts";

interface Row {
  rule: string;
  app: Record<string, unknown>;
  /** Changes the validated app before it is mapped (a shape the validator now refuses, stored before). */
  edit?: (app: AppDefinition) => void;
  pick: (s: rs.RunSpec) => unknown;
  want: unknown;
}

const main = (s: rs.RunSpec) => s.containers[0]!;
const docker = (network: string, extra: Record<string, unknown> = {}) => ({ type: "DOCKER", docker: { image: "nginx:1.13", network, ...extra } });
/** Gantry runs no image entrypoint: an app with an image runs its command. */
const dockerApp = (network: string, extra: Record<string, unknown> = {}) => ({ cmd: "nginx", container: docker(network, extra) });
const tcp = { protocols: ["tcp"], labels: {} };
const grace = { gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3 };

const rows: Row[] = [
  // identity and version
  { rule: "kind APP, id, version, config_version = lastConfigChangeAt", app: { cmd: "x" }, pick: (s) => [s.kind, s.id, s.version, s.configVersion], want: [rs.RunSpecKind.APP, "/shop/web", INFO.version, INFO.lastConfigChangeAt] },
  { rule: "one container named after the id's last segment", app: { cmd: "x" }, pick: (s) => s.containers.map((c) => c.name), want: ["web"] },
  { rule: "instances", app: { cmd: "x", instances: 4 }, pick: (s) => s.instances, want: 4 },
  // command
  { rule: "cmd is a shell command", app: { cmd: "sleep 1" }, pick: (s) => plain(main(s).command), want: { kind: { case: "shell", value: "sleep 1" } } },
  { rule: "args are an argv", app: { args: ["sleep", "1"] }, pick: (s) => plain(main(s).command), want: { kind: { case: "argv", value: { args: ["sleep", "1"] } } } },
  { rule: "neither (an image alone, stored before it was refused): no command", app: dockerApp("HOST"), edit: (a) => delete a.cmd, pick: (s) => main(s).command, want: undefined },
  // env, resources, artifacts, kill grace, image, labels
  {
    rule: "env literals and secret references",
    app: { cmd: "x", env: { A: "1", DB: { secret: "db" } }, secrets: { db: { source: "/vault/db" } } },
    pick: (s) => [plain(main(s).env), s.secrets],
    want: [{ A: { kind: { case: "value", value: "1" } }, DB: { kind: { case: "secret", value: "db" } } }, { db: "/vault/db" }],
  },
  { rule: "resources cpus/mem/disk/gpus", app: { cmd: "x", cpus: 0.5, mem: 64, disk: 10, gpus: 1 }, pick: (s) => plain(main(s).resources), want: { cpus: 0.5, mem: 64, disk: 10, gpus: 1 } },
  { rule: "executor resources are zero for apps", app: { cmd: "x" }, pick: (s) => plain(s.executorResources), want: { cpus: 0, mem: 0, disk: 0, gpus: 0 } },
  {
    rule: "artifacts from fetch (extract defaults true; no destPath = \"\")",
    app: { cmd: "x", fetch: [{ uri: "http://a/b.tgz" }, { uri: "http://a/run.sh", executable: true, extract: false, cache: true, destPath: "bin/run" }] },
    pick: (s) => plain(main(s).artifacts),
    want: [
      { uri: "http://a/b.tgz", extract: true, executable: false, cache: false, destPath: "" },
      { uri: "http://a/run.sh", extract: false, executable: true, cache: true, destPath: "bin/run" },
    ],
  },
  { rule: "kill grace from taskKillGracePeriodSeconds", app: { cmd: "x", taskKillGracePeriodSeconds: 30 }, pick: (s) => main(s).killGracePeriodSeconds, want: 30 },
  { rule: "kill grace defaults to Mesos' 3 s", app: { cmd: "x" }, pick: (s) => main(s).killGracePeriodSeconds, want: 3 },
  { rule: "docker image", app: dockerApp("HOST"), pick: (s) => main(s).image, want: "nginx:1.13" },
  { rule: "appc image", app: { cmd: "x", container: { type: "MESOS", appc: { image: "coreos.com/etcd:v2" } } }, pick: (s) => main(s).image, want: "coreos.com/etcd:v2" },
  { rule: "no image: \"\"", app: { cmd: "x" }, pick: (s) => main(s).image, want: "" },
  { rule: "labels on the run spec and its container", app: { cmd: "x", labels: { tier: "web" } }, pick: (s) => [s.labels, main(s).labels], want: [{ tier: "web" }, { tier: "web" }] },
  { rule: "user on the run spec; the container inherits (\"\")", app: { cmd: "x", user: "nobody" }, pick: (s) => [s.user, main(s).user], want: ["nobody", ""] },
  { rule: "dependencies are absolute", app: { cmd: "x", dependencies: ["../db", "/cache"] }, pick: (s) => s.dependencies, want: ["/shop/db", "/cache"] },
  // host network: portDefinitions
  { rule: "host network: no networks", app: { cmd: "x" }, pick: (s) => s.networks, want: [] },
  { rule: "docker HOST: no networks", app: dockerApp("HOST"), pick: (s) => s.networks, want: [] },
  { rule: "default port definition: any host port, no service port", app: { cmd: "x" }, pick: (s) => plain(main(s).endpoints), want: [{ name: "default", containerPort: 0, hostPort: 0, servicePort: 0, ...tcp }] },
  {
    rule: "portDefinitions[].port is the service port; host ports dynamic without requirePorts",
    app: { cmd: "x", portDefinitions: [{ port: 10001, name: "http", labels: { VIP_0: "/web:80" } }, { port: 0, protocol: "udp,tcp" }] },
    pick: (s) => [s.requirePorts, plain(main(s).endpoints)],
    want: [false, [
      { name: "http", containerPort: 0, hostPort: 0, servicePort: 10001, protocols: ["tcp"], labels: { VIP_0: "/web:80" } },
      { name: "", containerPort: 0, hostPort: 0, servicePort: 0, protocols: ["udp", "tcp"], labels: {} },
    ]],
  },
  {
    rule: "requirePorts: the host port is the port asked for",
    app: { cmd: "x", requirePorts: true, portDefinitions: [{ port: 8080 }] },
    pick: (s) => [s.requirePorts, plain(main(s).endpoints)],
    want: [true, [{ name: "", containerPort: 0, hostPort: 8080, servicePort: 8080, ...tcp }]],
  },
  // docker BRIDGE / USER: portMappings
  {
    rule: "docker BRIDGE: CONTAINER_BRIDGE network; port mappings with host port 0 when not given",
    app: dockerApp("BRIDGE", { portMappings: [{ containerPort: 80, name: "http", servicePort: 10080 }, { containerPort: 53, hostPort: 5353, protocol: "udp" }] }),
    pick: (s) => [plain(s.networks), plain(main(s).endpoints)],
    want: [[{ mode: rs.NetworkMode.CONTAINER_BRIDGE, name: "", labels: {} }], [
      { name: "http", containerPort: 80, hostPort: 0, servicePort: 10080, ...tcp },
      { name: "", containerPort: 53, hostPort: 5353, servicePort: 0, protocols: ["udp"], labels: {} },
    ]],
  },
  {
    rule: "docker USER: a host port only when asked; CONTAINER network named by ipAddress",
    app: { ...dockerApp("USER", { portMappings: [{ containerPort: 80, name: "http" }, { containerPort: 81, hostPort: 0 }] }), ipAddress: { networkName: "blue" } },
    pick: (s) => [plain(s.networks), plain(main(s).endpoints)],
    want: [[{ mode: rs.NetworkMode.CONTAINER, name: "blue", labels: {} }], [
      { name: "http", containerPort: 80, servicePort: 0, ...tcp },
      { name: "", containerPort: 81, hostPort: 0, servicePort: 0, ...tcp },
    ]],
  },
  { rule: "docker USER without a network name: DC/OS's dcos", app: dockerApp("USER"), pick: (s) => plain(s.networks), want: [{ mode: rs.NetworkMode.CONTAINER, name: "dcos", labels: {} }] },
  // IP per task
  {
    rule: "ipAddress: CONTAINER network with its name and labels; discovery ports without host ports",
    app: { cmd: "x", ipAddress: { networkName: "red", labels: { team: "a" }, discovery: { ports: [{ number: 8080, name: "http", protocol: "tcp" }, { number: 53, name: "dns", protocol: "udp" }] } } },
    pick: (s) => [plain(s.networks), plain(main(s).endpoints)],
    want: [[{ mode: rs.NetworkMode.CONTAINER, name: "red", labels: { team: "a" } }], [
      { name: "http", containerPort: 8080, servicePort: 0, ...tcp },
      { name: "dns", containerPort: 53, servicePort: 0, protocols: ["udp"], labels: {} },
    ]],
  },
  { rule: "ipAddress without networkName: dcos", app: { cmd: "x", ipAddress: {} }, pick: (s) => s.networks.map((n) => n.name), want: ["dcos"] },
  // volumes
  {
    rule: "volumes: HOST, PERSISTENT (size), EXTERNAL (name, provider, options); mounts with read_only for RO",
    app: {
      cmd: "x",
      container: {
        type: "MESOS",
        volumes: [
          { containerPath: "/etc/x", hostPath: "/srv/x", mode: "RO" },
          { containerPath: "data", mode: "RW", persistent: { size: 512 } },
          { containerPath: "ext", mode: "RW", external: { name: "vol1", provider: "dvdi", options: { "dvdi/driver": "rexray" } } },
        ],
      },
    },
    pick: (s) => [plain(s.volumes), plain(main(s).volumeMounts), s.resident],
    want: [
      [
        { name: "volume-0", kind: rs.VolumeKind.HOST, hostPath: "/srv/x", sizeMb: 0, provider: "", options: {} },
        { name: "volume-1", kind: rs.VolumeKind.PERSISTENT, hostPath: "", sizeMb: 512, provider: "", options: {} },
        { name: "vol1", kind: rs.VolumeKind.EXTERNAL, hostPath: "", sizeMb: 0, provider: "dvdi", options: { "dvdi/driver": "rexray" } },
      ],
      [
        { name: "volume-0", mountPath: "/etc/x", readOnly: true },
        { name: "volume-1", mountPath: "data", readOnly: false },
        { name: "vol1", mountPath: "ext", readOnly: false },
      ],
      true,
    ],
  },
  { rule: "no persistent volumes: not resident", app: { cmd: "x" }, pick: (s) => s.resident, want: false },
  // health checks
  {
    rule: "HTTP check: portIndex → endpoint_index, path, ignoreHttp1xx, no delay",
    app: { cmd: "x", portDefinitions: [{ port: 0 }, { port: 0 }], healthChecks: [{ protocol: "HTTP", portIndex: 1, path: "/health", ignoreHttp1xx: true }] },
    pick: (s) => plain(main(s).healthChecks),
    want: [{ protocol: rs.HealthCheckProtocol.HTTP, endpointIndex: 1, port: 0, path: "/health", ...grace, delaySeconds: 0, ignoreHttp1xx: true }],
  },
  {
    rule: "TCP check on a fixed port: endpoint_index -1",
    app: { cmd: "x", healthChecks: [{ protocol: "TCP", port: 9000, gracePeriodSeconds: 5 }] },
    pick: (s) => plain(main(s).healthChecks),
    want: [{ protocol: rs.HealthCheckProtocol.TCP, endpointIndex: -1, port: 9000, path: "", ...grace, gracePeriodSeconds: 5, delaySeconds: 0, ignoreHttp1xx: false }],
  },
  {
    rule: "COMMAND check: shell command, delay, endpoint_index -1",
    app: { cmd: "x", healthChecks: [{ protocol: "COMMAND", command: { value: "curl -f localhost" } }] },
    pick: (s) => plain(main(s).healthChecks),
    want: [{ protocol: rs.HealthCheckProtocol.COMMAND, endpointIndex: -1, port: 0, path: "", command: { kind: { case: "shell", value: "curl -f localhost" } }, ...grace, delaySeconds: 15, ignoreHttp1xx: false }],
  },
  {
    rule: "MESOS_HTTP check: portIndex injected (0), path /, delay 15",
    app: { ...dockerApp("BRIDGE", { portMappings: [{ containerPort: 80 }] }), healthChecks: [{ protocol: "MESOS_HTTP" }] },
    pick: (s) => plain(main(s).healthChecks),
    want: [{ protocol: rs.HealthCheckProtocol.MESOS_HTTP, endpointIndex: 0, port: 0, path: "/", ...grace, delaySeconds: 15, ignoreHttp1xx: false }],
  },
  {
    rule: "portIndex addresses port mappings in bridge mode (the endpoint of that index)",
    app: { ...dockerApp("BRIDGE", { portMappings: [{ containerPort: 80, name: "a" }, { containerPort: 90, name: "b" }] }), healthChecks: [{ protocol: "TCP", portIndex: 1 }] },
    pick: (s) => main(s).endpoints[main(s).healthChecks[0]!.endpointIndex]?.containerPort,
    want: 90,
  },
  // placement
  {
    rule: "constraints with every operator, IS included; values \"\" when none",
    app: { cmd: "x", constraints: [["hostname", "UNIQUE"], ["rack", "GROUP_BY", "3"], ["zone", "LIKE", "us-.*"], ["gpu", "IS", "1.0"]] },
    pick: (s) => plain(s.placement?.constraints),
    want: [
      { field: "hostname", operator: rs.ConstraintOperator.UNIQUE, value: "" },
      { field: "rack", operator: rs.ConstraintOperator.GROUP_BY, value: "3" },
      { field: "zone", operator: rs.ConstraintOperator.LIKE, value: "us-.*" },
      { field: "gpu", operator: rs.ConstraintOperator.IS, value: "1.0" },
    ],
  },
  { rule: "accepted roles default to [\"*\"]", app: { cmd: "x" }, pick: (s) => s.placement?.acceptedResourceRoles, want: ["*"] },
  { rule: "accepted roles as given", app: { cmd: "x", acceptedResourceRoles: ["slave_public"] }, pick: (s) => s.placement?.acceptedResourceRoles, want: ["slave_public"] },
  // strategies
  { rule: "upgrade strategy", app: { cmd: "x", upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.2 } }, pick: (s) => plain(s.upgrade), want: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.2 } },
  { rule: "kill selection", app: { cmd: "x", killSelection: "OLDEST_FIRST" }, pick: (s) => s.killSelection, want: rs.KillSelection.OLDEST_FIRST },
  { rule: "unreachable \"disabled\"", app: { cmd: "x", unreachableStrategy: "disabled" }, pick: (s) => plain(s.unreachable), want: { disabled: true, inactiveAfterSeconds: 0, expungeAfterSeconds: 0 } },
  { rule: "unreachable timeouts", app: { cmd: "x", unreachableStrategy: { inactiveAfterSeconds: 60, expungeAfterSeconds: 120 } }, pick: (s) => plain(s.unreachable), want: { disabled: false, inactiveAfterSeconds: 60, expungeAfterSeconds: 120 } },
  { rule: "backoff", app: { cmd: "x", backoffSeconds: 2, backoffFactor: 2, maxLaunchDelaySeconds: 60 }, pick: (s) => plain(s.backoff), want: { backoffSeconds: 2, backoffFactor: 2, maxLaunchDelaySeconds: 60 } },
  {
    rule: "readiness checks",
    app: { cmd: "x", portDefinitions: [{ port: 0, name: "http-api" }], readinessChecks: [{ path: "/ready", httpStatusCodesForReady: [200, 204] }] },
    pick: (s) => plain(s.readinessChecks),
    want: [{ name: "readinessCheck", protocol: "HTTP", path: "/ready", portName: "http-api", intervalSeconds: 30, timeoutSeconds: 10, httpStatusCodesForReady: [200, 204], preserveLastResponse: false }],
  },
];

describe("appRunSpec", () => {
  for (const row of rows) test(row.rule, () => assert.deepEqual(row.pick(appSpec(row.app, row.edit)), row.want));

  test("the container name is the last path segment", () => {
    assert.equal(appContainerName("/a/b/c"), "c");
    assert.equal(appContainerName("/solo"), "solo");
  });
});
