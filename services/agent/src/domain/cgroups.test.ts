import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { agentCgroupDirs, agentTaskParentDirs, cgroupLimitWrites, cpuWeight, detectCgroupSupport, gpuDeviceDenials, oomKillCount, taskCgroupDirs } from "./cgroups.ts";

const HYBRID = `sysfs /sys sysfs rw 0 0
tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0`;

describe("cgroups", () => {
  it("finds v1 cpu and memory on a hybrid machine and ignores the empty unified mount", () => {
    assert.deepEqual(detectCgroupSupport(HYBRID, () => ""), { version: 1, cpuRoot: "/sys/fs/cgroup/cpu,cpuacct", memoryRoot: "/sys/fs/cgroup/memory" });
  });

  it("names the v1 devices hierarchy when it is mounted", () => {
    const mounts = `${HYBRID}\ncgroup /sys/fs/cgroup/devices cgroup rw,nosuid,nodev,noexec,relatime,devices 0 0`;
    assert.deepEqual(detectCgroupSupport(mounts), { version: 1, cpuRoot: "/sys/fs/cgroup/cpu,cpuacct", memoryRoot: "/sys/fs/cgroup/memory", devicesRoot: "/sys/fs/cgroup/devices" });
  });

  it("uses v2 when /sys/fs/cgroup is cgroup2 with cpu and memory controllers", () => {
    const mounts = "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0";
    assert.deepEqual(detectCgroupSupport(mounts, () => "cpuset cpu io memory pids\n"), { version: 2, root: "/sys/fs/cgroup" });
    assert.equal(detectCgroupSupport(mounts, () => "pids"), undefined);
    assert.equal(detectCgroupSupport("proc /proc proc rw 0 0"), undefined);
  });

  it("places task and agent groups under gantry/<agentId>", () => {
    const v1 = { version: 1 as const, cpuRoot: "/c", memoryRoot: "/m" };
    assert.deepEqual(taskCgroupDirs(v1, "a1", "t.1"), { cpu: "/c/gantry/a1/t.1", memory: "/m/gantry/a1/t.1" });
    assert.deepEqual(agentCgroupDirs(v1, "a1"), ["/c/gantry/a1", "/m/gantry/a1", "/c/gantry", "/m/gantry"]);
    assert.deepEqual(taskCgroupDirs({ version: 2, root: "/u" }, "a1", "t"), { cpu: "/u/gantry/a1/t", memory: "/u/gantry/a1/t" });
    const withDevices = { ...v1, devicesRoot: "/d" };
    assert.equal(taskCgroupDirs(withDevices, "a1", "t.1").devices, "/d/gantry/a1/t.1");
    assert.deepEqual(agentCgroupDirs(withDevices, "a1"), ["/c/gantry/a1", "/m/gantry/a1", "/d/gantry/a1", "/c/gantry", "/m/gantry", "/d/gantry"]);
    // What a start-up sweep reads: only this agent's own, never the shared gantry/ (other agents live there).
    assert.deepEqual(agentTaskParentDirs(withDevices, "a1"), ["/c/gantry/a1", "/m/gantry/a1", "/d/gantry/a1"]);
    assert.deepEqual(agentTaskParentDirs({ version: 2, root: "/u" }, "a1"), ["/u/gantry/a1"]);
  });

  it("withholds every GPU of the agent but the task's own, by the device minor (else the index)", () => {
    const inventory = [{ index: 0, minor: 2 }, { index: 1 }, { index: 2, minor: 0 }];
    assert.deepEqual(gpuDeviceDenials(inventory, [1]), ["c 195:2 rwm", "c 195:0 rwm"]);
    assert.deepEqual(gpuDeviceDenials(inventory, []), ["c 195:2 rwm", "c 195:1 rwm", "c 195:0 rwm"]);
    assert.deepEqual(gpuDeviceDenials(inventory, [0, 1, 2]), []);
    assert.deepEqual(gpuDeviceDenials([], []), []);
  });

  it("limits cpu by shares and quota, memory without swap; zero means unlimited", () => {
    assert.deepEqual(cgroupLimitWrites(1, 1.5, 128), {
      cpu: [
        { file: "cpu.shares", value: "1536" },
        { file: "cpu.cfs_period_us", value: "100000" },
        { file: "cpu.cfs_quota_us", value: "150000" },
      ],
      memory: [
        { file: "memory.limit_in_bytes", value: String(128 * 1024 * 1024) },
        { file: "memory.memsw.limit_in_bytes", value: String(128 * 1024 * 1024), optional: true },
      ],
    });
    assert.deepEqual(cgroupLimitWrites(1, 0, 0), { cpu: [], memory: [] });
    assert.deepEqual(cgroupLimitWrites(2, 0.001, 1).cpu, [
      { file: "cpu.weight", value: "1" },
      { file: "cpu.max", value: "1000 100000" },
    ]);
    assert.equal(cpuWeight(1), 39);
  });

  it("reads the OOM kill count", () => {
    assert.equal(oomKillCount("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"), 2);
    assert.equal(oomKillCount("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"), 1);
    assert.equal(oomKillCount("oom_kill_disable 0\nunder_oom 0\n"), 0);
  });
});
