import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statfsSync } from "node:fs";
import os from "node:os";
import { dirname } from "node:path";
import { detectCgroupSupport, parseNvidiaGpuInformation, parseNvidiaSmi, type MachineFacts } from "../domain/index.ts";

/**
 * Reads the facts option defaults come from: host name, cpus, memory, free disk under the
 * work directory (its nearest existing ancestor), GPUs from nvidia-smi (2 s limit; absent
 * or failing means "none found") with their device minors from the driver's
 * `/proc/driver/nvidia/gpus/<bus id>/information`, root, and which cgroup hierarchies are mounted.
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
    cniPluginDirs: ["/usr/lib/cni", "/opt/cni/bin"].filter((d) => existsSync(`${d}/bridge`)),
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
  if (!parsed.ok) return undefined;
  const minors = nvidiaDeviceMinors();
  return parsed.value.map((g) => {
    const minor = minors.get(g.uuid);
    return minor === undefined ? g : { ...g, minor };
  });
}

/** Device minors by GPU uuid, from the NVIDIA driver's /proc files (empty when it has none). */
function nvidiaDeviceMinors(): Map<string, number> {
  const root = "/proc/driver/nvidia/gpus";
  const minors = new Map<string, number>();
  try {
    for (const bus of readdirSync(root)) {
      const info = parseNvidiaGpuInformation(readFileSync(`${root}/${bus}/information`, "utf8"));
      if (info) minors.set(info.uuid, info.minor);
    }
  } catch {
    // No driver files: each GPU's minor is taken to be its index.
  }
  return minors;
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
