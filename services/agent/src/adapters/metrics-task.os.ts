import { existsSync, readFileSync, readdirSync } from "node:fs";
import type { MetricPoint, MetricTarget } from "../app/metrics-points.ts";
import { parseKeyValues } from "./metrics-node.os.ts";

const USER_HZ = 100;
/** A memory limit this large means "none" (cgroup v1 writes PAGE_COUNTER_MAX pages). */
const NO_LIMIT = 2 ** 62;

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};
const num = (path: string): number | undefined => {
  const t = read(path)?.trim();
  if (t === undefined || t === "") return undefined;
  if (t === "max") return Number.POSITIVE_INFINITY;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
};
const lines = (path: string): number | undefined => read(path)?.split("\n").filter(Boolean).length;

/**
 * A task's container metrics (dcos-metrics' container names): cpu user/system seconds, throttled
 * periods and time, memory usage/limit/rss/cache, processes and threads. From its cgroups when it
 * is isolated (v1: cpuacct, cpu, memory, pids directories; v2: one directory), else from /proc for
 * the processes of its process group. Nothing when neither can be read (the task just ended).
 */
export function readTaskMetrics(target: MetricTarget, procRoot = "/proc"): MetricPoint[] {
  const live = target.cgroupDirs.filter((d) => existsSync(d));
  if (live.length > 0) return live.some((d) => existsSync(`${d}/cgroup.controllers`)) ? cgroupV2(live.find((d) => existsSync(`${d}/cgroup.controllers`))!) : cgroupV1(live, procRoot);
  return fromProc(target.pgid, procRoot);
}

function cgroupV1(dirs: string[], procRoot: string): MetricPoint[] {
  const out: MetricPoint[] = [];
  const find = (file: string) => dirs.find((d) => existsSync(`${d}/${file}`));
  const acct = find("cpuacct.stat");
  if (acct) {
    const s = parseKeyValues(read(`${acct}/cpuacct.stat`) ?? "");
    out.push({ name: "cpus.user.time", value: (s.get("user") ?? 0) / USER_HZ, unit: "seconds", counter: true }, { name: "cpus.system.time", value: (s.get("system") ?? 0) / USER_HZ, unit: "seconds", counter: true });
  } else {
    // No cpuacct group for the task (the agent makes cpu and memory groups; cpuacct is its own
    // hierarchy on some machines): its members' times from /proc. Exited children's time is not
    // counted there, unlike cpuacct's.
    const members = find("cgroup.procs");
    const pids = (members && read(`${members}/cgroup.procs`)?.split("\n").filter(Boolean)) || [];
    const usage = procUsage(pids, procRoot, () => true);
    if (usage) out.push({ name: "cpus.user.time", value: usage.user / USER_HZ, unit: "seconds", counter: true }, { name: "cpus.system.time", value: usage.system / USER_HZ, unit: "seconds", counter: true });
  }
  const cpu = find("cpu.stat");
  if (cpu) {
    const s = parseKeyValues(read(`${cpu}/cpu.stat`) ?? "");
    out.push(
      { name: "cpus.nr.periods", value: s.get("nr_periods") ?? 0, unit: "count", counter: true },
      { name: "cpus.nr.throttled", value: s.get("nr_throttled") ?? 0, unit: "count", counter: true },
      { name: "cpus.throttled.time", value: (s.get("throttled_time") ?? 0) / 1e9, unit: "seconds", counter: true },
    );
    const quota = num(`${cpu}/cpu.cfs_quota_us`);
    const period = num(`${cpu}/cpu.cfs_period_us`);
    if (quota !== undefined && period && quota > 0) out.push({ name: "cpus.limit", value: quota / period, unit: "count" });
  }
  const mem = find("memory.usage_in_bytes");
  if (mem) {
    const s = parseKeyValues(read(`${mem}/memory.stat`) ?? "");
    const limit = num(`${mem}/memory.limit_in_bytes`) ?? 0;
    out.push(
      { name: "mem.total", value: num(`${mem}/memory.usage_in_bytes`) ?? 0, unit: "bytes" },
      { name: "mem.limit", value: limit >= NO_LIMIT ? 0 : limit, unit: "bytes" },
      { name: "mem.rss", value: s.get("total_rss") ?? s.get("rss") ?? 0, unit: "bytes" },
      { name: "mem.cache", value: s.get("total_cache") ?? s.get("cache") ?? 0, unit: "bytes" },
      { name: "mem.failcnt", value: num(`${mem}/memory.failcnt`) ?? 0, unit: "count", counter: true },
    );
  }
  const procsDir = find("cgroup.procs");
  if (procsDir) out.push({ name: "processes", value: lines(`${procsDir}/cgroup.procs`) ?? 0, unit: "count" }, { name: "threads", value: lines(`${procsDir}/tasks`) ?? 0, unit: "count" });
  return out;
}

function cgroupV2(dir: string): MetricPoint[] {
  const cpu = parseKeyValues(read(`${dir}/cpu.stat`) ?? "");
  const mem = parseKeyValues(read(`${dir}/memory.stat`) ?? "");
  const limit = num(`${dir}/memory.max`) ?? Number.POSITIVE_INFINITY;
  const out: MetricPoint[] = [
    { name: "cpus.user.time", value: (cpu.get("user_usec") ?? 0) / 1e6, unit: "seconds", counter: true },
    { name: "cpus.system.time", value: (cpu.get("system_usec") ?? 0) / 1e6, unit: "seconds", counter: true },
    { name: "cpus.nr.periods", value: cpu.get("nr_periods") ?? 0, unit: "count", counter: true },
    { name: "cpus.nr.throttled", value: cpu.get("nr_throttled") ?? 0, unit: "count", counter: true },
    { name: "cpus.throttled.time", value: (cpu.get("throttled_usec") ?? 0) / 1e6, unit: "seconds", counter: true },
    { name: "mem.total", value: num(`${dir}/memory.current`) ?? 0, unit: "bytes" },
    { name: "mem.limit", value: Number.isFinite(limit) ? limit : 0, unit: "bytes" },
    { name: "mem.rss", value: mem.get("anon") ?? 0, unit: "bytes" },
    { name: "mem.cache", value: mem.get("file") ?? 0, unit: "bytes" },
    { name: "processes", value: lines(`${dir}/cgroup.procs`) ?? 0, unit: "count" },
    { name: "threads", value: lines(`${dir}/cgroup.threads`) ?? 0, unit: "count" },
  ];
  const max = read(`${dir}/cpu.max`)?.trim().split(/\s+/);
  if (max && max[0] !== "max" && max[1]) out.push({ name: "cpus.limit", value: Number(max[0]) / Number(max[1]), unit: "count" });
  return out;
}

/** utime, stime, rss pages and threads summed over the pids that `member` accepts (by their /proc/<pid>/stat fields); undefined when none was found. */
function procUsage(pids: readonly string[], procRoot: string, member: (fields: string[]) => boolean): { user: number; system: number; rssPages: number; threads: number; processes: number } | undefined {
  const u = { user: 0, system: 0, rssPages: 0, threads: 0, processes: 0 };
  for (const pid of pids) {
    const stat = read(`${procRoot}/${pid}/stat`);
    if (!stat) continue;
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (!member(f)) continue;
    u.processes++;
    u.user += Number(f[11]);
    u.system += Number(f[12]);
    u.threads += Number(f[17]);
    u.rssPages += Number(f[21]);
  }
  return u.processes > 0 ? u : undefined;
}

/** Sums /proc/<pid>/stat of the process group's members: utime, stime, rss pages, threads. */
function fromProc(pgid: number, procRoot: string): MetricPoint[] {
  if (pgid <= 0) return [];
  let names: string[];
  try {
    names = readdirSync(procRoot).filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const u = procUsage(names, procRoot, (f) => Number(f[2]) === pgid);
  if (!u) return [];
  return [
    { name: "cpus.user.time", value: u.user / USER_HZ, unit: "seconds", counter: true },
    { name: "cpus.system.time", value: u.system / USER_HZ, unit: "seconds", counter: true },
    { name: "mem.total", value: u.rssPages * 4096, unit: "bytes" },
    { name: "mem.rss", value: u.rssPages * 4096, unit: "bytes" },
    { name: "processes", value: u.processes, unit: "count" },
    { name: "threads", value: u.threads, unit: "count" },
  ];
}
