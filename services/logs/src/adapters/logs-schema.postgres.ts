import { sql, type Kysely } from "kysely";
import { Migrator, type Migration, type MigrationProvider } from "kysely/migration";
import { GantryError } from "@gantry/platform/errors";

/**
 * The logs database's tables (Kysely migrations, own migration table). Now one:
 *
 * - `log_chunks` (0003): one row per chunk of lines (domain/log-chunk.ts), PARTITIONED BY RANGE
 *   (last_time): partitions created ahead by the partition keeper and dropped whole by retention.
 *   Indexes per query shape, each ending in `first_pos` (chunks never interleave, so chunk order
 *   is line order): task, instance, app, agent, component; unique `(first_pos, last_time)` for
 *   unfiltered reads and against storing a redelivered chunk twice; BRIN on last_time.
 *
 * Before 0003 (converted by it, then dropped):
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
  // One row per chunk (see domain/log-chunk.ts) instead of one per line: the line blocks come
  // packed from the shippers and are stored as they are; every line of a chunk shares its
  // metadata, so each index holds one entry per chunk (≈ 2,400 lines under load). Partitioned by
  // the chunk's last line time: a partition dropped by retention holds no line younger than it.
  // Lines stored before are converted (each run of consecutive positions of one source in one
  // batch becomes a chunk, plain block), in the partitions they had.
  "0003_log_chunks": {
    async up(db) {
      await sql`
        CREATE TABLE log_chunks (
          first_pos bigint NOT NULL,
          line_count integer NOT NULL,
          first_time timestamptz NOT NULL,
          last_time timestamptz NOT NULL,
          agent_id text NOT NULL,
          hostname text NOT NULL,
          app_id text NOT NULL,
          instance_id text NOT NULL,
          task_id text NOT NULL,
          container text NOT NULL,
          stream text NOT NULL,
          component text NOT NULL,
          min_level smallint NOT NULL,
          max_level smallint NOT NULL,
          times bigint[],
          levels smallint[],
          codec smallint NOT NULL,
          block bytea NOT NULL
        ) PARTITION BY RANGE (last_time)`.execute(db);
      // Blocks are compressed already: PostgreSQL's own compression would only burn CPU on them.
      await sql`ALTER TABLE log_chunks ALTER COLUMN block SET STORAGE EXTERNAL`.execute(db);
      // A redelivered batch's chunks conflict here (same first position and last time, the partition key): stored once.
      await sql`CREATE UNIQUE INDEX log_chunks_pos_key ON log_chunks (first_pos, last_time)`.execute(db);
      await sql`CREATE INDEX log_chunks_task_idx ON log_chunks (task_id, first_pos) WHERE task_id <> ''`.execute(db);
      await sql`CREATE INDEX log_chunks_instance_idx ON log_chunks (instance_id, first_pos) WHERE instance_id <> ''`.execute(db);
      await sql`CREATE INDEX log_chunks_app_idx ON log_chunks (app_id, first_pos) WHERE app_id <> ''`.execute(db);
      await sql`CREATE INDEX log_chunks_agent_idx ON log_chunks (agent_id, first_pos)`.execute(db);
      await sql`CREATE INDEX log_chunks_component_idx ON log_chunks (component, first_pos) WHERE component <> ''`.execute(db);
      await sql`CREATE INDEX log_chunks_time_brin ON log_chunks USING brin (last_time)`.execute(db);
      await sql`
        DO $$
        DECLARE p record;
        BEGIN
          FOR p IN SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
                     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                    WHERE i.inhparent = 'log_lines'::regclass
          LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF log_chunks %s', replace(p.relname, 'log_lines_', 'log_chunks_'), p.bound);
          END LOOP;
        END $$`.execute(db);
      await sql`
        INSERT INTO log_chunks
        SELECT min(pos), count(*), min(time), max(time), agent_id, hostname, app_id, instance_id, task_id, container, stream, component,
               min(level), max(level),
               CASE WHEN min(time) = max(time) THEN NULL ELSE array_agg((extract(epoch FROM time) * 1000000)::int8 ORDER BY pos) END,
               CASE WHEN min(level) = max(level) THEN NULL ELSE array_agg(level ORDER BY pos) END,
               1,
               convert_to(string_agg(replace(text, E'\\n', U&'\\2424') || E'\\n', '' ORDER BY pos), 'UTF8')
          FROM (SELECT l.*, pos / 65536 AS seq,
                       pos - row_number() OVER (PARTITION BY pos / 65536, agent_id, hostname, app_id, instance_id, task_id, container, stream, component ORDER BY pos) AS run
                  FROM log_lines l) lines
         GROUP BY seq, run, agent_id, hostname, app_id, instance_id, task_id, container, stream, component`.execute(db);
      await sql`DROP TABLE log_lines`.execute(db);
      await sql`DROP TABLE log_batches`.execute(db);
    },
    async down() {
      throw new Error("0003_log_chunks cannot be undone (line rows are not kept)");
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/**
 * Brings the logs database to the latest schema (or to the migration named `target`: tests of a
 * migration); safe to run from several replicas at once (Kysely locks). Throws Unavailable naming
 * the failed migration.
 */
export async function migrateLogsDatabase(db: Kysely<any>, target?: string): Promise<void> {
  const migrator = new Migrator({ db, provider, migrationTableName: "logs_migration", migrationLockTableName: "logs_migration_lock" });
  const { error, results } = target === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(target);
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new GantryError("Unavailable", `logs migration ${failed} failed`, { cause: error });
  }
}
