import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Position, RecordedEvent } from "./event.ts";
import { START, positionOf } from "./event.ts";
import pg from "pg";
import { createEventStoreFixture, type EventStoreFixture } from "./event-store.test-fixture.ts";
import { createTestDatabase } from "../testing/index.ts";

const WRITERS = 16;
const APPENDS_PER_WRITER = 25;

describe("commit-order reader", () => {
  let fx: EventStoreFixture;
  before(async () => {
    fx = await createEventStoreFixture("es_order", WRITERS + 4);
    // Every append sleeps 0-50 ms after its events took their positions and before it commits,
    // so transactions commit out of position order: the case a plain `position > last` reader
    // gets wrong.
    await fx.pool.query(`
      CREATE FUNCTION delay_commit() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN PERFORM pg_sleep(random() * 0.05); RETURN NULL; END $$;
      CREATE TRIGGER delay_commit AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION delay_commit();`);
  });
  after(() => fx.close());

  test("16 writers committing out of order: a concurrent reader sees every event once, in (transaction, position) order", async () => {
    const commitOrder: bigint[] = [];
    const appended = new Set<bigint>();
    let writersDoneAt: number | undefined;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < APPENDS_PER_WRITER; i++) {
        // 1-3 events per append, so transactions with several events must stay contiguous.
        const events = Array.from({ length: 1 + (i % 3) }, (_, k) => ({ type: "Tick", data: { w, i, k } }));
        const r = await fx.store.appendOrThrow(`writer-${w}`, i === 0 ? "no_stream" : "any", events);
        commitOrder.push(r.firstPosition);
        for (let p = r.firstPosition; p <= r.lastPosition; p++) appended.add(p);
      }
    });
    const writing = Promise.all(writers).finally(() => (writersDoneAt = Date.now()));

    const seen: RecordedEvent[] = [];
    let after: Position = START;
    for (;;) {
      // A small page, so pagination runs many times across concurrent commits.
      const page = await fx.store.readAll({ after, limit: 7 });
      seen.push(...page);
      if (page.length > 0) {
        after = positionOf(page[page.length - 1]!);
        continue;
      }
      // Caught up; once the writers are done, give the horizon a few seconds to pass the last
      // commits (it is cluster-wide), then judge what was seen.
      if (writersDoneAt !== undefined && (seen.length >= appended.size || Date.now() - writersDoneAt > 5_000)) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    await writing;

    const inversions = commitOrder.filter((p, i) => i > 0 && p < commitOrder[i - 1]!).length;
    assert.ok(inversions > 0, "the setup must make later positions commit earlier");

    const positions = seen.map((e) => e.globalPosition);
    assert.equal(new Set(positions).size, positions.length, "no event seen twice");
    assert.deepEqual(new Set(positions), appended, "every appended event seen");
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1]!, seen[i]!];
      const ordered = a.transactionId < b.transactionId || (a.transactionId === b.transactionId && a.globalPosition < b.globalPosition);
      assert.ok(ordered, `event ${i} out of (transaction, position) order`);
    }
    const finished = new Set<bigint>();
    for (let i = 0; i < seen.length; i++) {
      const tx = seen[i]!.transactionId;
      assert.ok(!finished.has(tx), `transaction ${tx} is not contiguous`);
      if (seen[i + 1]?.transactionId !== tx) finished.add(tx);
    }
    // Per-stream versions arrive gapless and in order, as a projection folding them expects.
    const versions = new Map<string, number>();
    for (const e of seen) {
      assert.equal(e.streamVersion, (versions.get(e.streamId) ?? 0) + 1, `${e.streamId} version gap`);
      versions.set(e.streamId, e.streamVersion);
    }
  });

  test("a write left open in another database on the server does not hold this log's readers back; one in this database does", async () => {
    const elsewhere = await createTestDatabase("es_elsewhere");
    const other = new pg.Client({ connectionString: elsewhere.url });
    const here = await fx.pool.connect();
    try {
      await other.connect();
      await other.query("CREATE TABLE t (x int)");
      await other.query("BEGIN");
      await other.query("INSERT INTO t VALUES (1)"); // takes an xid, lower than the append's below
      const { position } = await fx.store.appendOrThrow("elsewhere-1", "no_stream", [{ type: "Written", data: {} }]).then((r) => ({ position: r.firstPosition }));
      const seen = await fx.store.readPage({ after: START, limit: 100_000 });
      assert.ok(seen.events.some((e) => e.globalPosition === position), "committed here, readable although another database's write is still open");

      await here.query("BEGIN");
      await here.query("SELECT pg_current_xact_id()"); // a writer of this database, still open
      const held = await fx.store.appendOrThrow("elsewhere-2", "no_stream", [{ type: "Written", data: {} }]);
      const page = await fx.store.readPage({ after: seen.next, limit: 100_000 });
      assert.ok(!page.events.some((e) => e.globalPosition === held.firstPosition), "a write open in this database holds the horizon");
      await here.query("COMMIT");
      const after = await fx.store.readPage({ after: seen.next, limit: 100_000 });
      assert.ok(after.events.some((e) => e.globalPosition === held.firstPosition), "readable once it ended");
    } finally {
      here.release();
      await other.query("ROLLBACK").catch(() => undefined);
      await other.end();
      await elsewhere.drop();
    }
  });
});
