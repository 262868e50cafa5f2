import assert from "node:assert/strict";
import { test } from "node:test";
import { BlockCache } from "./block-cache.ts";
import type { LineSource } from "./log-query.ts";

const source = (taskId: string, stream = "stdout"): LineSource => ({ agentId: "ag", hostname: "h", appId: "/a", instanceId: "i", taskId, container: "", stream, component: "" });
const block = (bytes: number) => Buffer.from(new ArrayBuffer(bytes));

test("blocks are kept within the byte budget, the least recently used dropped first", () => {
  const cache = new BlockCache(300);
  cache.set(1n, source("t"), block(100));
  cache.set(2n, source("t"), block(100));
  cache.set(3n, source("t"), block(100));
  assert.ok(cache.get(1n), "1 is read: now the most recently used");
  cache.set(4n, source("t"), block(100));
  assert.equal(cache.get(2n), undefined, "2 was the least recently used");
  assert.deepEqual([1n, 3n, 4n].map((p) => cache.get(p)?.byteLength), [100, 100, 100]);
  assert.deepEqual(cache.stats, { bytes: 300, blocks: 3 });
  cache.set(3n, source("t"), block(50));
  assert.deepEqual(cache.stats, { bytes: 250, blocks: 3 }, "a block kept again replaces the old one");
});

test("a block is counted as all the memory it keeps alive, a small view of a large buffer is kept as a copy, one above the budget is not kept", () => {
  const cache = new BlockCache(300);
  cache.set(1n, source("t"), block(1_000).subarray(0, 10));
  assert.deepEqual(cache.stats, { bytes: 0, blocks: 0 }, "10 bytes of a 1,000-byte buffer hold 1,000");
  cache.set(2n, source("t"), block(200).subarray(0, 10));
  assert.deepEqual(cache.stats, { bytes: 200, blocks: 1 });
  const big = new BlockCache(1 << 20);
  const view = Buffer.from(new ArrayBuffer(128 * 1024)).fill(7).subarray(0, 100);
  big.set(3n, source("t"), view);
  assert.deepEqual(big.stats, { bytes: 100, blocks: 1 }, "a 100-byte view of Zstandard's 128 KB output buffer is kept as 100 bytes");
  assert.deepEqual(big.get(3n), view);
  assert.deepEqual(new BlockCache(0).positionsFor({}), []);
});

test("a selection is told the kept chunks of its sources, the newest 256 at most, and none that were dropped", () => {
  const cache = new BlockCache(1 << 20);
  cache.set(1n, source("a"), block(10));
  cache.set(2n, source("b"), block(10));
  cache.set(3n, source("a", "stderr"), block(10));
  assert.deepEqual(cache.positionsFor({ taskId: "a" }), [1n, 3n]);
  assert.deepEqual(cache.positionsFor({ taskId: "a", stream: "stdout" }), [1n]);
  assert.deepEqual(cache.positionsFor({ appId: "/a" }), [1n, 2n, 3n]);
  assert.deepEqual(cache.positionsFor({ component: "scheduler" }), []);
  for (let p = 10n; p < 310n; p++) cache.set(p, source("c"), block(10));
  const named = cache.positionsFor({ taskId: "c" });
  assert.equal(named.length, 256);
  assert.deepEqual([named[0], named.at(-1)], [309n, 54n]);
  const small = new BlockCache(20);
  small.set(1n, source("a"), block(10));
  small.set(2n, source("b"), block(10));
  small.set(3n, source("a"), block(10));
  assert.deepEqual(small.positionsFor({}), [3n, 2n], "1 was dropped for 3");
  assert.deepEqual(small.positionsFor({ taskId: "a" }), [3n]);
});

test("a cache size must be a whole number of bytes", () => {
  assert.throws(() => new BlockCache(-1), /whole number of bytes/);
  assert.throws(() => new BlockCache(1.5), /whole number of bytes/);
});
