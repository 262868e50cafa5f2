import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTaskMetrics } from "./metrics-task.os.ts";
import { readNodeMetrics } from "./metrics-node.os.ts";
import { parseGpuCsv } from "./metrics-gpu.os.ts";

const target = (cgroupDirs: string[], pgid = 0) => ({ taskId: "t", instanceId: "i", appId: "/a", containerName: "", labels: {}, cgroupDirs, pgid });
const byName = (points: { name: string; value: number }[]) => Object.fromEntries(points.map((p) => [p.name, p.value]));

test("cgroup v1: cpuacct, cpu throttling, memory and pids from the controllers' directories", () => {
  const root = mkdtempSync(join(tmpdir(), "cg1-"));
  try {
    const dir = (c: string, files: Record<string, string>) => {
      mkdirSync(join(root, c));
      for (const [f, v] of Object.entries(files)) writeFileSync(join(root, c, f), v);
      return join(root, c);
    };
    const dirs = [
      dir("cpuacct", { "cpuacct.stat": "user 250\nsystem 50\n", "cgroup.procs": "10\n11\n", tasks: "10\n11\n12\n" }),
      dir("cpu", { "cpu.stat": "nr_periods 100\nnr_throttled 7\nthrottled_time 2500000000\n", "cpu.cfs_quota_us": "50000", "cpu.cfs_period_us": "100000" }),
      dir("memory", { "memory.usage_in_bytes": "1048576", "memory.limit_in_bytes": "9223372036854771712", "memory.stat": "cache 4096\nrss 8192\ntotal_cache 4096\ntotal_rss 8192\n", "memory.failcnt": "0" }),
    ];
    const m = byName(readTaskMetrics(target(dirs)));
    assert.equal(m["cpus.user.time"], 2.5);
    assert.equal(m["cpus.system.time"], 0.5);
    assert.equal(m["cpus.nr.throttled"], 7);
    assert.equal(m["cpus.throttled.time"], 2.5);
    assert.equal(m["cpus.limit"], 0.5);
    assert.equal(m["mem.total"], 1048576);
    assert.equal(m["mem.limit"], 0, "an unlimited cgroup reports 0");
    assert.equal(m["mem.rss"], 8192);
    assert.equal(m["mem.cache"], 4096);
    assert.equal(m.processes, 2);
    assert.equal(m.threads, 3);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("cgroup v1 without a cpuacct group: cpu times of the cgroup's members from /proc", () => {
  const root = mkdtempSync(join(tmpdir(), "cg1-"));
  try {
    mkdirSync(join(root, "cpu"));
    writeFileSync(join(root, "cpu", "cgroup.procs"), `${process.pid}\n`);
    writeFileSync(join(root, "cpu", "cpu.stat"), "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n");
    const m = byName(readTaskMetrics(target([join(root, "cpu")])));
    assert.ok(m["cpus.user.time"]! > 0, "this process has used cpu");
    assert.ok("cpus.system.time" in m);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("cgroup v2: one directory with cpu.stat, memory.current/max/stat, cgroup.procs/threads", () => {
  const dir = mkdtempSync(join(tmpdir(), "cg2-"));
  try {
    const files: Record<string, string> = {
      "cgroup.controllers": "cpu memory pids",
      "cpu.stat": "usage_usec 3000000\nuser_usec 2000000\nsystem_usec 1000000\nnr_periods 10\nnr_throttled 2\nthrottled_usec 500000\n",
      "cpu.max": "25000 100000",
      "memory.current": "2097152",
      "memory.max": "67108864",
      "memory.stat": "anon 1048576\nfile 524288\n",
      "cgroup.procs": "5\n",
      "cgroup.threads": "5\n6\n",
    };
    for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, f), v);
    const m = byName(readTaskMetrics(target([dir])));
    assert.deepEqual([m["cpus.user.time"], m["cpus.system.time"], m["cpus.nr.throttled"], m["cpus.throttled.time"], m["cpus.limit"]], [2, 1, 2, 0.5, 0.25]);
    assert.deepEqual([m["mem.total"], m["mem.limit"], m["mem.rss"], m["mem.cache"], m.processes, m.threads], [2097152, 67108864, 1048576, 524288, 1, 2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("without cgroups: the process group's members from /proc (this test's own group)", () => {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  const m = byName(readTaskMetrics(target([], pgid)));
  assert.ok(m.processes! >= 1);
  assert.ok(m.threads! >= 1);
  assert.ok(m["mem.rss"]! > 1024 * 1024, "node itself holds more than a megabyte");
  assert.deepEqual(readTaskMetrics(target(["/nonexistent/cgroup"], 0)), [], "a task that is gone reports nothing");
});

test("node metrics from /proc carry cpu, load, memory, swap, filesystems, network, processes, uptime", () => {
  const m = readNodeMetrics();
  const names = new Set(m.map((p) => p.name));
  for (const n of ["cpu.user.time", "cpu.cores", "load.1min", "memory.total", "memory.available", "swap.total", "process.count", "system.uptime", "network.in.bytes"]) assert.ok(names.has(n), n);
  assert.ok(m.some((p) => p.name === "filesystem.capacity.total" && p.tags?.path === "/"), "the root filesystem");
});

test("GPU rows from nvidia-smi CSV, per device, leaving out [N/A] fields", () => {
  const points = parseGpuCsv("0, GPU-aaa, 35, 10, 1024, 81559, 41, 72.5\n1, GPU-bbb, [N/A], 0, 0, 81559, 30, [N/A]\n");
  const first = points.filter((p) => p.tags?.gpu_index === "0");
  assert.deepEqual(byName(first), { "gpu.utilization": 35, "gpu.memory.utilization": 10, "gpu.memory.used": 1024 * 1024 * 1024, "gpu.memory.total": 81559 * 1024 * 1024, "gpu.temperature": 41, "gpu.power.draw": 72.5 });
  assert.equal(points.filter((p) => p.tags?.gpu_index === "1").length, 4);
});
