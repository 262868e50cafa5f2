import assert from "node:assert/strict";
import { test } from "node:test";
import { BlockCache } from "./block-cache.ts";
import type { LineSource } from "./log-query.ts";

const source = (taskId: string, stream = "stdout"): LineSource => ({ agentId: "ag", hostname: "h", appId: "/a", instanceId: "i", taskId, container: "", stream, component: "" });
const KIB = 1024;
/** A block in an ArrayBuffer of its own. */
const block = (bytes: number) => Buffer.from(new ArrayBuffer(bytes));
/** What an entry of a block of `bytes` (in a buffer of its own) is counted as: the block and 256 bytes for the entry. */
const cost = (bytes: number) => bytes + 256;

test("blocks are kept within the byte budget, the least recently used dropped first", () => {
  const cache = new BlockCache(3 * cost(KIB));
  cache.set(1n, source("t"), block(KIB));
  cache.set(2n, source("t"), block(KIB));
  cache.set(3n, source("t"), block(KIB));
  assert.ok(cache.get(1n), "1 is read: now the most recently used");
  cache.set(4n, source("t"), block(KIB));
  assert.equal(cache.get(2n), undefined, "2 was the least recently used");
  assert.deepEqual([1n, 3n, 4n].map((p) => cache.get(p)?.byteLength), [KIB, KIB, KIB]);
  assert.deepEqual(cache.stats, { bytes: 3 * cost(KIB), blocks: 3 });
  cache.set(3n, source("t"), block(2 * KIB));
  assert.deepEqual(cache.stats, { bytes: cost(KIB) + cost(2 * KIB), blocks: 2 }, "3 kept again, larger: 1, the least recently used, made room");
  assert.equal(cache.get(1n), undefined);
});

test("a block is counted as all the memory it keeps alive; a small view of a large buffer is kept as a copy; one too large or too small is not kept and pushes nothing out", () => {
  const cache = new BlockCache(3_000);
  cache.set(2n, source("t"), block(KIB));
  assert.deepEqual(cache.stats, { bytes: cost(KIB), blocks: 1 });
  cache.set(1n, source("t"), block(5_000).subarray(0, 1_100));
  assert.deepEqual(cache.stats, { bytes: cost(KIB), blocks: 1 }, "1,100 bytes of a 5,000-byte buffer hold 5,000: more than the budget, not kept, 2 stays");
  cache.set(5n, source("t"), block(1_000));
  assert.deepEqual(cache.stats, { bytes: cost(KIB), blocks: 1 }, "a block under 1 KiB is not kept");
  const big = new BlockCache(1 << 20);
  const view = Buffer.from(new ArrayBuffer(64 * KIB)).fill(7).subarray(0, 10 * KIB);
  big.set(3n, source("t"), view);
  assert.deepEqual(big.stats, { bytes: cost(10 * KIB), blocks: 1 }, "10 KiB of an unpacking's 64 KiB output buffer are kept as 10 KiB");
  assert.deepEqual(big.get(3n), view);
  assert.deepEqual(new BlockCache(0).positionsFor({}), []);
});

test("a selection is told the kept chunks of its sources, the newest 256 at most, and none that were dropped", () => {
  const cache = new BlockCache(1 << 20);
  cache.set(1n, source("a"), block(KIB));
  cache.set(2n, source("b"), block(KIB));
  cache.set(3n, source("a", "stderr"), block(KIB));
  assert.deepEqual(cache.positionsFor({ taskId: "a" }), [1n, 3n]);
  assert.deepEqual(cache.positionsFor({ taskId: "a", stream: "stdout" }), [1n]);
  assert.deepEqual(cache.positionsFor({ appId: "/a" }), [1n, 2n, 3n]);
  assert.deepEqual(cache.positionsFor({ component: "scheduler" }), []);
  for (let p = 309n; p >= 10n; p--) cache.set(p, source("c"), block(KIB));
  const named = cache.positionsFor({ taskId: "c" });
  assert.equal(named.length, 256);
  assert.deepEqual([named[0], named.at(-1)], [54n, 309n], "the newest positions, whatever order they were kept in");
  const small = new BlockCache(2 * cost(KIB));
  small.set(1n, source("a"), block(KIB));
  small.set(2n, source("b"), block(KIB));
  small.set(3n, source("a"), block(KIB));
  assert.deepEqual(small.positionsFor({}), [2n, 3n], "1 was dropped for 3");
  assert.deepEqual(small.positionsFor({ taskId: "a" }), [3n]);
});

test("a cache size must be a whole number of bytes", () => {
  assert.throws(() => new BlockCache(-1), /whole number of bytes/);
  assert.throws(() => new BlockCache(1.5), /whole number of bytes/);
});
