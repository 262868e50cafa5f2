/**
 * The log store's block cache against the real PostgreSQL: chunks read again are answered from
 * the cache (PostgreSQL leaves their blocks out: a block changed underneath is not seen), and a
 * block the cache dropped while the statement ran is fetched apart, never lost from the answer.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { logsV1 } from "@gantry/proto";
import { createLogger, type Database } from "@gantry/platform";
import { createTestDatabase, type TestDatabase } from "@gantry/platform/testing";
import { BlockCache } from "../domain/block-cache.ts";
import { chunksOfBatch, type LineRun } from "../domain/log-chunk.ts";
import type { LogSelection } from "../domain/log-query.ts";
import { openLogsDatabase } from "./logs-database.postgres.ts";
import { PartitionKeeper } from "./partition-keeper.postgres.ts";
import { LogStore } from "./log-store.postgres.ts";

const DAY = 86_400_000;
let testDb: TestDatabase;
let database: Database;
let partitions: PartitionKeeper;

before(async () => {
  testDb = await createTestDatabase("logs_cache");
  database = await openLogsDatabase(testDb.url, { max: 2 });
  partitions = new PartitionKeeper(database.pool, { intervalMs: DAY, retentionMs: 7 * DAY, ahead: 2 }, createLogger("logs-cache-test", { level: "silent" }));
  await partitions.maintain(Date.now());
  const store = new LogStore(database.pool, partitions, new BlockCache(0));
  const now = BigInt(Date.now()) * 1000n;
  for (const [seq, taskId] of [[1, "t1"], [2, "t2"]] as const) {
    const checked = chunksOfBatch(seq, create(logsV1.LogBatchSchema, { agentId: "ag", hostname: "h", chunks: [{ taskId, appId: "/a", stream: "stdout", timesUnixMicros: [now], texts: ["a", "b", "c"].map((l) => `${taskId} ${l} ${PAD}`) }] }));
    assert.ok(checked.ok);
    await store.storeBatches([{ seq, chunks: checked.chunks }]);
  }
});

after(async () => {
  await database?.close();
  await testDb?.drop();
});

/** Lines long enough that a chunk's unpacked block is worth keeping (the cache passes over blocks under 1 KiB). */
const PAD = "x".repeat(500);
/** Each line's text without its padding. */
const texts = (runs: LineRun[]) => runs.flatMap((r) => Buffer.concat(r.texts).toString("utf8").split("\n").slice(0, -1)).map((t) => t.replace(` ${PAD}`, ""));
const lastTwo = (store: LogStore, selection: LogSelection) => store.query({ selection, skipPrev: 2, limit: 0 });

test("a chunk read again is answered from the cache: PostgreSQL's copy of its block is not read", async () => {
  const store = new LogStore(database.pool, partitions, new BlockCache(1 << 20));
  assert.deepEqual(texts(await lastTwo(store, { taskId: "t1" })), ["t1 b", "t1 c"]);
  const { rowCount } = await database.pool.query("UPDATE log_chunks SET block = '\\x00'::bytea, codec = 2 WHERE task_id = 't1'");
  assert.equal(rowCount, 1);
  try {
    assert.deepEqual(texts(await lastTwo(store, { taskId: "t1" })), ["t1 b", "t1 c"], "from the cache");
    assert.deepEqual(texts(await store.query({ selection: { appId: "/a" }, skipPrev: 0, limit: 100 })), ["t1 a", "t1 b", "t1 c", "t2 a", "t2 b", "t2 c"], "t1's block from the cache, t2's from PostgreSQL");
    await assert.rejects(lastTwo(new LogStore(database.pool, partitions, new BlockCache(0)), { taskId: "t1" }), "without a cache the block read is the broken one");
  } finally {
    await database.pool.query("DELETE FROM log_chunks WHERE task_id = 't1'");
  }
});

/** A cache that drops everything once it has named a selection's chunks: as when other queries' blocks push them out while the statement runs. */
class DropsWhileInFlight extends BlockCache {
  dropped = 0;
  #dropping = false;
  override positionsFor(selection: LogSelection): bigint[] {
    const named = super.positionsFor(selection);
    this.#dropping = named.length > 0;
    return named;
  }
  override get(firstPos: bigint): Buffer | undefined {
    if (!this.#dropping) return super.get(firstPos);
    this.dropped++;
    return undefined;
  }
  override set(firstPos: bigint, ...rest: Parameters<BlockCache["set"]> extends [bigint, ...infer R] ? R : never): void {
    this.#dropping = false;
    super.set(firstPos, ...rest);
  }
}

test("a block the cache dropped while the statement ran is fetched apart: no line is missing", async () => {
  const cache = new DropsWhileInFlight(1 << 20);
  const store = new LogStore(database.pool, partitions, cache);
  assert.deepEqual(texts(await lastTwo(store, { taskId: "t2" })), ["t2 b", "t2 c"]);
  assert.equal(cache.dropped, 0);
  assert.deepEqual(texts(await lastTwo(store, { taskId: "t2" })), ["t2 b", "t2 c"]);
  assert.ok(cache.dropped > 0, "the second read found its chunk named but gone");
});

/** A cache that hands each block out once, then loses it: as when another query's blocks push it out the moment after. */
class LosesWhatItHandsOut extends BlockCache {
  override get(firstPos: bigint): Buffer | undefined {
    const block = super.get(firstPos);
    if (block !== undefined) this.set(firstPos, { agentId: "", hostname: "", appId: "", instanceId: "", taskId: "", container: "", stream: "", component: "" }, Buffer.alloc(2 << 20));
    return block;
  }
}

test("a cached block is taken once, before any wait: pushed out right after, its lines are still answered", async () => {
  const store = new LogStore(database.pool, partitions, new LosesWhatItHandsOut(1 << 20));
  assert.deepEqual(texts(await lastTwo(store, { taskId: "t2" })), ["t2 b", "t2 c"]);
  assert.deepEqual(texts(await lastTwo(store, { taskId: "t2" })), ["t2 b", "t2 c"]);
});
