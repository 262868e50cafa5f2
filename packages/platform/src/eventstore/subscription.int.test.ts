import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RecordedEvent } from "./event.ts";
import { createEventStoreFixture, type EventStoreFixture } from "./event-store.test-fixture.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    const deadline = Date.now() + 20_000;
    let visible = await fx.store.readAll({ limit: total + 1 });
    for (; visible.length < total; visible = await fx.store.readAll({ limit: total + 1 })) {
      assert.ok(Date.now() < deadline, "appended events did not become visible");
      await sleep(20);
    }
    const last = visible.at(-1)!;
    for (;;) {
      const cp = await fx.store.checkpoint("competing");
      if (cp.transactionId === last.transactionId && cp.globalPosition === last.globalPosition) break;
      assert.ok(Date.now() < deadline, "subscription did not reach the last event");
      await sleep(20);
    }
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
    while (received.length < 600) await sleep(10);
    const t0 = Date.now();
    await fx.store.appendOrThrow("task-late", "no_stream", [{ type: "TaskQueued", data: { n: -1 } }]);
    while (received.length < 601) {
      assert.ok(Date.now() - t0 < 5_000, "not woken by NOTIFY");
      await sleep(5);
    }
    controller.abort();
    await running;
    assert.ok(received[600]! - t0 < 2_000);
  });
});
