import { readFileSync, readdirSync, statfsSync } from "node:fs";
import type { MetricPoint } from "../app/metrics-points.ts";

/** Clock ticks per second of /proc/stat (USER_HZ; 100 on every Linux architecture Node runs on). */
const USER_HZ = 100;

/** Filesystem types whose capacity means something to an operator (not proc, sysfs, cgroup, …). */
const REAL_FILESYSTEMS = new Set(["ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "vfat", "overlay", "tmpfs", "f2fs", "nfs", "nfs4", "fuseblk"]);

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/**
 * Node metrics from /proc (dcos-metrics' node names): cpu seconds by mode and core count, load,
 * memory, swap, each real filesystem (tag `path`), each network interface (tag `interface`),
 * process count and uptime. A file that cannot be read leaves its metrics out (never fails the
 * whole sample): a container without /proc/net/dev still reports cpu and memory.
 */
export function readNodeMetrics(procRoot = "/proc"): MetricPoint[] {
  const out: MetricPoint[] = [];
  const stat = read(`${procRoot}/stat`);
  if (stat) {
    const cpu = stat.split("\n").find((l) => l.startsWith("cpu "));
    if (cpu) {
      const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu.trim().split(/\s+/).slice(1).map(Number);
      out.push(
        { name: "cpu.user.time", value: (user + nice) / USER_HZ, unit: "seconds", counter: true },
        { name: "cpu.system.time", value: (system + irq + softirq) / USER_HZ, unit: "seconds", counter: true },
        { name: "cpu.idle.time", value: idle / USER_HZ, unit: "seconds", counter: true },
        { name: "cpu.wait.time", value: (iowait + steal) / USER_HZ, unit: "seconds", counter: true },
      );
    }
    out.push({ name: "cpu.cores", value: stat.split("\n").filter((l) => /^cpu\d+ /.test(l)).length, unit: "count" });
  }
  const loadavg = read(`${procRoot}/loadavg`);
  if (loadavg) {
    const [l1, l5, l15] = loadavg.split(/\s+/).map(Number);
    out.push({ name: "load.1min", value: l1 ?? 0, unit: "count" }, { name: "load.5min", value: l5 ?? 0, unit: "count" }, { name: "load.15min", value: l15 ?? 0, unit: "count" });
  }
  const meminfo = read(`${procRoot}/meminfo`);
  if (meminfo) {
    const kb = parseKeyValues(meminfo);
    const bytes = (k: string) => (kb.get(k) ?? 0) * 1024;
    out.push(
      { name: "memory.total", value: bytes("MemTotal"), unit: "bytes" },
      { name: "memory.free", value: bytes("MemFree"), unit: "bytes" },
      { name: "memory.available", value: bytes("MemAvailable"), unit: "bytes" },
      { name: "memory.buffers", value: bytes("Buffers"), unit: "bytes" },
      { name: "memory.cached", value: bytes("Cached"), unit: "bytes" },
      { name: "swap.total", value: bytes("SwapTotal"), unit: "bytes" },
      { name: "swap.free", value: bytes("SwapFree"), unit: "bytes" },
      { name: "swap.used", value: bytes("SwapTotal") - bytes("SwapFree"), unit: "bytes" },
    );
  }
  const mounts = read(`${procRoot}/mounts`);
  if (mounts) {
    const seen = new Set<string>();
    for (const line of mounts.split("\n")) {
      const [, path, type] = line.split(" ");
      if (!path || !type || !REAL_FILESYSTEMS.has(type) || seen.has(path) || path.startsWith("/proc") || path.startsWith("/sys")) continue;
      seen.add(path);
      try {
        const s = statfsSync(path.replace(/\\040/g, " "));
        const tags = { path };
        out.push(
          { name: "filesystem.capacity.total", value: s.blocks * s.bsize, unit: "bytes", tags },
          { name: "filesystem.capacity.used", value: (s.blocks - s.bfree) * s.bsize, unit: "bytes", tags },
          { name: "filesystem.capacity.free", value: s.bavail * s.bsize, unit: "bytes", tags },
          { name: "filesystem.inode.total", value: s.files, unit: "count", tags },
          { name: "filesystem.inode.used", value: s.files - s.ffree, unit: "count", tags },
          { name: "filesystem.inode.free", value: s.ffree, unit: "count", tags },
        );
      } catch {
        // Gone or not ours to stat (a mount of another namespace): leave it out.
      }
    }
  }
  const netdev = read(`${procRoot}/net/dev`);
  if (netdev) {
    for (const line of netdev.split("\n").slice(2)) {
      const [name, rest] = line.split(":");
      if (!name || rest === undefined) continue;
      const f = rest.trim().split(/\s+/).map(Number);
      const tags = { interface: name.trim() };
      out.push(
        { name: "network.in.bytes", value: f[0] ?? 0, unit: "bytes", counter: true, tags },
        { name: "network.in.packets", value: f[1] ?? 0, unit: "count", counter: true, tags },
        { name: "network.in.errors", value: f[2] ?? 0, unit: "count", counter: true, tags },
        { name: "network.in.dropped", value: f[3] ?? 0, unit: "count", counter: true, tags },
        { name: "network.out.bytes", value: f[8] ?? 0, unit: "bytes", counter: true, tags },
        { name: "network.out.packets", value: f[9] ?? 0, unit: "count", counter: true, tags },
        { name: "network.out.errors", value: f[10] ?? 0, unit: "count", counter: true, tags },
        { name: "network.out.dropped", value: f[11] ?? 0, unit: "count", counter: true, tags },
      );
    }
  }
  try {
    out.push({ name: "process.count", value: readdirSync(procRoot).filter((n) => /^\d+$/.test(n)).length, unit: "count" });
  } catch {
    // No /proc listing: leave it out.
  }
  const uptime = read(`${procRoot}/uptime`);
  if (uptime) out.push({ name: "system.uptime", value: Number(uptime.split(" ")[0]), unit: "seconds", counter: true });
  return out;
}

/** `Key: value [kB]` lines (meminfo, memory.stat with spaces) as numbers. */
export function parseKeyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\S+?):?\s+(\d+)/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}
