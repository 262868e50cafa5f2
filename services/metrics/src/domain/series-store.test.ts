import { test } from "node:test";
import assert from "node:assert/strict";
import { SeriesStore, type IncomingPoint } from "./series-store.ts";
import { dimensionsKey, type Dimensions } from "./sample.ts";
import { aggregateSeries, rangeOf, type PointColumns } from "./range-query.ts";

const dims = (taskId: string, appId = "/shop/web"): Dimensions => ({ agentId: "a1", hostname: "h1", appId, instanceId: `i-${taskId}`, taskId, containerName: "web", labels: { team: "x" } });
const point = (name: string, t: number, v: number, kind: "gauge" | "counter" = "gauge"): IncomingPoint => ({ name, unit: "bytes", kind, scope: "container", tags: {}, t, v });
const T0 = 1_764_000_000_000;
/** Columns as plain arrays, to compare. */
const cols = (p: PointColumns) => ({ timestamps: [...p.timestamps], values: [...p.values] });

test("stores samples per series, answers latest and ranges, and indexes by task, app and agent", () => {
  const store = new SeriesStore({ samplesPerChunk: 8 });
  for (const task of ["t1", "t2"]) {
    const d = dims(task);
    const k = dimensionsKey(d);
    for (let i = 0; i < 20; i++) assert.equal(store.append(d, k, point("mem.total", T0 + i * 1000, i * (task === "t1" ? 1 : 10)), T0), "stored");
  }
  assert.equal(store.stats.series, 2);
  const [t1] = store.select({ taskId: "t1" });
  assert.equal(t1!.lastV, 19);
  assert.equal(t1!.raw.length, 2, "two full blocks of 8 closed, 4 in the head");
  assert.deepEqual(cols(rangeOf(t1!, { from: T0 + 5000, to: T0 + 9000, stepMs: 0 })), { timestamps: [5000, 6000, 7000, 8000, 9000].map((d) => T0 + d), values: [5, 6, 7, 8, 9] });
  assert.equal(store.select({ appId: "/shop/web" }).length, 2);
  assert.equal(store.select({ agentId: "a1", names: ["other"] }).length, 0);
  assert.deepEqual(store.tasks("a1").map((d) => d.taskId).sort(), ["t1", "t2"]);
  const [sum] = aggregateSeries(store.select({ appId: "/shop/web" }), { from: T0, to: T0 + 19_000, stepMs: 10_000 }, "sum");
  // Step 0–9 s: t1 averages 4.5, t2 45; 10–19 s: 14.5 and 145.
  assert.deepEqual(cols(sum!.points), { timestamps: [T0, T0 + 10_000], values: [49.5, 159.5] });
  assert.equal(sum!.sources, 2);
});

test("a redelivered sample is stored once and an older one is refused", () => {
  const store = new SeriesStore();
  const d = dims("t1");
  const k = dimensionsKey(d);
  assert.equal(store.append(d, k, point("m", T0, 1), T0), "stored");
  assert.equal(store.append(d, k, point("m", T0, 1), T0), "duplicate");
  assert.equal(store.append(d, k, point("m", T0 - 1, 1), T0), "out-of-order");
  assert.equal(store.append(d, k, point("m", T0 - 25 * 3_600_000, 1), T0), "too-old");
  assert.equal(store.sampleCount(), 1);
});

test("the series limit refuses new series, not samples of known ones", () => {
  const store = new SeriesStore({ maxSeries: 2 });
  const d = dims("t1");
  const k = dimensionsKey(d);
  store.append(d, k, point("a", T0, 1), T0);
  store.append(d, k, point("b", T0, 1), T0);
  assert.equal(store.append(d, k, point("c", T0, 1), T0), "series-limit");
  assert.equal(store.append(d, k, point("a", T0 + 1, 1), T0), "stored");
  assert.equal(store.stats.refusedSeries, 1);
});

test("compaction downsamples data past the raw horizon to step averages (last for counters) and forgets series past the age limit", () => {
  const store = new SeriesStore({ samplesPerChunk: 30, rawRetentionMs: 600_000, downsampleStepMs: 60_000, maxAgeMs: 3_600_000 });
  const d = dims("t1");
  const k = dimensionsKey(d);
  // 20 minutes at 10 s: values 0..119.
  for (let i = 0; i < 120; i++) {
    store.append(d, k, point("g", T0 + i * 10_000, i), T0);
    store.append(d, k, point("c", T0 + i * 10_000, i, "counter"), T0);
  }
  const [g] = store.select({ names: ["g"] });
  const before = g!.sampleCount();
  store.compact(T0 + 20 * 60_000); // raw horizon at minute 10: the first 60 samples (two blocks) go
  assert.ok(g!.sampleCount() < before);
  const pts = cols(rangeOf(g!, { from: T0, to: T0 + 20 * 60_000, stepMs: 0 }));
  // Minutes 0..9 averaged (0..5 → 2.5, 6..11 → 8.5, …), then raw samples from minute 10.
  assert.deepEqual([pts.timestamps.slice(0, 2), pts.values.slice(0, 2)], [[T0, T0 + 60_000], [2.5, 8.5]]);
  assert.deepEqual([pts.timestamps[10], pts.values[10]], [T0 + 600_000, 60]);
  // Stepped over downsampled blocks, the pending bucket and raw blocks: one point a minute, none lost.
  const minutes = cols(rangeOf(g!, { from: T0, to: T0 + 20 * 60_000, stepMs: 60_000 }));
  assert.deepEqual(minutes.timestamps, Array.from({ length: 20 }, (_, m) => T0 + m * 60_000));
  assert.deepEqual(minutes.values.slice(9, 11), [56.5, 62.5], "minute 9 (downsampled) and 10 (raw: 60..65)");
  const [c] = store.select({ names: ["c"] });
  assert.deepEqual(cols(rangeOf(c!, { from: T0, to: T0 + 60_000, stepMs: 0 })), { timestamps: [T0, T0 + 60_000], values: [5, 11] });
  assert.equal(store.compact(T0 + 3 * 3_600_000), 2, "both series are older than the age limit");
  assert.equal(store.stats.series, 0);
  assert.equal(store.select({ taskId: "t1" }).length, 0);
});

test("a typical node series stays under 2 bytes per sample", () => {
  const store = new SeriesStore();
  const d = dims("t1");
  const k = dimensionsKey(d);
  let mem = 512 * 1024 * 1024;
  for (let i = 0; i < 360; i++) {
    if (i % 7 === 0) mem += 4096;
    store.append(d, k, point("mem", T0 + i * 10_000, mem), T0);
    store.append(d, k, point("limit", T0 + i * 10_000, 1024 * 1024 * 1024), T0);
  }
  store.compact(T0); // nothing to compact; closes nothing
  const bytes = [...store.all()].reduce((n, s) => n + s.raw.reduce((m, c) => m + c.bytes.length, 0), 0);
  const samples = [...store.all()].reduce((n, s) => n + s.raw.reduce((m, c) => m + c.count, 0), 0);
  assert.ok(bytes / samples < 2, `${(bytes / samples).toFixed(2)} bytes/sample`);
});

test("open blocks live in pooled slots: closing a block or forgetting a series gives its slot back, and a reused slot leaves other blocks intact", () => {
  const store = new SeriesStore({ samplesPerChunk: 8, maxAgeMs: 3_600_000 });
  const a = dims("a");
  const b = dims("b");
  for (let i = 0; i < 12; i++) store.append(a, dimensionsKey(a), point("m", T0 + i * 1000, 1), T0); // constant: fits its 24-byte slot
  assert.equal(store.pooledHeads(), 1, "one open block (4 samples); the closed one was copied out of its slot");
  for (let i = 0; i < 3; i++) store.append(b, dimensionsKey(b), point("m", T0 + i * 1000, 2), T0);
  assert.equal(store.pooledHeads(), 2);
  // Both are forgotten (nothing newer than the age limit); a new series takes a slot they gave back.
  store.compact(T0 + 3_600_000 + 20_000);
  assert.equal(store.stats.series, 0, "both older than the age limit");
  assert.equal(store.pooledHeads(), 0, "every slot given back");
  const c = dims("c");
  store.append(c, dimensionsKey(c), point("m", T0 + 4_000_000, 100), T0 + 4_000_000);
  assert.equal(store.pooledHeads(), 1, "a reused slot");
  for (let i = 1; i < 20; i++) store.append(c, dimensionsKey(c), point("m", T0 + 4_000_000 + i * 1000, 100 + i * 0.1), T0 + 4_000_000);
  const [sc] = store.select({ taskId: "c" });
  assert.deepEqual([...rangeOf(sc!, { from: 0, to: Infinity, stepMs: 0 }).values], Array.from({ length: 20 }, (_, i) => 100 + i * 0.1), "blocks written through reused slots (and grown out of them) decode whole");
});
