/**
 * Migration 0003 (one row per line → one row per chunk) against the real PostgreSQL: lines stored
 * by the line table are converted, in the partitions they had, and read back through the store
 * with the same positions (cursors handed out before the upgrade stay valid), times, levels and
 * texts; the line tables are gone.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createLogger, openDatabase, type Database } from "@gantry/platform";
import { createTestDatabase, type TestDatabase } from "@gantry/platform/testing";
import { positionOf } from "../domain/log-position.ts";
import type { LineRun } from "../domain/log-chunk.ts";
import { migrateLogsDatabase } from "./logs-schema.postgres.ts";
import { PartitionKeeper } from "./partition-keeper.postgres.ts";
import { LogStore } from "./log-store.postgres.ts";
import { BlockCache } from "../domain/block-cache.ts";

let testDb: TestDatabase;
let database: Database;

before(async () => {
  testDb = await createTestDatabase("logs_schema");
  database = openDatabase(testDb.url, { max: 2 });
});

after(async () => {
  await database?.close();
  await testDb?.drop();
});

test("0003 converts stored lines into chunks that answer exactly as the lines did", async () => {
  await migrateLogsDatabase(database.db, "0002_agent_index_own_lines_only");
  const day = 86_400_000;
  const start = Math.floor(Date.now() / day) * day;
  const { pool } = database;
  await pool.query(`CREATE TABLE log_lines_p_today PARTITION OF log_lines FOR VALUES FROM ('${new Date(start).toISOString()}') TO ('${new Date(start + day).toISOString()}')`);
  const t = (ms: number) => new Date(start + ms).toISOString();
  const rows = [
    // batch 5: three lines of task t1, then two component lines with their own times and levels
    [positionOf(5, 0), t(1_000), "ag", "h", "/a", "i1", "t1", "", "stdout", "", 0, "first"],
    [positionOf(5, 1), t(1_000), "ag", "h", "/a", "i1", "t1", "", "stdout", "", 0, "second\nhalf"],
    [positionOf(5, 2), t(1_000), "ag", "h", "/a", "i1", "t1", "", "stdout", "", 0, ""],
    [positionOf(5, 3), t(2_000), "ag", "h", "", "", "", "", "log", "scheduler", 30, "placed"],
    [positionOf(5, 4), t(3_000), "ag", "h", "", "", "", "", "log", "scheduler", 50, "failed"],
    // batch 6: the line at index 1 was never stored (expired): two runs
    [positionOf(6, 0), t(4_000), "ag", "h", "/a", "i1", "t1", "", "stdout", "", 0, "third"],
    [positionOf(6, 2), t(4_000), "ag", "h", "/a", "i1", "t1", "", "stdout", "", 0, "fourth"],
  ];
  for (const r of rows) await pool.query("INSERT INTO log_lines VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)", [String(r[0]), ...r.slice(1)]);
  await pool.query("INSERT INTO log_batches (seq, lines) VALUES (5, 5), (6, 2)");

  await migrateLogsDatabase(database.db);

  const tables = (await pool.query<{ name: string }>("SELECT relname AS name FROM pg_class WHERE relname LIKE 'log\\_%' AND relkind IN ('r', 'p') ORDER BY 1")).rows.map((r) => r.name);
  assert.deepEqual(tables, ["log_chunks", "log_chunks_p_today"]);
  const chunks = await pool.query<{ first_pos: string; line_count: number }>("SELECT first_pos::text, line_count FROM log_chunks ORDER BY first_pos");
  assert.deepEqual(chunks.rows.map((r) => [r.first_pos, r.line_count]), [[String(positionOf(5, 0)), 3], [String(positionOf(5, 3)), 2], [String(positionOf(6, 0)), 1], [String(positionOf(6, 2)), 1]]);

  const keeper = new PartitionKeeper(pool, { intervalMs: day, retentionMs: 7 * day, ahead: 2 }, createLogger("logs-schema-test", { level: "silent" }));
  const store = new LogStore(pool, keeper, new BlockCache(1 << 20));
  // Each line of the answer's runs: [position, text, time µs, level, source].
  const lines = (runs: LineRun[]) =>
    runs.flatMap((r) => Buffer.concat(r.texts).toString("utf8").split("\n").slice(0, -1).map((text, i) => ({ pos: BigInt(r.positions[i]!), text, timeMicros: BigInt(r.times[i]!), level: r.levels[i]!, source: r.source })));
  const task = lines(await store.query({ selection: { taskId: "t1" }, skipPrev: 0, limit: 100 }));
  assert.deepEqual(task.map((l) => [l.pos, l.text, l.timeMicros]), [
    [positionOf(5, 0), "first", BigInt(start + 1_000) * 1000n],
    [positionOf(5, 1), "second\u2424half", BigInt(start + 1_000) * 1000n],
    [positionOf(5, 2), "", BigInt(start + 1_000) * 1000n],
    [positionOf(6, 0), "third", BigInt(start + 4_000) * 1000n],
    [positionOf(6, 2), "fourth", BigInt(start + 4_000) * 1000n],
  ]);
  assert.deepEqual(task.map(({ source: s }) => [s.appId, s.instanceId, s.agentId, s.hostname, s.stream]).at(0), ["/a", "i1", "ag", "h", "stdout"]);
  const component = lines(await store.query({ selection: { component: "scheduler" }, skipPrev: 0, limit: 100 }));
  assert.deepEqual(component.map((l) => [l.text, l.level, l.timeMicros]), [["placed", 30, BigInt(start + 2_000) * 1000n], ["failed", 50, BigInt(start + 3_000) * 1000n]]);
  assert.deepEqual(lines(await store.query({ selection: { taskId: "t1" }, after: positionOf(5, 2), skipPrev: 0, limit: 100 })).map((l) => l.text), ["third", "fourth"], "a cursor from before the upgrade");
});
