import type { Logger } from "@gantry/platform/logging";
import type { InstanceStore, SandboxStore } from "./ports.ts";

/** What one collection removed. */
export interface CollectedSandboxes {
  taskIds: string[];
  instanceIds: string[];
}

/**
 * Removes what ended tasks left on disk once it is older than `maxAgeMs` (Mesos' `gc_delay`,
 * a week by default): the sandbox of every task whose final state was acknowledged by the
 * stream that long ago, and every instance directory whose tasks' sandboxes are all gone and
 * whose network was released (or that never had one). A task still running, a final state not
 * yet acknowledged, and an unreadable checkpoint are never touched; nor are other agents'.
 * Returns what went, so the caller can forget those tasks too.
 */
export function collectSandboxes(options: { sandboxes: SandboxStore; instances: InstanceStore; agentId: string; nowMs: number; maxAgeMs: number; logger: Logger }): CollectedSandboxes {
  const { sandboxes, instances, agentId, nowMs, maxAgeMs, logger } = options;
  const cutoff = nowMs - maxAgeMs;
  const taskIds: string[] = [];
  const remaining = new Set<string>();
  for (const { taskId, checkpoint: cp } of sandboxes.list()) {
    const done = cp !== undefined && cp.agentId === agentId && cp.final !== undefined && cp.finalReported === true;
    if (done && Date.parse(cp.final!.timestamp) < cutoff) {
      sandboxes.remove(taskId);
      taskIds.push(taskId);
    } else {
      remaining.add(taskId);
    }
  }
  const instanceIds: string[] = [];
  for (const record of instances.list()) {
    if (record.agentId !== agentId || record.taskIds.some((id) => remaining.has(id))) continue;
    if (record.network !== undefined && record.releasedAt === undefined) continue;
    instances.remove(record.instanceId);
    instanceIds.push(record.instanceId);
  }
  if (taskIds.length + instanceIds.length > 0) logger.info({ sandboxes: taskIds.length, instances: instanceIds.length, olderThanHours: maxAgeMs / 3_600_000 }, "removed sandboxes of tasks that ended long ago");
  return { taskIds, instanceIds };
}
