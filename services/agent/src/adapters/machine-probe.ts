import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statfsSync } from "node:fs";
import os from "node:os";
import { dirname } from "node:path";
import { detectCgroupSupport, parseNvidiaSmi, type MachineFacts } from "../domain/index.ts";

/**
 * Reads the facts option defaults come from: host name, cpus, memory, free disk under the
 * work directory (its nearest existing ancestor), GPUs from nvidia-smi (2 s limit; absent
 * or failing means "none found"), root, and which cgroup hierarchies are mounted.
 */
export function probeMachine(where: { workDir?: string; gantryHome?: string } = {}): MachineFacts {
  const gantryHomeEnv = process.env.GANTRY_HOME;
  const homeDir = os.homedir();
  return {
    hostname: os.hostname(),
    platform: process.platform,
    isRoot: typeof process.getuid === "function" && process.getuid() === 0,
    cpuCount: os.availableParallelism?.() ?? os.cpus().length,
    totalMemBytes: os.totalmem(),
    diskBytes: freeDiskBytes(where.workDir ?? where.gantryHome ?? gantryHomeEnv ?? `${homeDir}/.gantry`),
    nvidiaGpus: nvidiaGpus(),
    cgroups: process.platform === "linux" ? cgroupSupport() : undefined,
    gantryHomeEnv,
    homeDir,
  };
}

function freeDiskBytes(path: string): number | undefined {
  let p = path;
  while (!existsSync(p) && p !== dirname(p)) p = dirname(p);
  try {
    const s = statfsSync(p);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

function nvidiaGpus(): MachineFacts["nvidiaGpus"] {
  let out: string;
  try {
    out = execFileSync("nvidia-smi", ["--query-gpu=index,uuid,name", "--format=csv,noheader"], { encoding: "utf8", timeout: 2000, stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return undefined;
  }
  const parsed = parseNvidiaSmi(out);
  return parsed.ok ? parsed.value : undefined;
}

function cgroupSupport(): MachineFacts["cgroups"] {
  try {
    return detectCgroupSupport(readFileSync("/proc/mounts", "utf8"), (mountPoint) => {
      try {
        return readFileSync(`${mountPoint}/cgroup.controllers`, "utf8");
      } catch {
        return undefined;
      }
    });
  } catch {
    return undefined;
  }
}
