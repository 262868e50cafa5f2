import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import { EventStore } from "./event-store.ts";
import { migrateEventStore } from "./migrations.ts";

/** A migrated throw-away database with a pool and a store over it; `close()` drops it all. Tests only. */
export interface EventStoreFixture {
  db: TestDatabase;
  pool: pg.Pool;
  store: EventStore;
  /** A second store over its own pool, as a competing process would have. */
  otherStore(): EventStore;
  close(): Promise<void>;
}

// DROP DATABASE … WITH (FORCE) terminates backends whose client is still closing (57P01); an idle
// pooled client then emits "error" on its pool. Anything else is a real failure.
function ignoreTermination(pool: pg.Pool): pg.Pool {
  pool.on("error", (err: Error & { code?: string }) => {
    if (err.code !== "57P01") throw err;
  });
  return pool;
}

/** Creates a fresh database `t_<prefix>_…`, migrates it and opens a store over a pool of `poolSize`. */
export async function createEventStoreFixture(prefix: string, poolSize = 10): Promise<EventStoreFixture> {
  const db = await createTestDatabase(prefix);
  const pool = ignoreTermination(new pg.Pool({ connectionString: db.url, max: poolSize }));
  // Kysely over the same pool for the migrations only; destroying it would end the pool.
  await migrateEventStore(new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }));
  const store = new EventStore({ pool });
  const others: { pool: pg.Pool; store: EventStore }[] = [];
  return {
    db,
    pool,
    store,
    otherStore() {
      const otherPool = ignoreTermination(new pg.Pool({ connectionString: db.url, max: 4 }));
      const other = { pool: otherPool, store: new EventStore({ pool: otherPool }) };
      others.push(other);
      return other.store;
    },
    async close() {
      for (const o of others) {
        await o.store.close();
        await o.pool.end();
      }
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
}
