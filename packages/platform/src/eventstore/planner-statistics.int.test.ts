import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { createLogger } from "../logging/index.ts";
import { within } from "../testing/index.ts";
import { APPEND_SQL } from "./append.sql.ts";
import { createEventStoreFixture, type EventStoreFixture } from "./event-store.test-fixture.ts";
import { analyzeStaleTables, HOT_TABLES, keepPlannerStatistics } from "./planner-statistics.ts";

const STREAMS = 20_000;
const ANALYZE_LOCK = `hashtextextended('gantry.analyze', 0)`;

/** APPEND_SQL's parameters as SQL literals: 10 existing task streams at `version`, one event each. */
function appendArguments(first: number, version: number): string {
  const ids = Array.from({ length: 10 }, (_, i) => `task-${first + i}`);
  const events = JSON.stringify(ids.map((_, i) => ({ s: i + 1, o: 1, t: "InstancePlaced", v: 1, d: {}, m: {} })));
  const array = (xs: (string | number)[]) => `'{${xs.join(",")}}'`;
  return `${array(ids)}, ${array(ids.map(() => "task"))}, ${array(ids.map(() => version))}, ${array(ids.map(() => 1))}, '${events}', 'chan'`;
}

/** Until the server's statistics count `rows` live rows in `table` (backends report their counts when idle, up to seconds later unless forced). */
async function untilRows(pool: pg.Pool, table: string, rows: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { rows: found } = await pool.query<{ n: string }>("SELECT n_live_tup AS n FROM pg_stat_user_tables WHERE relname = $1 AND schemaname = current_schema()", [table]);
    if (Number(found[0]?.n ?? 0) >= rows) return;
    assert.ok(Date.now() < deadline, `the statistics did not count ${rows} rows of ${table} within 15 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Adds the streams `<prefix>-<from>` … `<prefix>-<to>` on `client`, then waits until the
 * statistics count `total` streams (the writing backend is asked to report at once).
 */
async function addStreams(pool: pg.Pool, client: pg.PoolClient, prefix: string, from: number, to: number, total: number): Promise<void> {
  await client.query(`INSERT INTO streams (stream_id, stream_type, version) SELECT '${prefix}-' || g, '${prefix}', 1 FROM generate_series(${from}, ${to}) g`);
  await client.query("SELECT pg_stat_force_next_flush()");
  await untilRows(pool, "streams", total);
}

async function appendPlan(client: pg.PoolClient): Promise<string> {
  const { rows } = await client.query(`EXPLAIN EXECUTE append_under_test(${appendArguments(1, 1)})`);
  return rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join("\n");
}

describe("planner statistics of the log", () => {
  let fx: EventStoreFixture;
  before(async () => {
    fx = await createEventStoreFixture("es_stats");
    // Autovacuum (where it is on) must not analyze behind the test's back.
    await fx.pool.query("ALTER TABLE streams SET (autovacuum_enabled = false); ALTER TABLE events SET (autovacuum_enabled = false)");
  });
  after(async () => {
    await fx.close();
  });

  test("a plan cached while the streams table was small uses its index once the keeper analyzed the grown table", async () => {
    const client = await fx.pool.connect();
    try {
      await client.query(`PREPARE append_under_test(text[], text[], int[], int[], text, text) AS ${APPEND_SQL}`);
      // The first executions, on a table of a few streams, settle the statement's generic plan.
      await client.query(`INSERT INTO streams (stream_id, stream_type, version) SELECT 'task-' || g, 'task', 1 FROM generate_series(1, 10) g`);
      for (let i = 0; i < 8; i++) {
        await client.query("BEGIN");
        await client.query(`EXECUTE append_under_test(${appendArguments(1, 1)})`);
        await client.query("ROLLBACK");
      }
      await addStreams(fx.pool, client, "task", 11, STREAMS, STREAMS);
      assert.match(await appendPlan(client), /Seq Scan on streams/, "the plan made on the small table scans the whole grown table");

      assert.deepEqual(await analyzeStaleTables(fx.pool, HOT_TABLES), ["streams"], "the grown table is stale; events are still empty");
      const plan = await appendPlan(client);
      assert.doesNotMatch(plan, /Seq Scan on streams/);
      assert.match(plan, /Index Scan using streams_pkey|Bitmap Index Scan on streams_pkey/);
      assert.deepEqual(await analyzeStaleTables(fx.pool, HOT_TABLES), [], "fresh statistics are left alone");
    } finally {
      await client.query("DEALLOCATE append_under_test").catch(() => undefined);
      client.release();
    }
  });

  test("while another keeper holds the lock, a round analyzes nothing; the tables stay stale for the next round", async () => {
    const other = await fx.pool.connect();
    try {
      await addStreams(fx.pool, other, "held", 1, 3 * STREAMS, 4 * STREAMS);
      await other.query(`SELECT pg_advisory_lock(${ANALYZE_LOCK})`);
      try {
        assert.deepEqual(await analyzeStaleTables(fx.pool, HOT_TABLES), []);
      } finally {
        await other.query(`SELECT pg_advisory_unlock(${ANALYZE_LOCK})`);
      }
      assert.deepEqual(await analyzeStaleTables(fx.pool, HOT_TABLES), ["streams"]);
    } finally {
      other.release();
    }
  });

  test("a table another maintenance command holds is skipped, not waited for (a stop never waits behind a VACUUM)", async () => {
    const holder = await fx.pool.connect();
    try {
      await addStreams(fx.pool, holder, "vacuumed", 1, 10 * STREAMS, 10 * STREAMS);
      // The lock VACUUM and ANALYZE take, held as a VACUUM would hold it.
      await holder.query("BEGIN; LOCK TABLE streams IN SHARE UPDATE EXCLUSIVE MODE");
      await within("a round while streams is held", analyzeStaleTables(fx.pool, HOT_TABLES), 5_000);
    } finally {
      await holder.query("ROLLBACK").catch(() => undefined);
      holder.release();
    }
  });

  test("the keeper analyzes a table that grew, within its interval, and returns once stopped", async () => {
    await fx.store.appendMany(Array.from({ length: 200 }, (_, i) => ({ streamId: `grown-${i}`, expectedVersion: "no_stream" as const, events: [{ type: "Grown", data: { i } }] })));
    const stop = new AbortController();
    const keeper = keepPlannerStatistics({ pool: fx.pool, logger: createLogger("test", { level: "silent" }), signal: stop.signal, intervalMs: 50 });
    try {
      const deadline = Date.now() + 20_000;
      const analyzedAt = async () => (await fx.pool.query<{ at: Date | null }>("SELECT last_analyze AS at FROM pg_stat_user_tables WHERE relname = 'events' AND schemaname = current_schema()")).rows[0]?.at ?? null;
      while ((await analyzedAt()) === null) {
        assert.ok(Date.now() < deadline, "events was not analyzed within 20 s");
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      stop.abort();
    }
    await keeper;
  });
  test("a role that does not own the log's tables is told so once, and its keeper stops by itself", async () => {
    const role = `gantry_stats_${process.pid}`;
    await fx.pool.query(`CREATE ROLE ${role} LOGIN; GRANT SELECT ON streams, events TO ${role}`);
    const url = new URL(fx.db.url);
    url.username = role;
    const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
    const warnings: string[] = [];
    const logger = createLogger("test", { level: "warn", destination: { write: (line: string) => warnings.push(line) } as unknown as NodeJS.WritableStream });
    try {
      await fx.store.appendMany(Array.from({ length: 1_000 }, (_, i) => ({ streamId: `owned-${i}`, expectedVersion: "no_stream" as const, events: [{ type: "Owned", data: { i } }] })));
      await untilRows(fx.pool, "events", 1_200);
      assert.deepEqual(await analyzeStaleTables(pool, HOT_TABLES), [], "tables it does not own are never stale to it");
      const stop = new AbortController();
      const ended = await Promise.race([
        keepPlannerStatistics({ pool, logger, signal: stop.signal, intervalMs: 20 }).then(() => "stopped by itself"),
        new Promise((r) => setTimeout(r, 10_000)).then(() => "still running after 10 s"),
      ]);
      stop.abort();
      assert.equal(ended, "stopped by itself");
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /not their owner/);
      assert.deepEqual(await analyzeStaleTables(fx.pool, HOT_TABLES), ["events"], "to their owner, events had grown stale");
    } finally {
      await pool.end();
      await fx.pool.query(`REVOKE ALL ON streams, events FROM ${role}; DROP ROLE ${role}`);
    }
  });

});
