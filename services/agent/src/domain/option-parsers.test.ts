import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defaultAgentId, parseAttributes, parseGpuList, parseNvidiaGpuInformation, parseNvidiaSmi, parsePortRanges, parseRoles } from "./option-parsers.ts";

describe("option parsers", () => {
  it("port ranges: single ports, sorting, bounds and overlaps", () => {
    assert.deepEqual(parsePortRanges("8080, 31000-32000"), { ok: true, value: [{ begin: 8080, end: 8080 }, { begin: 31000, end: 32000 }] });
    assert.equal(parsePortRanges("0-10").ok, false);
    assert.equal(parsePortRanges("1-70000").ok, false);
    assert.equal(parsePortRanges("100-200,150-300").ok, false);
    assert.equal(parsePortRanges("a-b").ok, false);
  });

  it("attributes: key:value pairs separated by ';', values may contain ':'", () => {
    assert.deepEqual(parseAttributes("rack:r1; zone:a;url:http://x"), { ok: true, value: { rack: "r1", zone: "a", url: "http://x" } });
    assert.equal(parseAttributes("rack").ok, false);
    assert.equal(parseAttributes("a:1;a:2").ok, false);
  });

  it("roles", () => {
    assert.deepEqual(parseRoles("*, gpu,gpu"), { ok: true, value: ["*", "gpu"] });
    assert.equal(parseRoles(" , ").ok, false);
    assert.equal(parseRoles("a b").ok, false);
  });

  it("configured GPUs and nvidia-smi output", () => {
    assert.deepEqual(parseGpuList("0:GPU-1234:Tesla V100-SXM2-16GB"), { ok: true, value: [{ index: 0, uuid: "GPU-1234", model: "Tesla V100-SXM2-16GB" }] });
    assert.equal(parseGpuList("x:GPU:y").ok, false);
    assert.equal(parseGpuList("0").ok, false);
    const smi = "0, GPU-aaaa-bbbb, NVIDIA H100 80GB HBM3\n1, GPU-cccc, NVIDIA H100 80GB HBM3\n";
    assert.deepEqual(parseNvidiaSmi(smi), {
      ok: true,
      value: [
        { index: 0, uuid: "GPU-aaaa-bbbb", model: "NVIDIA H100 80GB HBM3" },
        { index: 1, uuid: "GPU-cccc", model: "NVIDIA H100 80GB HBM3" },
      ],
    });
    assert.equal(parseNvidiaSmi("No devices were found").ok, false);
  });

  it("the device minor of a GPU from the driver's information file", () => {
    const info = "Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 40\nGPU UUID: \t GPU-cccc\nVideo BIOS: \t 96.00.74.00.0d\nBus Type: \t PCIe\nDevice Minor: \t 3\nBus Location: \t 0000:1b:00.0\n";
    assert.deepEqual(parseNvidiaGpuInformation(info), { uuid: "GPU-cccc", minor: 3 });
    assert.equal(parseNvidiaGpuInformation("Model: x\nGPU UUID: GPU-1\n"), undefined);
  });

  it("default agent id: subject-safe and stable", () => {
    assert.equal(defaultAgentId("Node-7.dc1.example.com"), "agent-node-7-dc1-example-com");
    assert.equal(defaultAgentId("..."), "agent-localhost");
    assert.ok(defaultAgentId("x".repeat(100)).length <= 63);
  });
});
