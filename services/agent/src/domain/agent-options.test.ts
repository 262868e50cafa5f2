import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildAgentOptions, defaultDiskMb, defaultMemMb, type MachineFacts } from "./agent-options.ts";

const GiB = 1024 ** 3;
const machine: MachineFacts = {
  hostname: "Node-7.dc1.example.com",
  platform: "linux",
  isRoot: true,
  cpuCount: 8,
  totalMemBytes: 16 * GiB,
  diskBytes: 100 * GiB,
  nvidiaGpus: undefined,
  cgroups: { version: 1, cpuRoot: "/sys/fs/cgroup/cpu", memoryRoot: "/sys/fs/cgroup/memory" },
  cniPluginDirs: [],
  gantryHomeEnv: undefined,
  homeDir: "/root",
};

const compile = (raw: Parameters<typeof buildAgentOptions>[0], m: Partial<MachineFacts> = {}) => buildAgentOptions(raw, { ...machine, ...m });

describe("buildAgentOptions", () => {
  it("fills every default from the machine", () => {
    const r = compile({});
    assert.ok(r.ok);
    assert.deepEqual(r.options, {
      agentId: "agent-node-7-dc1-example-com",
      hostname: "Node-7.dc1.example.com",
      workDir: "/root/.gantry/agent/agent-node-7-dc1-example-com",
      resources: { cpus: 8, mem: 16 * 1024 - 1024, disk: 100 * 1024 - 5 * 1024 },
      ports: [{ begin: 31000, end: 32000 }],
      gpus: [],
      attributes: {},
      roles: ["*"],
      isolation: { kind: "cgroups", cgroups: machine.cgroups },
      sandboxGcMs: 7 * 24 * 3_600_000,
      isRoot: true,
      networks: { kind: "none", reason: "no CNI plugins (install containernetworking-plugins, or name their directory)" },
      capabilities: ["process", "cgroups/v1:cpu", "cgroups/v1:memory"],
    });
  });

  it("container networks through CNI where root on Linux with plugins: in the agent's work dir, advertised as network/cni", () => {
    const r = compile({ workDir: "/w" }, { cniPluginDirs: ["/usr/lib/cni"] });
    assert.ok(r.ok);
    assert.deepEqual(r.options.networks, { kind: "cni", configDir: "/etc/gantry/cni", pluginDirs: ["/usr/lib/cni"], stateDir: "/w/cni" });
    assert.ok(r.options.capabilities.includes("network/cni"));
    const named = compile({ cniConfigDir: "/etc/cni/net.d", cniPluginDirs: "/opt/a:/opt/b" });
    assert.ok(named.ok);
    assert.deepEqual(named.options.networks.kind === "cni" && [named.options.networks.configDir, named.options.networks.pluginDirs], ["/etc/cni/net.d", ["/opt/a", "/opt/b"]]);
    const notRoot = compile({}, { isRoot: false, cniPluginDirs: ["/usr/lib/cni"] });
    assert.ok(notRoot.ok);
    assert.deepEqual(notRoot.options.networks, { kind: "none", reason: "not running as root" });
    assert.ok(!notRoot.options.capabilities.includes("network/cni"));
    const gc = compile({ sandboxGcHours: "24" });
    assert.ok(gc.ok);
    assert.equal(gc.options.sandboxGcMs, 24 * 3_600_000);
    const never = compile({ sandboxGcHours: 0 });
    assert.ok(!never.ok);
    assert.deepEqual(never.violations, [{ path: "/sandboxGcHours", errors: ["must be more than 0"] }]);
    const relative = compile({ cniConfigDir: "cni", cniPluginDirs: "bin" });
    assert.ok(!relative.ok);
    assert.deepEqual(relative.violations.map((v) => v.path).sort(), ["/cniConfigDir", "/cniPluginDirs"]);
  });

  it("keeps the agent id stable for a host name and puts the work dir under GANTRY_HOME", () => {
    const a = compile({}, { gantryHomeEnv: "/var/lib/gantry" });
    const b = compile({}, { gantryHomeEnv: "/var/lib/gantry" });
    assert.ok(a.ok && b.ok);
    assert.equal(a.options.agentId, b.options.agentId);
    assert.equal(a.options.workDir, `/var/lib/gantry/agent/${a.options.agentId}`);
    const c = compile({ gantryHome: "/g", agentId: "a1" });
    assert.ok(c.ok);
    assert.equal(c.options.workDir, "/g/agent/a1");
  });

  it("takes given values, numbers as strings included", () => {
    const r = compile({ agentId: "a-1", cpus: "2.5", mem: "4096", disk: 10, ports: "40000-40010,31000-31005", attributes: "rack:r1;zone:a", roles: "*,gpu", workDir: "/w" });
    assert.ok(r.ok);
    assert.deepEqual(r.options.resources, { cpus: 2.5, mem: 4096, disk: 10 });
    assert.deepEqual(r.options.ports, [{ begin: 31000, end: 31005 }, { begin: 40000, end: 40010 }]);
    assert.deepEqual(r.options.attributes, { rack: "r1", zone: "a" });
    assert.deepEqual(r.options.roles, ["*", "gpu"]);
    assert.equal(r.options.workDir, "/w");
  });

  it("names every bad option at once", () => {
    const r = compile({ agentId: "bad.id", cpus: "-1", mem: "lots", ports: "5-3", attributes: "rack", roles: "", isolation: "docker", workDir: "rel" });
    assert.ok(!r.ok);
    assert.deepEqual(r.violations.map((v) => v.path), ["/agentId", "/workDir", "/cpus", "/mem", "/ports", "/attributes", "/roles", "/isolation"]);
    assert.match(r.violations.find((v) => v.path === "/ports")!.errors[0]!, /ends before it begins/);
  });

  it("asks for disk explicitly when the machine cannot tell", () => {
    const r = compile({}, { diskBytes: undefined });
    assert.ok(!r.ok);
    assert.deepEqual(r.violations.map((v) => v.path), ["/disk"]);
    assert.ok(compile({ disk: 500 }, { diskBytes: undefined }).ok);
  });

  it("uses nvidia-smi's GPUs, else the configured list", () => {
    const smi = [{ index: 0, uuid: "GPU-a", model: "H100" }];
    const fromSmi = compile({ gpus: "0:GPU-x:Tesla" }, { nvidiaGpus: smi });
    assert.ok(fromSmi.ok);
    assert.deepEqual(fromSmi.options.gpus, smi);
    const configured = compile({ gpus: "1:GPU-b:Tesla V100,0:GPU-a:Tesla V100" });
    assert.ok(configured.ok);
    assert.deepEqual(configured.options.gpus.map((g) => g.index), [0, 1]);
    assert.deepEqual(configured.options.capabilities, ["process", "cgroups/v1:cpu", "cgroups/v1:memory", "gpus/env"]);
    const withDevices = compile({ gpus: "0:GPU-a:x" }, { cgroups: { version: 1, cpuRoot: "/c", memoryRoot: "/m", devicesRoot: "/d" } });
    assert.ok(withDevices.ok);
    assert.deepEqual(withDevices.options.capabilities, ["process", "cgroups/v1:cpu", "cgroups/v1:memory", "gpus/env", "cgroups/v1:devices"]);
    const noGpus = compile({}, { cgroups: { version: 1, cpuRoot: "/c", memoryRoot: "/m", devicesRoot: "/d" } });
    assert.ok(noGpus.ok);
    assert.ok(!noGpus.options.capabilities.includes("cgroups/v1:devices"), "nothing to withhold without GPUs");
    const v2 = compile({ gpus: "0:GPU-a:x" }, { cgroups: { version: 2, root: "/sys/fs/cgroup" } });
    assert.ok(v2.ok);
    assert.deepEqual(v2.options.capabilities, ["process", "cgroups/v2:cpu", "cgroups/v2:memory", "gpus/env", "cgroups/v2:devices"], "the launcher's BPF device filter");
    assert.ok(!compile({ gpus: "0:GPU-a:x,0:GPU-b:y" }).ok);
  });

  it("resolves isolation: cgroups only as root on Linux with cgroups; none when asked; an error when cgroups are demanded but missing", () => {
    const notRoot = compile({}, { isRoot: false });
    assert.ok(notRoot.ok);
    assert.deepEqual(notRoot.options.isolation, { kind: "process", reason: "not running as root" });
    assert.deepEqual(notRoot.options.capabilities, ["process"]);
    const off = compile({ isolation: "none" });
    assert.ok(off.ok);
    assert.equal(off.options.isolation.kind, "process");
    const demanded = compile({ isolation: "cgroups" }, { cgroups: undefined });
    assert.ok(!demanded.ok);
    assert.match(demanded.violations[0]!.errors[0]!, /cpu and memory controllers/);
    const v2 = compile({}, { cgroups: { version: 2, root: "/sys/fs/cgroup" } });
    assert.ok(v2.ok);
    assert.deepEqual(v2.options.capabilities, ["process", "cgroups/v2:cpu", "cgroups/v2:memory"]);
  });

  it("reserves memory and disk like Mesos", () => {
    assert.equal(defaultMemMb(1 * GiB), 512);
    assert.equal(defaultMemMb(4 * GiB), 3072);
    assert.equal(defaultDiskMb(8 * GiB), 4096);
    assert.equal(defaultDiskMb(20 * GiB), 15 * 1024);
  });
});
