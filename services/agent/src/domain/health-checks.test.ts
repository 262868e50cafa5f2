import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { registryV1RunSpec } from "@gantry/proto";
import { HealthVerdict, planHealthChecks, taskHealth, type HealthProbe } from "./health-checks.ts";

const { HealthCheckProtocol } = registryV1RunSpec;

function container(...healthChecks: MessageInitShape<typeof registryV1RunSpec.HealthCheckSpecSchema>[]) {
  return create(registryV1RunSpec.ContainerSpecSchema, { name: "web", endpoints: [{ name: "http", hostPort: 0 }, { name: "admin", hostPort: 0 }], healthChecks });
}
const assigned = [
  { container: "web", endpoint: "http", endpointIndex: 0, hostPort: 31001, containerPort: 0 },
  { container: "web", endpoint: "admin", endpointIndex: 1, hostPort: 31002, containerPort: 0 },
];
const timings = { gracePeriodSeconds: 10, intervalSeconds: 5, timeoutSeconds: 2, maxConsecutiveFailures: 3, delaySeconds: 1 };

describe("planHealthChecks", () => {
  it("probes an endpoint's assigned host port, or a fixed port; names each check", () => {
    const plan = planHealthChecks(
      container(
        { protocol: HealthCheckProtocol.HTTP, endpointIndex: 1, path: "health", ...timings },
        { protocol: HealthCheckProtocol.MESOS_HTTPS, endpointIndex: -1, port: 8443, path: "/", ignoreHttp1xx: true, ...timings },
        { protocol: HealthCheckProtocol.MESOS_TCP, endpointIndex: 0, ...timings },
      ),
      assigned,
    );
    assert.ok(plan.ok);
    assert.deepEqual(plan.probes.map((p) => [p.kind, p.port, p.path, p.name]), [
      ["http", 31002, "/health", "HTTP /health on port 31002"],
      ["https", 8443, "/", "HTTPS / on port 8443"],
      ["tcp", 31001, "", "TCP port 31001"],
    ]);
    assert.deepEqual(
      { grace: plan.probes[0]!.gracePeriodMs, interval: plan.probes[0]!.intervalMs, timeout: plan.probes[0]!.timeoutMs, max: plan.probes[0]!.maxConsecutiveFailures, delay: plan.probes[0]!.delayMs },
      { grace: 10_000, interval: 5_000, timeout: 2_000, max: 3, delay: 1_000 },
    );
    assert.equal(plan.probes[1]!.ignoreHttp1xx, true);
  });

  it("on a container network, an endpoint's container port is probed on the instance's address", () => {
    const pod = create(registryV1RunSpec.ContainerSpecSchema, {
      name: "web",
      endpoints: [{ name: "http", containerPort: 8080 }, { name: "admin", containerPort: 9090, hostPort: 0 }],
      healthChecks: [
        { protocol: HealthCheckProtocol.HTTP, endpointIndex: 0, path: "/ping", ...timings },
        { protocol: HealthCheckProtocol.TCP, endpointIndex: 1, ...timings },
      ],
    });
    const plan = planHealthChecks(pod, [{ container: "web", endpoint: "admin", endpointIndex: 1, hostPort: 31009, containerPort: 9090 }], true);
    assert.ok(plan.ok, plan.ok ? "" : plan.message);
    assert.deepEqual(plan.probes.map((p) => [p.address, p.port, p.name]), [
      ["instance", 8080, "HTTP /ping on container port 8080"],
      ["instance", 9090, "TCP container port 9090"],
    ]);
    const onHost = planHealthChecks(pod, [], false);
    assert.equal(onHost.ok, false, "on the agent's network an endpoint without a host port cannot be probed");
  });

  it("runs a COMMAND check's shell line through /bin/sh -c and its argv as given", () => {
    const plan = planHealthChecks(
      container(
        { protocol: HealthCheckProtocol.COMMAND, endpointIndex: -1, command: { kind: { case: "shell", value: "curl -f localhost" } }, ...timings },
        { protocol: HealthCheckProtocol.COMMAND, endpointIndex: -1, command: { kind: { case: "argv", value: { args: ["/bin/true", "x"] } } }, ...timings },
      ),
      assigned,
    );
    assert.ok(plan.ok);
    assert.deepEqual(plan.probes.map((p) => [p.argv, p.port, p.name]), [
      [["/bin/sh", "-c", "curl -f localhost"], 0, "COMMAND curl -f localhost"],
      [["/bin/true", "x"], 0, "COMMAND x"],
    ]);
  });

  it("refuses what cannot run: an endpoint without a host port, a command check without a command, an unknown protocol", () => {
    const refused = (hc: MessageInitShape<typeof registryV1RunSpec.HealthCheckSpecSchema>) => {
      const plan = planHealthChecks(container({ ...timings, ...hc }), assigned.slice(0, 1));
      assert.equal(plan.ok, false);
      return plan.ok ? "" : plan.message;
    };
    assert.equal(refused({ protocol: HealthCheckProtocol.HTTP, endpointIndex: 1 }), "health check 0 probes endpoint 1, which has no assigned host port");
    assert.equal(refused({ protocol: HealthCheckProtocol.COMMAND, endpointIndex: -1, command: { kind: { case: "shell", value: " " } } }), "health check 0: a COMMAND check needs a command");
    assert.equal(refused({ protocol: HealthCheckProtocol.UNSPECIFIED }), "health check 0: protocol UNSPECIFIED is not one the agent runs");
  });

  it("an interval or timeout of 0 is taken as 1 s (never a busy loop)", () => {
    const plan = planHealthChecks(container({ protocol: HealthCheckProtocol.TCP, endpointIndex: 0, intervalSeconds: 0, timeoutSeconds: 0 }), assigned);
    assert.ok(plan.ok);
    assert.deepEqual([plan.probes[0]!.intervalMs, plan.probes[0]!.timeoutMs], [1_000, 1_000]);
  });
});

describe("HealthVerdict", () => {
  const probe = (over: Partial<HealthProbe> = {}): HealthProbe => ({
    name: "HTTP / on port 1",
    kind: "http",
    port: 1,
    address: "loopback",
    path: "/",
    argv: [],
    ignoreHttp1xx: false,
    gracePeriodMs: 10_000,
    intervalMs: 1_000,
    timeoutMs: 1_000,
    maxConsecutiveFailures: 3,
    delayMs: 0,
    ...over,
  });
  const fail = { outcome: "failed", cause: "HTTP 500" } as const;
  const pass = { outcome: "passed" } as const;

  it("ignores failures within the grace period until the first success; then counts them", () => {
    const v = new HealthVerdict(probe(), 0);
    assert.deepEqual(v.record(fail, 1_000), { healthy: undefined });
    assert.deepEqual(v.record(fail, 9_999), { healthy: undefined });
    assert.equal(v.failuresInARow, 0);
    assert.deepEqual(v.record(fail, 10_000), { healthy: false }, "the grace period is over");
    assert.equal(v.failuresInARow, 1);
  });

  it("after a first success failures count even within the grace period, a success resets the count, and max in a row kills", () => {
    const v = new HealthVerdict(probe(), 0);
    assert.deepEqual(v.record(pass, 1_000), { healthy: true });
    assert.deepEqual(v.record(fail, 2_000), { healthy: false });
    assert.deepEqual(v.record(fail, 3_000), { healthy: false });
    assert.deepEqual(v.record(pass, 4_000), { healthy: true });
    assert.equal(v.failuresInARow, 0);
    v.record(fail, 5_000);
    v.record(fail, 6_000);
    assert.deepEqual(v.record(fail, 7_000), { healthy: false, kill: "unhealthy: HTTP / on port 1 failed 3 times in a row (last: HTTP 500)" });
  });

  it("a task that passed under an earlier agent process gets no new grace period", () => {
    const v = new HealthVerdict(probe(), 0, true);
    assert.deepEqual(v.record(fail, 1_000), { healthy: false }, "counted although within the grace period");
  });

  it("maxConsecutiveFailures 0 never kills; an ignored result changes nothing", () => {
    const v = new HealthVerdict(probe({ maxConsecutiveFailures: 0, gracePeriodMs: 0 }), 0);
    for (let i = 0; i < 50; i++) assert.equal(v.record(fail, i).kill, undefined);
    assert.deepEqual(v.record({ outcome: "ignored" }, 60), { healthy: false });
    assert.equal(v.failuresInARow, 50);
  });

  it("a task is unhealthy when any check says so, healthy when all do, else undecided", () => {
    assert.equal(taskHealth([true, false, undefined]), false);
    assert.equal(taskHealth([true, true]), true);
    assert.equal(taskHealth([true, undefined]), undefined);
    assert.equal(taskHealth([]), undefined);
  });
});
