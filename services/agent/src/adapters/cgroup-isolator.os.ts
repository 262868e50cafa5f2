import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "@gantry/platform/logging";
import { agentCgroupDirs, agentTaskParentDirs, cgroupLimitWrites, oomKillCount, taskCgroupDirs, type CgroupSupport, type CgroupWrite } from "../domain/index.ts";
import type { Isolator, TaskIsolation } from "../app/ports.ts";

/** How long `destroy` keeps trying to empty and remove a task's groups. */
const DESTROY_TIMEOUT_MS = 5_000;

/** No isolation: tasks are plain processes (not root, not Linux, or isolation off). */
export function processIsolator(): Isolator {
  const none: TaskIsolation = { dirs: [], joinFiles: [], oomKilled: () => false, killAll: () => {}, populated: () => undefined, destroy: async () => {} };
  return { prepare: () => none, reattach: () => none, releaseAgentDirs: () => {}, sweep: async () => [] };
}

/**
 * Per-task cgroups under `<hierarchy>/gantry/<agentId>/<taskId>`: v1 (cpu and memory
 * hierarchies) or v2 (one unified group with the cpu and memory controllers enabled down the
 * path). Limits: cpu shares/weight and a hard cfs quota from the task's cpus, a memory limit
 * with no swap from its mem, and on v1 with the devices hierarchy a devices group denying the
 * GPUs the task was not given (created only when there are such GPUs). The task joins its
 * groups itself before exec (see the wrapper).
 */
export function cgroupIsolator(support: CgroupSupport, agentId: string, logger: Logger): Isolator {
  const oomFile = support.version === 1 ? "memory.oom_control" : "memory.events";
  const isolation = (groupDirs: string[], memoryDir: string): TaskIsolation => {
    const dirs = [...new Set(groupDirs)];
    const pids = () =>
      dirs.flatMap((d) => {
        try {
          return readFileSync(`${d}/cgroup.procs`, "utf8").split("\n").filter((l) => l !== "").map(Number);
        } catch {
          return [];
        }
      });
    const killAll = () => {
      for (const pid of pids()) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    };
    return {
      dirs,
      joinFiles: dirs.map((d) => `${d}/cgroup.procs`),
      oomKilled() {
        try {
          return oomKillCount(readFileSync(`${memoryDir}/${oomFile}`, "utf8")) > 0;
        } catch {
          return false;
        }
      },
      killAll,
      populated() {
        if (!dirs.some((d) => existsSync(d))) return undefined;
        return pids().length > 0;
      },
      async destroy() {
        const deadline = Date.now() + DESTROY_TIMEOUT_MS;
        for (const dir of dirs) {
          for (;;) {
            if (!existsSync(dir)) break;
            killAll();
            try {
              rmdirSync(dir);
              break;
            } catch (err) {
              if (Date.now() > deadline) {
                logger.error({ err, dir }, "task cgroup could not be removed");
                break;
              }
              await new Promise((r) => setTimeout(r, 50));
            }
          }
        }
      },
    };
  };

  const write = (dir: string, w: CgroupWrite) => {
    const file = `${dir}/${w.file}`;
    if (w.optional && !existsSync(file)) return;
    writeFileSync(file, w.value);
  };

  /** v2: a group's controllers must be enabled in every ancestor's subtree_control. */
  const enableV2Controllers = (root: string, dir: string) => {
    const chain: string[] = [];
    for (let d = dirname(dir); d.startsWith(root) && d.length >= root.length; d = dirname(d)) {
      chain.unshift(d);
      if (d === root) break;
    }
    for (const d of chain) {
      mkdirSync(d, { recursive: true });
      const current = readFileSync(`${d}/cgroup.subtree_control`, "utf8");
      for (const c of ["cpu", "memory"]) if (!current.split(/\s+/).includes(c)) writeFileSync(`${d}/cgroup.subtree_control`, `+${c}`);
    }
  };

  return {
    prepare(taskId, { cpus, memMb, deniedDevices }) {
      const { cpu, memory, devices } = taskCgroupDirs(support, agentId, taskId);
      if (support.version === 2) enableV2Controllers(support.root, cpu);
      // A devices group only when there is something to withhold: it inherits every other device of its parent.
      const withDevices = devices !== undefined && deniedDevices.length > 0;
      const task = isolation(withDevices ? [cpu, memory, devices] : [cpu, memory], memory);
      try {
        for (const d of task.dirs) mkdirSync(d, { recursive: true });
        const writes = cgroupLimitWrites(support.version, cpus, memMb);
        for (const w of writes.cpu) write(cpu, w);
        for (const w of writes.memory) write(memory, w);
        // One entry per write: the kernel takes a single rule each time.
        if (withDevices) for (const rule of deniedDevices) write(devices, { file: "devices.deny", value: rule });
      } catch (err) {
        void task.destroy();
        throw new Error(`cgroup setup for ${taskId} failed: ${(err as Error).message}`, { cause: err });
      }
      return task;
    },
    reattach(dirs) {
      if (dirs.length === 0) return processIsolator().reattach([]);
      const memory = dirs.find((d) => d.startsWith(`${support.version === 1 ? support.memoryRoot : support.root}/`)) ?? dirs[0]!;
      return isolation(dirs, memory);
    },
    async sweep(keep) {
      const swept = new Set<string>();
      for (const parent of agentTaskParentDirs(support, agentId)) {
        let names: string[];
        try {
          names = readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
        } catch {
          continue;
        }
        for (const taskId of names) {
          if (keep.has(taskId)) continue;
          const dir = `${parent}/${taskId}`;
          logger.warn({ task: taskId, dir }, "cgroup of a task no checkpoint names: killing what runs in it and removing it");
          await isolation([dir], dir).destroy();
          swept.add(taskId);
        }
      }
      return [...swept];
    },
    releaseAgentDirs() {
      for (const dir of agentCgroupDirs(support, agentId)) {
        try {
          rmdirSync(dir);
        } catch {
          // Not empty (another agent's or a task left running) or gone: both fine.
        }
      }
    },
  };
}
