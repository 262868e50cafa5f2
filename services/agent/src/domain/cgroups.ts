/**
 * What the agent knows about cgroups, as pure functions of text read elsewhere: which
 * hierarchy is usable (v1 per-controller mounts, or the v2 unified mount), where a task's
 * group lives, and which control files get which values for a task's resources.
 */

/**
 * The usable cgroup setup of a machine for cpu and memory; absent when neither v1 nor v2 offers
 * both. v1 also names the devices hierarchy when it is mounted (GPU isolation; v2 would need
 * eBPF device programs, which the agent does not load).
 */
export type CgroupSupport =
  | { version: 1; cpuRoot: string; memoryRoot: string; devicesRoot?: string }
  | { version: 2; root: string };

/** One control file write: `file` is relative to the task's group directory. */
export interface CgroupWrite {
  file: string;
  value: string;
  /** Skip silently when the kernel lacks the file (e.g. memsw without swap accounting). */
  optional?: boolean;
}

/** cfs period the agent uses (100 ms, the kernel default). */
export const CFS_PERIOD_US = 100_000;

/**
 * Finds cpu and memory controllers in `/proc/mounts` text. v2 counts only when it is mounted
 * at `/sys/fs/cgroup` itself and its `cgroup.controllers` (passed as `v2Controllers`) lists both;
 * a hybrid machine's empty `/sys/fs/cgroup/unified` is ignored in favour of the v1 mounts.
 */
export function detectCgroupSupport(procMounts: string, v2Controllers?: (mountPoint: string) => string | undefined): CgroupSupport | undefined {
  let cpuRoot: string | undefined;
  let memoryRoot: string | undefined;
  let devicesRoot: string | undefined;
  for (const line of procMounts.split("\n")) {
    const [, mountPoint, fsType, options] = line.split(" ");
    if (!mountPoint || !options) continue;
    if (fsType === "cgroup2" && mountPoint === "/sys/fs/cgroup") {
      const controllers = (v2Controllers?.(mountPoint) ?? "").split(/\s+/);
      if (controllers.includes("cpu") && controllers.includes("memory")) return { version: 2, root: mountPoint };
    }
    if (fsType !== "cgroup") continue;
    const opts = options.split(",");
    if (opts.includes("cpu") && cpuRoot === undefined) cpuRoot = mountPoint;
    if (opts.includes("memory") && memoryRoot === undefined) memoryRoot = mountPoint;
    if (opts.includes("devices") && devicesRoot === undefined) devicesRoot = mountPoint;
  }
  if (cpuRoot === undefined || memoryRoot === undefined) return undefined;
  return devicesRoot === undefined ? { version: 1, cpuRoot, memoryRoot } : { version: 1, cpuRoot, memoryRoot, devicesRoot };
}

/** The capability strings an agent advertises for its isolation. */
export function isolationCapabilities(support: CgroupSupport | undefined): string[] {
  if (!support) return ["process"];
  const v = `cgroups/v${support.version}`;
  return ["process", `${v}:cpu`, `${v}:memory`];
}

/**
 * The group directories of one task, one per hierarchy (v1: cpu and memory, and devices when
 * that hierarchy is mounted; v2: one): `<root>/gantry/<agentId>/<taskId>`. Ids are validated
 * before they get here.
 */
export function taskCgroupDirs(support: CgroupSupport, agentId: string, taskId: string): { cpu: string; memory: string; devices?: string } {
  if (support.version === 2) {
    const dir = `${support.root}/gantry/${agentId}/${taskId}`;
    return { cpu: dir, memory: dir };
  }
  const dirs = { cpu: `${support.cpuRoot}/gantry/${agentId}/${taskId}`, memory: `${support.memoryRoot}/gantry/${agentId}/${taskId}` };
  return support.devicesRoot === undefined ? dirs : { ...dirs, devices: `${support.devicesRoot}/gantry/${agentId}/${taskId}` };
}

/** The hierarchy roots the agent's groups live under (one on v2; cpu, memory and devices on v1). */
function hierarchyRoots(support: CgroupSupport): string[] {
  return support.version === 2 ? [support.root] : [...new Set([support.cpuRoot, support.memoryRoot, ...(support.devicesRoot === undefined ? [] : [support.devicesRoot])])];
}

/** The groups holding this agent's task groups (`…/gantry/<agentId>`), one per hierarchy: every child is one of its tasks. */
export function agentTaskParentDirs(support: CgroupSupport, agentId: string): string[] {
  return hierarchyRoots(support).map((r) => `${r}/gantry/${agentId}`);
}

/** The agent's own parent groups (`…/gantry/<agentId>` and `…/gantry`), deepest first, for cleanup. */
export function agentCgroupDirs(support: CgroupSupport, agentId: string): string[] {
  return [...agentTaskParentDirs(support, agentId), ...hierarchyRoots(support).map((r) => `${r}/gantry`)];
}

/** v1 cpu.shares for a cpu amount (1 cpu = 1024, kernel minimum 2). */
export function cpuShares(cpus: number): number {
  return Math.max(2, Math.round(cpus * 1024));
}

/** v2 cpu.weight (1-10000) equivalent to v1 shares, by the mapping runc and systemd use. */
export function cpuWeight(cpus: number): number {
  const shares = Math.min(cpuShares(cpus), 262_144);
  return Math.max(1, Math.min(10_000, 1 + Math.floor(((shares - 2) * 9999) / 262_142)));
}

/** cfs quota for a cpu amount over `CFS_PERIOD_US` (kernel minimum 1 ms). */
export function cfsQuotaUs(cpus: number): number {
  return Math.max(1000, Math.round(cpus * CFS_PERIOD_US));
}

/**
 * The writes that limit a task to `cpus` (shares and hard quota) and `memMb` megabytes (no swap).
 * A zero amount means "not limited" (the scheduler sends 0 for a resource the app does not declare).
 */
export function cgroupLimitWrites(version: 1 | 2, cpus: number, memMb: number): { cpu: CgroupWrite[]; memory: CgroupWrite[] } {
  const memBytes = String(Math.round(memMb * 1024 * 1024));
  if (version === 1) {
    return {
      cpu: cpus > 0 ? [
        { file: "cpu.shares", value: String(cpuShares(cpus)) },
        { file: "cpu.cfs_period_us", value: String(CFS_PERIOD_US) },
        { file: "cpu.cfs_quota_us", value: String(cfsQuotaUs(cpus)) },
      ] : [],
      // memsw after the plain limit: the kernel requires memsw >= limit at every step.
      memory: memMb > 0 ? [
        { file: "memory.limit_in_bytes", value: memBytes },
        { file: "memory.memsw.limit_in_bytes", value: memBytes, optional: true },
      ] : [],
    };
  }
  return {
    cpu: cpus > 0 ? [
      { file: "cpu.weight", value: String(cpuWeight(cpus)) },
      { file: "cpu.max", value: `${cfsQuotaUs(cpus)} ${CFS_PERIOD_US}` },
    ] : [],
    memory: memMb > 0 ? [
      { file: "memory.max", value: memBytes },
      { file: "memory.swap.max", value: "0", optional: true },
    ] : [],
  };
}

/** The OOM kill count in v1 `memory.oom_control` or v2 `memory.events` text (0 when the line is absent). */
export function oomKillCount(text: string): number {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Major number of NVIDIA GPU device files (`/dev/nvidia<minor>`). */
export const NVIDIA_GPU_MAJOR = 195;

/**
 * The v1 `devices.deny` entries that hide from a task every GPU of the agent it was not given:
 * `c 195:<minor> rwm` per other GPU (Mesos' GPU isolator does the same). The group keeps every
 * other device of its parent (/dev/null, ttys, the driver's control devices), so only GPUs are
 * withheld. A GPU's minor is its `minor` when the driver said, else its index. Empty when the
 * task may use every GPU (or the agent has none): no devices group is needed then.
 */
export function gpuDeviceDenials(inventory: readonly { index: number; minor?: number }[], given: readonly number[]): string[] {
  const mine = new Set(given);
  return inventory.filter((g) => !mine.has(g.index)).map((g) => `c ${NVIDIA_GPU_MAJOR}:${g.minor ?? g.index} rwm`);
}
