import pg from "pg";
import { Kysely, PostgresDialect } from "kysely";
import { migrateEventStore } from "../eventstore/index.ts";
import { claimDatabaseForCluster } from "./cluster-claim.ts";

/** One service's connection to PostgreSQL: the pg pool and a Kysely over the same pool. */
export interface Database {
  pool: pg.Pool;
  db: Kysely<any>;
  /** Closes the pool (and so every connection of the Kysely too). */
  close(): Promise<void>;
}

/**
 * Opens a pool on `url` (no connection is made until first use). `max` bounds the connections
 * this process holds; the default of 10 leaves room for several services on one PostgreSQL.
 */
export function openDatabase(url: string, options: { max?: number; applicationName?: string } = {}): Database {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, application_name: options.applicationName ?? "gantry" });
  // An idle client that loses its connection must not crash the process; the next query reconnects.
  pool.on("error", () => undefined);
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  return {
    pool,
    db,
    async close() {
      await db.destroy();
    },
  };
}

const SCHEMA_LOCK_SQL = "SELECT pg_advisory_lock(hashtextextended('gantry.schema', 0))";

/** A cluster's database: a Database, and the id of the event log it holds (what scheduler epochs count in). */
export interface ClusterDatabase extends Database {
  logId: string;
}

/**
 * Opens a service's database for cluster `cluster`: the pool, the event store schema migrated,
 * and the database claimed for the cluster (see `claimDatabaseForCluster`). Closes what it
 * opened when any step fails.
 */
export async function openClusterDatabase(url: string, cluster: string, options: { max?: number; applicationName?: string } = {}): Promise<ClusterDatabase> {
  const database = openDatabase(url, options);
  try {
    // Services of one cluster start together: their schema steps (CREATE … IF NOT EXISTS is not
    // safe against itself) run one process at a time, under a session advisory lock held on a
    // connection of its own (the pool may be a single connection, which the steps need).
    const lock = new pg.Client(database.pool.options);
    lock.on("error", () => undefined);
    await lock.connect();
    try {
      await lock.query(SCHEMA_LOCK_SQL);
      await migrateEventStore(database.db);
      const { logId } = await claimDatabaseForCluster(database.pool, cluster);
      return { ...database, logId };
    } finally {
      await lock.end().catch(() => undefined);
    }
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}
