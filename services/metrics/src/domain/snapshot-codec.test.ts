import { test } from "node:test";
import assert from "node:assert/strict";
import { SeriesStore } from "./series-store.ts";
import { dimensionsKey, type Dimensions } from "./sample.ts";
import { decodeSnapshot, encodeSnapshot } from "./snapshot-codec.ts";
import { rangeOf } from "./range-query.ts";

const T0 = 1_764_000_000_000;
const d: Dimensions = { agentId: "a1", hostname: "h", appId: "/a", instanceId: "i", taskId: "t", containerName: "c", labels: { k: "v" } };

test("a snapshot restores every block, head, pending bucket and latest value, and the store keeps appending", () => {
  const store = new SeriesStore({ samplesPerChunk: 10, rawRetentionMs: 60_000, downsampleStepMs: 30_000 });
  const k = dimensionsKey(d);
  for (let i = 0; i < 45; i++) store.append(d, k, { name: "m", unit: "", kind: "gauge", scope: "container", tags: { gpu: "0" }, t: T0 + i * 5000, v: i * 1.5 }, T0);
  store.compact(T0 + 170_000);
  const before = rangeOf([...store.all()][0]!, { from: 0, to: Infinity, stepMs: 0 });
  const restored = new SeriesStore({ samplesPerChunk: 10, rawRetentionMs: 60_000, downsampleStepMs: 30_000 });
  assert.deepEqual(decodeSnapshot(Buffer.concat(encodeSnapshot(store, 42)), restored), { lastSeq: 42 });
  const s = [...restored.all()][0]!;
  assert.deepEqual(rangeOf(s, { from: 0, to: Infinity, stepMs: 0 }), before);
  assert.equal(restored.pooledHeads(), store.pooledHeads(), "restored open blocks live in the shared slots, as before the snapshot");
  assert.equal(s.lastV, 44 * 1.5);
  assert.equal(restored.select({ taskId: "t" }).length, 1);
  assert.equal(restored.append(d, k, { name: "m", unit: "", kind: "gauge", scope: "container", tags: { gpu: "0" }, t: T0 + 44 * 5000, v: 1 }, T0), "duplicate", "the restored series is found by its key");
  assert.equal(restored.append(d, k, { name: "m", unit: "", kind: "gauge", scope: "container", tags: { gpu: "0" }, t: T0 + 45 * 5000, v: 1 }, T0), "stored");
});

test("a torn or foreign file is refused with a reason", () => {
  const store = new SeriesStore();
  store.append(d, dimensionsKey(d), { name: "m", unit: "", kind: "gauge", scope: "node", tags: {}, t: T0, v: 1 }, T0);
  const bytes = Buffer.concat(encodeSnapshot(store, 1));
  assert.throws(() => decodeSnapshot(bytes.subarray(0, bytes.length - 3), new SeriesStore()), /truncated/);
  assert.throws(() => decodeSnapshot(Buffer.from("hello world, not a snapshot"), new SeriesStore()), /bad magic/);
});
