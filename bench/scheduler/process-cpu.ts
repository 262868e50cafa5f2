/**
 * CPU time of the processes a benchmark runs on this machine (Linux /proc): the services it
 * started, NATS and every Postgres process. Read before and after a phase, the difference says
 * where the machine's CPU went per unit of work.
 */
import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";

const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) of one process; 0 when it is gone. */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Pids of processes whose command name is `comm`. */
function pidsNamed(comm: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === comm) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export type CpuSample = Record<string, number>;

/** CPU seconds so far of each named process (its pid) and of NATS and Postgres (every process of theirs). */
export function sampleCpu(processes: Record<string, number>): CpuSample {
  const sample: CpuSample = {};
  for (const [name, pid] of Object.entries(processes)) sample[name] = cpuSecondsOf(pid);
  sample.nats = pidsNamed("nats-server").reduce((s, pid) => s + cpuSecondsOf(pid), 0);
  sample.postgres = pidsNamed("postgres").reduce((s, pid) => s + cpuSecondsOf(pid), 0);
  return sample;
}

/** Microseconds of CPU per unit of work, per process, between two samples. */
export function cpuMicrosPer(before: CpuSample, after: CpuSample, units: number): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, Math.round(((after[k]! - (before[k] ?? 0)) * 1e6) / units)]));
}

/** The machine's CPU cores. */
export const machineCores = cpus().length;
