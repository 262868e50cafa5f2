import { sql, type Kysely } from "kysely";
import { Migrator, type Migration, type MigrationProvider } from "kysely/migration";
import { GantryError } from "../errors/index.ts";

/** The name of the unique (stream_id, stream_version) constraint; a 23505 on it is a version conflict. */
export const EVENTS_STREAM_VERSION_CONSTRAINT = "events_stream_version_uq";

const MIGRATIONS: Record<string, Migration> = {
  "0001_event_store": {
    async up(db) {
      await db.schema
        .createTable("streams")
        .addColumn("stream_id", "text", (c) => c.primaryKey())
        .addColumn("stream_type", "text", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable("events")
        .addColumn("global_position", "bigserial", (c) => c.primaryKey())
        // The writing transaction: the commit-order key. Readers stay below the xmin horizon.
        .addColumn("transaction_id", sql`xid8`, (c) => c.notNull().defaultTo(sql`pg_current_xact_id()`))
        .addColumn("stream_id", "text", (c) => c.notNull())
        .addColumn("stream_version", "integer", (c) => c.notNull())
        .addColumn("event_type", "text", (c) => c.notNull())
        .addColumn("schema_version", "integer", (c) => c.notNull().defaultTo(1))
        .addColumn("data", "jsonb", (c) => c.notNull())
        .addColumn("metadata", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn("recorded_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint(EVENTS_STREAM_VERSION_CONSTRAINT, ["stream_id", "stream_version"])
        .execute();
      await db.schema.createIndex("events_commit_order_idx").on("events").columns(["transaction_id", "global_position"]).execute();
      await db.schema
        .createTable("subscription_checkpoints")
        .addColumn("subscription_id", "text", (c) => c.primaryKey())
        .addColumn("transaction_id", sql`xid8`, (c) => c.notNull())
        .addColumn("global_position", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
    async down(db) {
      await db.schema.dropTable("subscription_checkpoints").execute();
      await db.schema.dropTable("events").execute();
      await db.schema.dropTable("streams").execute();
    },
  },
  "0002_ordering_leases_snapshots": {
    async up(db) {
      // The transaction that last wrote each stream: an append refuses to write a stream that a
      // newer transaction (a larger xid) already wrote, so versions rise with xids and readers in
      // (transaction_id, global_position) order see every stream in version order.
      await db.schema
        .alterTable("streams")
        .addColumn("last_transaction_id", sql`xid8`, (c) => c.notNull().defaultTo(sql`'0'::xid8`))
        .execute();
      await db.schema
        .createTable("leases")
        .addColumn("name", "text", (c) => c.primaryKey())
        // Raised by every take-over; writers fence their transactions on it.
        .addColumn("epoch", "bigint", (c) => c.notNull())
        .addColumn("holder", "text", (c) => c.notNull())
        .addColumn("backend_pid", "integer", (c) => c.notNull())
        .addColumn("acquired_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      // Renewals live apart from the fenced row, so renewing never waits on (or blocks) the
      // holder's writes, which read the lease row FOR SHARE.
      await db.schema
        .createTable("lease_renewals")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("renewed_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable("snapshots")
        .addColumn("name", "text", (c) => c.primaryKey())
        // The commit-order position the snapshot folds up to (inclusive).
        .addColumn("transaction_id", sql`xid8`, (c) => c.notNull())
        .addColumn("global_position", "bigint", (c) => c.notNull())
        .addColumn("schema_version", "integer", (c) => c.notNull())
        .addColumn("data", "bytea", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
    async down(db) {
      await db.schema.dropTable("snapshots").execute();
      await db.schema.dropTable("lease_renewals").execute();
      await db.schema.dropTable("leases").execute();
      await db.schema.alterTable("streams").dropColumn("last_transaction_id").execute();
    },
  },
  "0003_events_payload_statistics": {
    async up(db) {
      // No query filters or sorts on an event's payload; without statistics on it, ANALYZE of
      // the log (planner-statistics.ts) samples the keys and positions only, not every jsonb.
      await sql`ALTER TABLE events ALTER COLUMN data SET STATISTICS 0, ALTER COLUMN metadata SET STATISTICS 0`.execute(db);
    },
    async down(db) {
      await sql`ALTER TABLE events ALTER COLUMN data SET STATISTICS -1, ALTER COLUMN metadata SET STATISTICS -1`.execute(db);
    },
  },
  "0004_horizon_and_begin_functions": {
    async up(db) {
      await sql.raw(COMMIT_HORIZON_FUNCTION_0004).execute(db);
      await sql.raw(BEGIN_TRANSACTION_FUNCTION_0004).execute(db);
    },
    async down(db) {
      await sql`DROP FUNCTION gantry_begin_transaction(text, bigint, text[])`.execute(db);
      await sql`DROP FUNCTION gantry_commit_horizon()`.execute(db);
    },
  },
};

// The two statements every reader and every transaction runs, as PL/pgSQL functions: a function
// keeps its statements' plans for the session, where the statements written out in full were
// planned on every call (see the event store's README for the figures). These bodies are what
// migration 0004 created, and stay so: a change to either is a new migration with a new body
// (CREATE OR REPLACE cannot change a RETURNS TABLE; drop and create it then).

/**
 * The commit-order horizon of the calling statement (see commit-order-reader.ts): the oldest
 * transaction still running in its snapshot, passing over those positively seen on a backend of
 * another database, or the snapshot's xmax when none runs. STABLE, so it reads the calling
 * statement's snapshot (a VOLATILE function would take a newer one, whose horizon could pass
 * a transaction the caller cannot see yet: its events would be skipped).
 */
const COMMIT_HORIZON_FUNCTION_0004 = `
CREATE OR REPLACE FUNCTION gantry_commit_horizon() RETURNS xid8 LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  snap pg_snapshot := pg_current_snapshot();
BEGIN
  RETURN coalesce(
    (SELECT min(x) FROM pg_snapshot_xip(snap) AS x
      WHERE NOT EXISTS (
        SELECT 1 FROM pg_stat_get_activity(NULL) a
        WHERE a.backend_xid::text::bigint = x::text::bigint % 4294967296
          AND a.datid IS DISTINCT FROM (SELECT oid FROM pg_database WHERE datname = current_database()))),
    pg_snapshot_xmax(snap));
END
$fn$`;

/**
 * The start of a writing transaction (transaction.ts), run right after BEGIN: locks the streams'
 * hash buckets (advisory, in order), then takes the transaction's id and checks the fence (the
 * lease row FOR SHARE; true without a lease). Returns the id, the transaction's time (epoch
 * seconds) and whether the fence holds.
 */
const BEGIN_TRANSACTION_FUNCTION_0004 = `
CREATE OR REPLACE FUNCTION gantry_begin_transaction(fence_lease text, fence_epoch bigint, lock_streams text[])
RETURNS TABLE (xid text, now float8, fence_holds boolean) LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM count(pg_advisory_xact_lock(1195462228, bucket))
    FROM (SELECT DISTINCT hashtext(s) & 127 AS bucket FROM unnest(lock_streams) AS s ORDER BY 1) AS buckets;
  RETURN QUERY SELECT pg_current_xact_id()::text, extract(epoch FROM now())::float8,
    fence_lease IS NULL OR EXISTS (SELECT 1 FROM leases l WHERE l.name = fence_lease AND l.epoch = fence_epoch FOR SHARE);
END
$fn$`;

/** The event store's migrations, in code (no migration folder to ship). */
export const eventStoreMigrations: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};

/**
 * Brings the event store schema up to date. Idempotent and safe to call from several processes at
 * once (Kysely's Migrator takes a lock). Throws Unavailable with the failing migration as cause.
 * A database that already has every migration this build knows is left as it is, even when a
 * newer build applied more: a rollback of the binaries across a migration starts, where Kysely
 * would refuse the unknown migration. That is sound because these migrations only add (a table,
 * a column, a function); a future one that changes what an older build relies on must not.
 */
export async function migrateEventStore(db: Kysely<any>): Promise<void> {
  if (await hasEveryMigration(db)) return;
  const migrator = new Migrator({
    db,
    provider: eventStoreMigrations,
    migrationTableName: "event_store_migration",
    migrationLockTableName: "event_store_migration_lock",
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new GantryError("Unavailable", `event store migration ${failed} failed`, { cause: error });
  }
}

/** Whether the database records every migration this build knows (false when it has no record yet). */
async function hasEveryMigration(db: Kysely<any>): Promise<boolean> {
  const table = await sql<{ exists: boolean }>`SELECT to_regclass('event_store_migration') IS NOT NULL AS exists`.execute(db);
  if (!table.rows[0]?.exists) return false;
  const applied = await sql<{ name: string }>`SELECT name FROM event_store_migration`.execute(db);
  const names = new Set(applied.rows.map((r) => r.name));
  return Object.keys(MIGRATIONS).every((name) => names.has(name));
}
