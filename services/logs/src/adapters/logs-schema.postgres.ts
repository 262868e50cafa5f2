import { sql, type Kysely } from "kysely";
import { Migrator, type Migration, type MigrationProvider } from "kysely/migration";
import { GantryError } from "@gantry/platform/errors";

/**
 * The logs database's tables (Kysely migrations, own migration table):
 *
 * - `log_lines`: one row per line, PARTITIONED BY RANGE (time): partitions are created ahead by
 *   the partition keeper and dropped whole by retention. `pos` is the line's position (see
 *   domain/log-position.ts): cursors and the order of every answer. Indexes are per query shape,
 *   each ending in `pos` so "last N of X" is one backwards index scan per partition (merged):
 *   task, app, agent (its own lines: see 0002), component (service logs); BRIN on time for windows.
 *   No index on text: a text search is bounded by the other filters (or time) and scans with ILIKE.
 * - `log_batches`: the stream sequence of every batch stored, written in the same transaction as
 *   its lines: a redelivered batch finds its row and is skipped (no line twice), whatever order
 *   redeliveries come in.
 */
const MIGRATIONS: Record<string, Migration> = {
  "0001_log_lines": {
    async up(db) {
      await sql`
        CREATE TABLE log_lines (
          pos bigint NOT NULL,
          time timestamptz NOT NULL,
          agent_id text NOT NULL,
          hostname text NOT NULL,
          app_id text NOT NULL,
          instance_id text NOT NULL,
          task_id text NOT NULL,
          container text NOT NULL,
          stream text NOT NULL,
          component text NOT NULL,
          level smallint NOT NULL,
          text text NOT NULL
        ) PARTITION BY RANGE (time)`.execute(db);
      await sql`CREATE INDEX log_lines_task_idx ON log_lines (task_id, pos) WHERE task_id <> ''`.execute(db);
      await sql`CREATE INDEX log_lines_app_idx ON log_lines (app_id, pos) WHERE app_id <> ''`.execute(db);
      await sql`CREATE INDEX log_lines_agent_idx ON log_lines (agent_id, pos)`.execute(db);
      await sql`CREATE INDEX log_lines_component_idx ON log_lines (component, pos) WHERE component <> ''`.execute(db);
      await sql`CREATE INDEX log_lines_time_brin ON log_lines USING brin (time)`.execute(db);
      await sql`
        CREATE TABLE log_batches (
          seq bigint PRIMARY KEY,
          lines integer NOT NULL,
          stored_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
    },
    async down(db) {
      await sql`DROP TABLE log_batches`.execute(db);
      await sql`DROP TABLE log_lines`.execute(db);
    },
  },
  // Every index costs ingest (COPY of 200k lines: 6.4 s with five, 3.2 s with three, on the
  // loaded dev machine). Task output is the volume and is never asked by agent alone without a
  // task (node logs are the agent's own lines): the agent index keeps only those (stream 'log').
  "0002_agent_index_own_lines_only": {
    async up(db) {
      await sql`DROP INDEX log_lines_agent_idx`.execute(db);
      await sql`CREATE INDEX log_lines_agent_log_idx ON log_lines (agent_id, pos) WHERE stream = 'log'`.execute(db);
    },
    async down(db) {
      await sql`DROP INDEX log_lines_agent_log_idx`.execute(db);
      await sql`CREATE INDEX log_lines_agent_idx ON log_lines (agent_id, pos)`.execute(db);
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Brings the logs database to the latest schema; safe to run from several replicas at once (Kysely locks). Throws Unavailable naming the failed migration. */
export async function migrateLogsDatabase(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider, migrationTableName: "logs_migration", migrationLockTableName: "logs_migration_lock" });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new GantryError("Unavailable", `logs migration ${failed} failed`, { cause: error });
  }
}
