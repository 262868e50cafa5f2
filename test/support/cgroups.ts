import { existsSync } from "node:fs";
import type { CgroupSupport } from "@gantry/agent";

/**
 * What root tests expect of the agent's cgroups, on either layout. The layout itself comes from
 * the agent's own detection (`probeMachine().cgroups`, or `options.isolation.cgroups` of compiled
 * options); where groups live and what their limit files hold is spelled out here from the
 * kernel's interfaces, independently of the agent's code, so the tests check that code:
 *
 * - v1: one group per hierarchy, `<cpu root>/gantry/<agent>/<task>` and `<memory root>/…`;
 *   `cpu.shares` (1 cpu = 1024), `cpu.cfs_quota_us` over a 100 ms period, `memory.limit_in_bytes`.
 * - v2: one unified group `<root>/gantry/<agent>/<task>`; `cpu.weight` (shares mapped to
 *   1-10000 as runc and systemd do), `cpu.max` ("<quota> <period>"), `memory.max`.
 */

/** The directories of one task's groups, sorted (two on v1, one on v2). */
export function expectedTaskCgroupDirs(support: CgroupSupport, agentId: string, taskId: string): string[] {
  return expectedAgentCgroupDirs(support, agentId).map((d) => `${d}/${taskId}`);
}

/** The directories of one agent's groups, `<root>/gantry/<agentId>` per hierarchy, sorted. */
export function expectedAgentCgroupDirs(support: CgroupSupport, agentId: string): string[] {
  const roots = support.version === 2 ? [support.root] : [...new Set([support.cpuRoot, support.memoryRoot])];
  return roots.map((r) => `${r}/gantry/${agentId}`).sort();
}

/** The file listing the processes in a task's memory group (the one every layout has). */
export function taskMemoryProcsFile(support: CgroupSupport, agentId: string, taskId: string): string {
  const root = support.version === 2 ? support.root : support.memoryRoot;
  return `${root}/gantry/${agentId}/${taskId}/cgroup.procs`;
}

/** The limit files of a task given `cpus` and `memMb` (both > 0), with the contents each must hold. */
export function expectedLimitFiles(support: CgroupSupport, agentId: string, taskId: string, cpus: number, memMb: number): { file: string; value: string }[] {
  // Kernel minimums: 2 shares, a 1 ms quota.
  const quotaUs = Math.max(1000, Math.round(cpus * 100_000));
  const shares = Math.max(2, Math.round(cpus * 1024));
  const memBytes = String(memMb * 1024 * 1024);
  if (support.version === 2) {
    const dir = `${support.root}/gantry/${agentId}/${taskId}`;
    const weight = 1 + Math.floor(((Math.min(shares, 262_144) - 2) * 9999) / 262_142);
    return [
      { file: `${dir}/cpu.weight`, value: String(weight) },
      { file: `${dir}/cpu.max`, value: `${quotaUs} 100000` },
      { file: `${dir}/memory.max`, value: memBytes },
    ];
  }
  const cpuDir = `${support.cpuRoot}/gantry/${agentId}/${taskId}`;
  const memDir = `${support.memoryRoot}/gantry/${agentId}/${taskId}`;
  return [
    { file: `${cpuDir}/cpu.shares`, value: String(shares) },
    { file: `${cpuDir}/cpu.cfs_quota_us`, value: String(quotaUs) },
    { file: `${memDir}/memory.limit_in_bytes`, value: memBytes },
  ];
}

/** The capabilities an agent with cgroups advertises on this layout. */
export function expectedCgroupCapabilities(support: CgroupSupport): string[] {
  return ["process", `cgroups/v${support.version}:cpu`, `cgroups/v${support.version}:memory`];
}

/** Those of the agent's group directories that still exist (what a test must not leave behind). */
export function leftoverAgentCgroupDirs(support: CgroupSupport, agentId: string): string[] {
  return expectedAgentCgroupDirs(support, agentId).filter((d) => existsSync(d));
}
