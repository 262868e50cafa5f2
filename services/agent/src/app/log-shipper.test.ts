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
  const saves: LogOffsets[] = [];
  const published: TaskLogBatch[] = [];
  const ports = {
    listTasks: () => [...tasks],
    size: (taskId: string, stream: string) => (stream === "stdout" ? (stdout.get(taskId)?.length ?? 0) : 0),
    read: (taskId: string, _stream: string, start: number, length: number) => stdout.get(taskId)!.subarray(start, start + length),
    loadOffsets: (taskId: string) => offsets.get(taskId),
    saveOffsets: (taskId: string, o: LogOffsets) => {
      offsets.set(taskId, o);
      saves.push(structuredClone(o));
    },
    watch: () => () => undefined,
    publish: async (batch: TaskLogBatch) => void published.push(batch),
    rotate: () => undefined,
    logger: createLogger("log-shipper-test", { level: "silent" }),
    now: () => Date.now(),
  };
  return { tasks, stdout, offsets, saves, published, ports };
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
    assert.deepEqual(node.published.map((b) => [Buffer.from(b.block).toString(), b.lineCount]), [["first line\n", 1]]);
  } finally {
    await shipper.stop();
  }
});

test("while output streams, each batch costs one offsets write: the next batch's announcement carries the last one's offset", async () => {
  const node = fakeNode();
  const line = `${"x".repeat(99)}\n`;
  const text = line.repeat(6_000); // 600,000 bytes: three batches of at most 256 KiB
  node.tasks.push({ taskId: "web.1", instanceId: "i1", appId: "/web", ended: false });
  node.stdout.set("web.1", new TextEncoder().encode(text));
  const shipper = new LogShipper("a1", node.ports);
  shipper.start(60_000);
  try {
    await eventually("everything shipped", () => node.offsets.get("web.1")?.stdout.offset === text.length && !node.offsets.get("web.1")?.stdout.pending, 2_000);
  } finally {
    await shipper.stop();
  }
  assert.equal(node.published.length, 3);
  assert.equal(node.published.reduce((n, b) => n + b.lineCount, 0), 6_000);
  const stdout = node.saves.map((o) => o.stdout);
  assert.equal(stdout.length, 4, "three announcements and the final offset");
  for (const [i, s] of stdout.slice(0, 3).entries()) {
    assert.deepEqual(s.pending?.start, s.offset, `announcement ${i} starts at the offset it records`);
    assert.equal(s.offset, i === 0 ? 0 : stdout[i - 1]!.pending!.end, `announcement ${i} records the previous batch as shipped`);
  }
  assert.deepEqual(stdout[3], { offset: text.length });
});
