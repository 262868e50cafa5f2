import { readdir, readFile } from "node:fs/promises";

/** Pids of live processes whose environment has `GANTRY_TASK_ID=<taskId>` (the agent sets it for every task). */
export async function pidsOfTask(taskId: string): Promise<number[]> {
  const marker = Buffer.from(`GANTRY_TASK_ID=${taskId}\0`);
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`);
      if (environ.includes(marker)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids;
}
