import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "@gantry/platform/logging";
import { eventually } from "@gantry/platform/testing";
import { LogShipper, type LogOffsets, type ShippableTask, type TaskLogBatch } from "./log-shipper.ts";

/** A node with tasks whose stdout is held in memory; publishes are recorded. */
function fakeNode() {
  const tasks: ShippableTask[] = [];
  const stdout = new Map<string, Uint8Array>();
  const offsets = new Map<string, LogOffsets>();
  const published: TaskLogBatch[] = [];
  const ports = {
    listTasks: () => [...tasks],
    size: (taskId: string, stream: string) => (stream === "stdout" ? (stdout.get(taskId)?.length ?? 0) : 0),
    read: (taskId: string, _stream: string, start: number, length: number) => stdout.get(taskId)!.subarray(start, start + length),
    loadOffsets: (taskId: string) => offsets.get(taskId),
    saveOffsets: (taskId: string, o: LogOffsets) => void offsets.set(taskId, o),
    watch: () => () => undefined,
    publish: async (batch: TaskLogBatch) => void published.push(batch),
    rotate: () => undefined,
    logger: createLogger("log-shipper-test", { level: "silent" }),
    now: () => Date.now(),
  };
  return { tasks, stdout, published, ports };
}

test("a task that starts between periodic rescans is followed as soon as it is reported (rescanSoon), not at the next rescan", async () => {
  const node = fakeNode();
  const shipper = new LogShipper("a1", node.ports);
  shipper.start(60_000);
  try {
    node.tasks.push({ taskId: "web.1", instanceId: "i1", appId: "/web", ended: false });
    node.stdout.set("web.1", new TextEncoder().encode("first line\n"));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(node.published.length, 0, "not found before anything asks (the periodic rescan is a minute away)");
    shipper.rescanSoon();
    shipper.rescanSoon();
    await eventually("the new task's first line shipped", () => node.published.length > 0, 1_000);
    assert.deepEqual(node.published.flatMap((b) => b.lines), ["first line"]);
  } finally {
    await shipper.stop();
  }
});
