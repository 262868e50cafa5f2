import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Kysely, PostgresDialect } from "kysely";
import { createEventStoreFixture, type EventStoreFixture } from "./event-store.test-fixture.ts";
import { migrateEventStore } from "./migrations.ts";

describe("event store migrations", () => {
  let fx: EventStoreFixture;
  before(async () => {
    fx = await createEventStoreFixture("es_migrations");
  });
  after(() => fx.close());

  test("a database a newer build migrated further (a migration this build does not know) still opens", async () => {
    await fx.pool.query("INSERT INTO event_store_migration (name, timestamp) VALUES ('9999_from_a_newer_build', now()::text)");
    try {
      await migrateEventStore(new Kysely<unknown>({ dialect: new PostgresDialect({ pool: fx.pool }) }));
    } finally {
      await fx.pool.query("DELETE FROM event_store_migration WHERE name = '9999_from_a_newer_build'");
    }
  });

  test("the commit-order horizon reads its caller's snapshot: a transaction that commits meanwhile does not move it", async () => {
    const writer = await fx.pool.connect();
    const reader = await fx.pool.connect();
    try {
      await writer.query("BEGIN");
      const { rows } = await writer.query<{ xid: string }>("SELECT pg_current_xact_id()::text AS xid");
      await reader.query("BEGIN");
      // A cursor computes each row when fetched, under the snapshot taken when it was opened.
      await reader.query("DECLARE horizons CURSOR FOR SELECT gantry_commit_horizon()::text AS horizon FROM generate_series(1, 2)");
      const first = (await reader.query<{ horizon: string }>("FETCH 1 FROM horizons")).rows[0]!.horizon;
      assert.equal(first, rows[0]!.xid, "the open writer is the horizon");
      await writer.query("COMMIT");
      const second = (await reader.query<{ horizon: string }>("FETCH 1 FROM horizons")).rows[0]!.horizon;
      assert.equal(second, first, "the same snapshot, the same horizon (a function with a snapshot of its own would move past the writer)");
    } finally {
      await reader.query("ROLLBACK").catch(() => undefined);
      await writer.query("ROLLBACK").catch(() => undefined);
      reader.release();
      writer.release();
    }
  });
});
