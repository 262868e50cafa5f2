import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildSimulatedAgentOptions, compileSimulatedAgentOptions, simulatedAgentIds } from "./simulated-agent-options.ts";

describe("compileSimulatedAgentOptions", () => {
  it("fills every default", () => {
    const o = compileSimulatedAgentOptions({});
    assert.equal(o.count, 10);
    assert.equal(o.idPrefix, "sim");
    assert.deepEqual(o.resources, { cpus: 8, mem: 16_384, disk: 102_400, gpus: 0 });
    assert.deepEqual(o.ports, [{ begin: 31000, end: 32000 }]);
    assert.deepEqual(o.attributesOf(3), {});
    assert.deepEqual(o.roles, ["*"]);
    assert.deepEqual(o.launchDelayMs, { min: 5, max: 50 });
    assert.deepEqual(o.failure, { rate: 0, exitCode: 1, afterMs: { min: 1000, max: 5000 } });
    assert.equal(o.seed, 1);
    assert.equal(o.heartbeatIntervalSeconds, undefined);
    assert.deepEqual(simulatedAgentIds(o).slice(0, 3), ["sim-0", "sim-1", "sim-2"]);
  });

  it("takes CLI strings and varies attributes by index", () => {
    const o = compileSimulatedAgentOptions({
      count: "50",
      idPrefix: "bench",
      cpus: "4",
      mem: "8192",
      gpus: "2",
      attributes: "rack:r{n%4};zone:z{n%2};host:h{n}",
      roles: "*,gpu",
      launchDelayMs: "10-20",
      failureRate: "0.25",
      failureExitCode: "7",
      failAfterMs: "30",
      seed: "42",
      heartbeatIntervalSeconds: "0.5",
    });
    assert.equal(o.count, 50);
    assert.deepEqual(o.resources, { cpus: 4, mem: 8192, disk: 102_400, gpus: 2 });
    assert.deepEqual(o.attributesOf(0), { rack: "r0", zone: "z0", host: "h0" });
    assert.deepEqual(o.attributesOf(7), { rack: "r3", zone: "z1", host: "h7" });
    assert.deepEqual(o.roles, ["*", "gpu"]);
    assert.deepEqual(o.launchDelayMs, { min: 10, max: 20 });
    assert.deepEqual(o.failure, { rate: 0.25, exitCode: 7, afterMs: { min: 30, max: 30 } });
    assert.equal(o.seed, 42);
    assert.equal(o.heartbeatIntervalSeconds, 0.5);
  });

  it("accepts attributes as a function of the index, and ranges as pairs", () => {
    const o = compileSimulatedAgentOptions({ attributes: (n) => ({ rack: `r${n % 3}` }), launchDelayMs: [0, 0] });
    assert.deepEqual(o.attributesOf(5), { rack: "r2" });
    assert.deepEqual(o.launchDelayMs, { min: 0, max: 0 });
  });

  it("names every bad option at once", () => {
    const r = buildSimulatedAgentOptions({
      count: 0,
      cpus: "-1",
      gpus: "1.5",
      attributes: "rack:r{i}",
      launchDelayMs: "50-5",
      failureRate: 2,
      failureExitCode: 0,
      seed: "x",
      heartbeatIntervalSeconds: 0,
      roles: [],
    });
    assert.ok(!r.ok);
    assert.deepEqual(r.violations.map((v) => v.path).sort(), [
      "/attributes",
      "/count",
      "/cpus",
      "/failureExitCode",
      "/failureRate",
      "/gpus",
      "/heartbeatIntervalSeconds",
      "/launchDelayMs",
      "/roles",
      "/seed",
    ]);
    assert.throws(() => compileSimulatedAgentOptions({ count: "0", launchDelayMs: "50-5" }), (err: Error & { code?: string }) => {
      assert.equal(err.code, "InvalidArgument");
      assert.match(err.message, /--count: "0" must be a whole number from 1 to 100000/);
      assert.match(err.message, /--launch-delay-ms: "50-5" ends before it begins/);
      return true;
    });
  });

  it("keeps ids usable as agent ids (NATS subject tokens)", () => {
    assert.ok(!buildSimulatedAgentOptions({ idPrefix: "a.b" }).ok);
    assert.ok(!buildSimulatedAgentOptions({ idPrefix: "x".repeat(62), count: 20 }).ok);
    assert.ok(buildSimulatedAgentOptions({ idPrefix: "x".repeat(61), count: 10 }).ok);
  });
});
