import pg from "pg";
import { Kysely, PostgresDialect } from "kysely";

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
