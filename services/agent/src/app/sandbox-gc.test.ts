import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@gantry/platform/logging";
import { fsInstanceStore } from "../adapters/instance-store.fs.ts";
import { fsSandboxStore } from "../adapters/sandbox-store.fs.ts";
import type { TaskCheckpoint } from "../domain/index.ts";
import { collectSandboxes } from "./sandbox-gc.ts";

const DAY = 86_400_000;
const NOW = Date.parse("2026-06-15T00:00:00.000Z");
const logger = createLogger("sandbox-gc-test", { level: "silent" });

function checkpoint(taskId: string, over: Partial<TaskCheckpoint> & { endedDaysAgo?: number } = {}): TaskCheckpoint {
  const { endedDaysAgo, ...rest } = over;
  return {
    version: 1,
    taskId,
    instanceId: taskId,
    appId: "/a",
    appVersion: "v",
    agentId: "a1",
    pid: 10,
    pgid: 10,
    startTicks: 1,
    startedAt: new Date(NOW - 30 * DAY).toISOString(),
    killGraceMs: 1000,
    gpuIndices: [],
    assignedPorts: [],
    cgroupDirs: [],
    ...(endedDaysAgo === undefined
      ? {}
      : { final: { state: 4, message: "exited with code 0", exitCode: 0, signal: "", reason: "", timestamp: new Date(NOW - endedDaysAgo * DAY).toISOString(), updateId: "u" }, finalReported: true }),
    ...rest,
  };
}

describe("collectSandboxes", () => {
  it("removes sandboxes of tasks whose acknowledged end is older than the limit, and instance directories nothing of which is left; nothing else", () => {
    const workDir = mkdtempSync(join(tmpdir(), "gantry-gc-"));
    try {
      const sandboxes = fsSandboxStore(workDir);
      const instances = fsInstanceStore(workDir);
      const write = (cp: TaskCheckpoint) => {
        sandboxes.prepare(cp.taskId);
        writeFileSync(join(workDir, "sandboxes", cp.taskId, "stdout"), "output");
        sandboxes.writeCheckpoint(cp);
      };
      write(checkpoint("old.1", { endedDaysAgo: 8 }));
      write(checkpoint("old.2", { endedDaysAgo: 8, instanceId: "pod.1" }));
      write(checkpoint("unreported.1", { endedDaysAgo: 8, finalReported: false }));
      write(checkpoint("recent.1", { endedDaysAgo: 1 }));
      write(checkpoint("running.1"));
      write(checkpoint("other.1", { endedDaysAgo: 8, agentId: "a2" }));
      mkdirSync(join(workDir, "sandboxes", "unreadable.1", ".gantry"), { recursive: true });
      writeFileSync(join(workDir, "sandboxes", "unreadable.1", ".gantry", "checkpoint.json"), "{");
      // Instances: all its tasks gone and its network released → removed; a task left, or a network still attached → kept.
      instances.write({ version: 1, instanceId: "pod.1", agentId: "a1", taskIds: ["old.2"], network: { name: "dcos", netnsName: "n1", portMappings: [] }, releasedAt: new Date(NOW - 8 * DAY).toISOString() });
      instances.volumeDir("pod.1", "shared");
      instances.write({ version: 1, instanceId: "pod.2", agentId: "a1", taskIds: ["old.1", "running.1"] });
      instances.write({ version: 1, instanceId: "pod.3", agentId: "a1", taskIds: ["gone.9"], network: { name: "dcos", netnsName: "n3", portMappings: [] } });

      const collected = collectSandboxes({ sandboxes, instances, agentId: "a1", nowMs: NOW, maxAgeMs: 7 * DAY, logger });
      assert.deepEqual(collected.taskIds.sort(), ["old.1", "old.2"]);
      assert.deepEqual(collected.instanceIds, ["pod.1"]);
      const left = (dir: string, id: string) => existsSync(join(workDir, dir, id));
      assert.deepEqual(["old.1", "old.2"].map((id) => left("sandboxes", id)), [false, false]);
      assert.deepEqual(["unreported.1", "recent.1", "running.1", "other.1", "unreadable.1"].map((id) => left("sandboxes", id)), [true, true, true, true, true]);
      assert.deepEqual(["pod.1", "pod.2", "pod.3"].map((id) => left("instances", id)), [false, true, true]);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
