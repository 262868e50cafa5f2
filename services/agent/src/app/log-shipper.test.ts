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
  /** Checkpoints read (`taskOf`), by task id. */
  const looks: string[] = [];
  const ports = {
    taskIds: () => tasks.map((t) => t.taskId),
    taskOf: (taskId: string) => {
      looks.push(taskId);
      return tasks.find((t) => t.taskId === taskId);
    },
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
  return { tasks, stdout, offsets, saves, published, looks, ports };
}

test("a task that starts between periodic rescans is followed as soon as it reports a status (taskChanged), not at the next rescan", async () => {
  const node = fakeNode();
  const shipper = new LogShipper("a1", node.ports);
  shipper.start(60_000);
  try {
    node.tasks.push({ taskId: "web.1", instanceId: "i1", appId: "/web", ended: false });
    node.stdout.set("web.1", new TextEncoder().encode("first line\n"));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(node.published.length, 0, "not found before anything asks (the periodic rescan is a minute away)");
    node.looks.length = 0;
    shipper.taskChanged("web.1");
    shipper.taskChanged("web.1");
    await eventually("the new task's first line shipped", () => node.published.length > 0, 1_000);
    assert.deepEqual(node.looks, ["web.1"], "two changes in a burst share one look");
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

test("a status change reads that task's checkpoint alone, and a task whose output was all shipped is never read again", async () => {
  const node = fakeNode();
  for (let i = 1; i <= 50; i++) node.tasks.push({ taskId: `old.${i}`, instanceId: `o${i}`, appId: "/old", ended: true });
  for (let i = 1; i <= 50; i++) node.stdout.set(`old.${i}`, new TextEncoder().encode(`bye ${i}\n`));
  node.tasks.push({ taskId: "live.1", instanceId: "l1", appId: "/live", ended: false });
  node.stdout.set("live.1", new TextEncoder().encode("still here\n"));
  const shipper = new LogShipper("a1", node.ports);
  shipper.start(60_000);
  try {
    await eventually("the ended tasks' output shipped and marked done", () => [...node.offsets.values()].filter((o) => o.done).length === 50, 2_000);
    node.looks.length = 0;
    shipper.rescan();
    assert.deepEqual(node.looks, ["live.1"], "a rescan reads the checkpoints of running tasks alone, none of a task that is done");
    node.looks.length = 0;
    node.tasks.push({ taskId: "web.1", instanceId: "i1", appId: "/web", ended: false });
    node.stdout.set("web.1", new TextEncoder().encode("hello\n"));
    shipper.taskChanged("web.1");
    await eventually("the new task's line shipped", () => node.published.some((b) => b.task.taskId === "web.1"), 1_000);
    assert.deepEqual(node.looks, ["web.1"], "the status change read that task's checkpoint and no other");
  } finally {
    await shipper.stop();
  }
});
