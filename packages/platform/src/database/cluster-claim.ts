import type pg from "pg";
import { GantryError } from "../errors/index.ts";

/**
 * Claims a database for one cluster, or checks the claim: the first service to start writes the
 * cluster name into `gantry_cluster`; every later one must name the same cluster. Two clusters
 * on one event log would fold each other's apps and agents (NATS names keep clusters apart,
 * PostgreSQL does not), so a mismatch refuses to start with FailedPrecondition. Resolves with
 * the log's id, a UUID made with the claim.
 */
export async function claimDatabaseForCluster(pool: pg.Pool, cluster: string): Promise<{ logId: string }> {
  await pool.query(`
    CREATE TABLE IF NOT EXISTS gantry_cluster (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      name text NOT NULL,
      claimed_at timestamptz NOT NULL DEFAULT now()
    )`);
  // The identity of this event log: what scheduler epochs count in (a new database, new epochs).
  await pool.query("ALTER TABLE gantry_cluster ADD COLUMN IF NOT EXISTS log_id uuid NOT NULL DEFAULT gen_random_uuid()");
  await pool.query("INSERT INTO gantry_cluster (name) VALUES ($1) ON CONFLICT (singleton) DO NOTHING", [cluster]);
  const { rows } = await pool.query<{ name: string; db: string; log_id: string }>("SELECT name, current_database() AS db, log_id::text FROM gantry_cluster");
  const owner = rows[0]!;
  if (owner.name !== cluster) {
    throw new GantryError(
      "FailedPrecondition",
      `database "${owner.db}" holds the event log of cluster "${owner.name}", not "${cluster}": give each cluster its own database (DATABASE_URL)`,
      { details: { database: owner.db, owner: owner.name, cluster } },
    );
  }
  return { logId: owner.log_id };
}
