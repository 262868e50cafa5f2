import type pg from "pg";
import { delay } from "../async/delay.ts";
import type { Logger } from "../logging/index.ts";

/** The log's tables whose size every append and read plan depends on. */
export const HOT_TABLES = ["streams", "events"] as const;

/** How often the keeper looks (one cheap query on pg_stat_user_tables). */
const DEFAULT_INTERVAL_MS = 2_000;

/**
 * A table is stale once this many rows changed since its last ANALYZE: 50 + 10 % of its rows,
 * autovacuum's own default threshold (autovacuum_analyze_threshold / _scale_factor).
 */
const STALE_SQL = `
SELECT s.relname AS table
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname = current_schema() AND s.relname = ANY($1::text[])
  AND s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
ORDER BY s.relname`;

/** One keeper at a time in the cluster ANALYZEs; the others find the tables fresh afterwards. */
const ANALYZE_LOCK_SQL = `SELECT pg_try_advisory_xact_lock(hashtextextended('gantry.analyze', 0)) AS locked`;

const INSUFFICIENT_PRIVILEGE = "42501";

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
 * beats index lookups on a table thought tiny), and keeps doing so at 20,000 streams (5-10 ms an
 * append instead of 1) until an ANALYZE invalidates it. Autovacuum would ANALYZE, but it may be
 * off (it is in CI) and wakes once a minute at best. Every `intervalMs` this ANALYZEs each hot
 * table that changed by more than autovacuum's threshold since its last ANALYZE, under a
 * transaction-scoped advisory lock so that the keepers of several processes do not repeat each
 * other's work. ANALYZE takes no lock that appends or reads wait for. Resolves once `signal`
 * aborts; a failed round is logged and tried again, except a refusal for lack of privilege
 * (not the tables' owner), after which it stops.
 */
export async function keepPlannerStatistics(options: PlannerStatisticsOptions): Promise<void> {
  const { pool, logger, signal } = options;
  const tables = options.tables ?? HOT_TABLES;
  while (!signal.aborted) {
    await delay(options.intervalMs ?? DEFAULT_INTERVAL_MS, signal);
    if (signal.aborted) return;
    try {
      const analyzed = await analyzeStaleTables(pool, tables);
      if (analyzed.length > 0) logger.debug({ tables: analyzed }, "planner statistics refreshed");
    } catch (err) {
      if ((err as { code?: string }).code === INSUFFICIENT_PRIVILEGE) {
        logger.warn({ err }, "cannot ANALYZE the event log's tables (not their owner); plans then rely on autovacuum");
        return;
      }
      logger.warn({ err }, "refreshing the planner statistics failed; trying again");
    }
  }
}

/** One round: ANALYZEs the given tables that are stale, unless another keeper holds the lock. Returns those analyzed. */
export async function analyzeStaleTables(pool: pg.Pool, tables: readonly string[]): Promise<string[]> {
  const stale = (await pool.query<{ table: string }>(STALE_SQL, [tables])).rows.map((r) => r.table);
  if (stale.length === 0) return [];
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<{ locked: boolean }>(ANALYZE_LOCK_SQL);
    if (rows[0]?.locked) {
      for (const table of stale) await client.query(`ANALYZE ${client.escapeIdentifier(table)}`);
    }
    await client.query("COMMIT");
    return rows[0]?.locked ? stale : [];
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
