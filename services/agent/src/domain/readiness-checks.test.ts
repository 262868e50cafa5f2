import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { registryV1RunSpec } from "@gantry/proto";
import { planReadinessChecks } from "./readiness-checks.ts";

const container = create(registryV1RunSpec.ContainerSpecSchema, { name: "web", endpoints: [{ name: "admin", containerPort: 0 }, { name: "http", containerPort: 8080 }] });
const assigned = [
  { container: "web", endpoint: "admin", endpointIndex: 0, hostPort: 31000, containerPort: 0 },
  { container: "web", endpoint: "http", endpointIndex: 1, hostPort: 31001, containerPort: 8080 },
];
const check = (over: { name?: string; protocol?: string; portName?: string; httpStatusCodesForReady?: number[] } = {}) => create(registryV1RunSpec.ReadinessCheckSpecSchema, { name: "ready", protocol: "HTTP", path: "ready", portName: "http", intervalSeconds: 30, timeoutSeconds: 10, ...over });

test("a readiness check probes its named port's host port, and passes only on its ready codes (200 by default)", () => {
  const planned = planReadinessChecks([check(), check({ name: "warm", protocol: "HTTPS", portName: "admin", httpStatusCodesForReady: [200, 204] })], container, assigned);
  assert.ok(planned.ok);
  assert.deepEqual(
    planned.probes.map((p) => [p.kind, p.port, p.address, p.path, p.passCodes, p.intervalMs, p.timeoutMs, p.name]),
    [
      ["http", 31001, "loopback", "/ready", [200], 30_000, 10_000, "HTTP /ready on port 31001 (readiness check ready)"],
      ["https", 31000, "loopback", "/ready", [200, 204], 30_000, 10_000, "HTTPS /ready on port 31000 (readiness check warm)"],
    ],
  );
});

test("on a container network a readiness check probes the container port at the instance's address", () => {
  const planned = planReadinessChecks([check()], container, assigned, true);
  assert.ok(planned.ok);
  assert.deepEqual([planned.probes[0]!.port, planned.probes[0]!.address], [8080, "instance"]);
});

test("a readiness check of a port no endpoint is named for, or of another protocol, refuses the launch with why", () => {
  assert.deepEqual(planReadinessChecks([check({ portName: "nope" })], container, assigned), { ok: false, message: 'readiness check ready: no port is named "nope"' });
  assert.deepEqual(planReadinessChecks([check({ protocol: "TCP" })], container, assigned), { ok: false, message: "readiness check ready: protocol TCP is not HTTP or HTTPS" });
});
