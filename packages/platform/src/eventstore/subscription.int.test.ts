import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { eventually } from "../testing/index.ts";
import type { Position, RecordedEvent } from "./event.ts";
import { createEventStoreFixture, type EventStoreFixture } from "./event-store.test-fixture.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const atOrPast = (a: Position, b: Position) => a.transactionId > b.transactionId || (a.transactionId === b.transactionId && a.globalPosition >= b.globalPosition);

describe("checkpointed subscriptions", () => {
  let fx: EventStoreFixture;
  before(async () => {
    fx = await createEventStoreFixture("es_sub");
    // Records every checkpoint move that goes backwards: the compare-and-set must prevent them.
    await fx.pool.query(`
      CREATE TABLE checkpoint_regressions (subscription_id text, old_position bigint, new_position bigint);
      CREATE FUNCTION check_monotonic() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF (NEW.transaction_id, NEW.global_position) < (OLD.transaction_id, OLD.global_position) THEN
          INSERT INTO checkpoint_regressions VALUES (NEW.subscription_id, OLD.global_position, NEW.global_position);
        END IF;
        RETURN NEW; END $$;
      CREATE TRIGGER check_monotonic BEFORE UPDATE ON subscription_checkpoints FOR EACH ROW EXECUTE FUNCTION check_monotonic();`);
  });
  after(() => fx.close());

  test("two competing instances: no event skipped, checkpoint never moves back", async () => {
    const total = 600;
    const append = async (from: number, to: number) => {
      for (let i = from; i < to; i += 20) {
        await fx.store.appendOrThrow(`task-${i}`, "no_stream", Array.from({ length: 20 }, (_, k) => ({ type: "TaskQueued", data: { n: i + k } })));
      }
    };
    await append(0, 300);

    const handled: RecordedEvent[][] = [[], []];
    const controller = new AbortController();
    const stores = [fx.store, fx.otherStore()];
    const running = stores.map((store, i) =>
      store.subscribe({
        subscriptionId: "competing",
        batchSize: 25,
        pollIntervalMs: 50,
        signal: controller.signal,
        handler: async (events) => {
          handled[i]!.push(...events);
          await sleep(Math.random() * 10);
        },
      }),
    );
    await append(300, total); // more events arrive while both consume

    // The horizon is server-wide (other tests' transactions hold it back): wait until all are visible.
    const visible = await eventually("every appended event below the horizon", async () => {
      const events = await fx.store.readAll({ limit: total + 1 });
      return events.length >= total ? events : undefined;
    });
    const last = visible.at(-1)!;
    await eventually("the subscription's checkpoint to pass the last event", async () => atOrPast(await fx.store.checkpoint("competing"), last));
    controller.abort();
    await Promise.all(running);

    const union = new Set([...handled[0]!, ...handled[1]!].map((e) => e.data.n));
    assert.equal(union.size, total, "every event handed to some instance");
    const { rows } = await fx.pool.query("SELECT count(*)::int AS n FROM checkpoint_regressions");
    assert.equal(rows[0].n, 0, "the checkpoint never moved backwards");
    // How much work each instance did is not asserted: after a lost CAS the loser reloads the
    // winner's checkpoint, so both often proceed in lockstep and both see most events. That is
    // allowed (at least once); a checkpoint moving backwards is not.
  });

  test("wakes on NOTIFY well before the poll interval, and stops cleanly on abort", async () => {
    const controller = new AbortController();
    const received: number[] = [];
    const running = fx.store.subscribe({
      subscriptionId: "notified",
      batchSize: 100,
      pollIntervalMs: 10_000,
      signal: controller.signal,
      handler: async (events) => {
        received.push(...events.map(() => Date.now()));
      },
    });
    // Skip what the previous test wrote.
    await eventually("the previous test's 600 events", () => received.length >= 600, 20_000, 10);
    const t0 = Date.now();
    await fx.store.appendOrThrow("task-late", "no_stream", [{ type: "TaskQueued", data: { n: -1 } }]);
    await eventually("the late event, woken by NOTIFY", () => received.length >= 601, 5_000, 5);
    controller.abort();
    await running;
    assert.ok(received[600]! - t0 < 2_000);
  });

  test("a Postgres projection commits its rows and its checkpoint together: competing instances write each row once", async () => {
    await fx.pool.query("CREATE TABLE projected (global_position bigint PRIMARY KEY, by_instance int NOT NULL)");
    const controller = new AbortController();
    const stores = [fx.store, fx.otherStore()];
    const running = stores.map((store, i) =>
      store.project({
        projectionId: "rows",
        batchSize: 25,
        pollIntervalMs: 50,
        signal: controller.signal,
        handler: async (events, tx) => {
          for (const e of events) await tx.query("INSERT INTO projected VALUES ($1, $2)", [e.globalPosition.toString(), i]);
          await sleep(Math.random() * 10);
        },
      }),
    );
    const all = await eventually("every event below the horizon", async () => {
      const events = await fx.store.readAll({ limit: 10_000 });
      return events.length >= 601 ? events : undefined;
    });
    await eventually("the projection to pass the last event", async () => atOrPast(await fx.store.checkpoint("rows"), all.at(-1)!), 30_000);
    controller.abort();
    // A duplicate row would have failed its batch (primary key) and stopped that instance.
    await Promise.all(running);
    const { rows } = await fx.pool.query("SELECT count(*)::int AS n, count(DISTINCT by_instance)::int AS instances FROM projected");
    assert.equal(rows[0].n, all.length, "one row per event");
  });

  test("a projection whose handler fails leaves neither rows nor checkpoint behind, and hands the batch over again", async () => {
    await fx.pool.query("CREATE TABLE projected_once (global_position bigint PRIMARY KEY)");
    const controller = new AbortController();
    let failures = 0;
    const failing = fx.store.project({
      projectionId: "fails-once",
      batchSize: 50,
      signal: controller.signal,
      handler: async (events, tx) => {
        for (const e of events) await tx.query("INSERT INTO projected_once VALUES ($1)", [e.globalPosition.toString()]);
        if (failures++ === 0) throw new Error("injected failure after writing the batch's rows");
      },
    });
    await assert.rejects(failing, /injected failure/);
    assert.equal((await fx.pool.query("SELECT count(*)::int AS n FROM projected_once")).rows[0].n, 0, "the failed batch's rows were rolled back");
    assert.equal((await fx.store.checkpoint("fails-once")).globalPosition, 0n, "and its checkpoint did not move");
    const again = fx.store.project({
      projectionId: "fails-once",
      batchSize: 50,
      signal: controller.signal,
      handler: async (events, tx) => {
        for (const e of events) await tx.query("INSERT INTO projected_once VALUES ($1)", [e.globalPosition.toString()]);
      },
    });
    const total = (await fx.store.readAll({ limit: 10_000 })).length;
    await eventually("the restarted projection to write every row", async () => (await fx.pool.query("SELECT count(*)::int AS n FROM projected_once")).rows[0].n >= total);
    controller.abort();
    await again;
  });
});
