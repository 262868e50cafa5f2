import type pg from "pg";
import { delay } from "../async/delay.ts";
import type { Logger } from "../logging/index.ts";

/** The log's tables whose size every append and read plan depends on. */
export const HOT_TABLES = ["streams", "events"] as const;

/** How often the keeper looks (one cheap query on pg_stat_user_tables). */
const DEFAULT_INTERVAL_MS = 2_000;

/**
 * The tables that are stale, and whether this role owns them (only an owner may ANALYZE). A table
 * is stale once its live rows more than doubled since its last ANALYZE (+ 50, so that a table
 * never analyzed is once it holds a few rows): plans change shape with orders of magnitude, not
 * with the ordinary churn autovacuum's 10 % follows (every append updates `streams` rows, and
 * each ANALYZE makes every connection plan its statements again).
 */
const STALE_SQL = `
SELECT s.relname AS table, pg_has_role(c.relowner, 'USAGE') AS owned
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname = current_schema() AND s.relname = ANY($1::text[])
  AND s.n_live_tup > 2 * greatest(c.reltuples, 0) + 50
ORDER BY s.relname`;

/** One keeper at a time in the cluster ANALYZEs; the others find the tables fresh afterwards. */
const ANALYZE_LOCK_KEY = `hashtextextended('gantry.analyze', 0)`;

/** Options of keepPlannerStatistics. */
export interface PlannerStatisticsOptions {
  pool: pg.Pool;
  logger: Logger;
  signal: AbortSignal;
  intervalMs?: number;
  tables?: readonly string[];
}

/**
 * Keeps the planner's statistics of the log's hot tables current, so that the plans every
 * connection caches for its appends and reads follow the tables as they grow. A prepared
 * statement's generic plan is made once, from the statistics of that moment: made while
 * `streams` held a few rows, the append's plan scans the whole table and hashes it (a hash join
 * beats index lookups on a table thought tiny), and keeps doing so at 20,000 streams (4-5 ms an
 * append instead of 1) until an ANALYZE invalidates it. Autovacuum would ANALYZE, but it may be
 * off (it is on this project's CI machines) and wakes once a minute at best. Every `intervalMs`
 * this ANALYZEs each hot table whose rows more than doubled since its last ANALYZE, under an
 * advisory lock so that the keepers of several processes do not repeat each other's work. Each
 * ANALYZE commits by itself (its transaction id is taken only to write the statistics, so
 * readers' horizons are not held back) and skips a table another maintenance command holds
 * (SKIP_LOCKED: a stop never waits behind a VACUUM). Resolves once `signal` aborts. A role that
 * does not own the tables cannot ANALYZE them: the keeper says so once (the first time one of
 * them is stale) and stops. A failed round is logged (the first of a run of failures as a
 * warning) and tried again.
 */
export async function keepPlannerStatistics(options: PlannerStatisticsOptions): Promise<void> {
  const { pool, logger, signal } = options;
  const tables = options.tables ?? HOT_TABLES;
  let failing = false;
  while (!signal.aborted) {
    await delay(options.intervalMs ?? DEFAULT_INTERVAL_MS, signal);
    if (signal.aborted) return;
    try {
      const stale = await staleTables(pool, tables);
      const notOwned = stale.filter((t) => !t.owned).map((t) => t.table);
      if (notOwned.length > 0) {
        logger.warn({ tables: notOwned }, "cannot ANALYZE the event log's tables (not their owner); their plans rely on autovacuum");
        return;
      }
      const analyzed = await analyze(pool, stale.map((t) => t.table));
      if (analyzed.length > 0) logger.debug({ tables: analyzed }, "planner statistics refreshed");
      failing = false;
    } catch (err) {
      logger[failing ? "debug" : "warn"]({ err }, "refreshing the planner statistics failed; trying again");
      failing = true;
    }
  }
}

/** One round: ANALYZEs the given tables that are stale and owned by this role, unless another keeper holds the lock. Returns those analyzed. */
export async function analyzeStaleTables(pool: pg.Pool, tables: readonly string[]): Promise<string[]> {
  return analyze(pool, (await staleTables(pool, tables)).filter((t) => t.owned).map((t) => t.table));
}

async function staleTables(pool: pg.Pool, tables: readonly string[]): Promise<{ table: string; owned: boolean }[]> {
  return (await pool.query<{ table: string; owned: boolean }>(STALE_SQL, [tables])).rows;
}

/** ANALYZEs `stale` under the keepers' lock; nothing when another keeper holds it. Returns those analyzed. */
async function analyze(pool: pg.Pool, stale: readonly string[]): Promise<string[]> {
  if (stale.length === 0) return [];
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${ANALYZE_LOCK_KEY}) AS locked`);
    if (!rows[0]?.locked) return [];
    try {
      for (const table of stale) await client.query(`ANALYZE (SKIP_LOCKED) ${client.escapeIdentifier(table)}`);
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${ANALYZE_LOCK_KEY})`);
    }
    return [...stale];
  } catch (err) {
    // A connection that may still hold the session lock is closed, not pooled.
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}
