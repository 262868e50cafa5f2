import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { eventually } from "../testing/index.ts";
import { TransactionTooOldError } from "./append.ts";
import { createEventStoreFixture, type EventStoreFixture } from "./event-store.test-fixture.ts";

/**
 * Per-stream order for every reader. Readers order by (transaction_id, global_position), and a
 * transaction's id is taken at its first write, not at commit: an older transaction that writes
 * a stream AFTER a newer one did would put v+2 before v+1 in that order.
 */
describe("per-stream order in the commit-order reader", () => {
  let fx: EventStoreFixture;
  before(async () => {
    fx = await createEventStoreFixture("es_order");
  });
  after(() => fx.close());

  test("an older transaction that writes a stream after a newer one committed to it is rerun, so readers see the stream in version order", async () => {
    await fx.store.appendOrThrow("instance-s", "no_stream", [{ type: "Placed", data: { n: 0 } }]);
    let released!: () => void;
    const newerCommitted = new Promise<void>((resolve) => (released = resolve));
    const refusals: unknown[] = [];
    let runs = 0;
    // T1 takes its transaction id first (its first write), then waits while T2, newer, writes the
    // stream and commits; then T1 writes the same stream with `any`.
    const older = fx.store.transaction(async (tx) => {
      runs++;
      await tx.appendMany([{ streamId: "agent-a", expectedVersion: "any", events: [{ type: "Touched", data: { run: runs } }] }]);
      await newerCommitted;
      try {
        return await tx.appendMany([{ streamId: "instance-s", expectedVersion: "any", events: [{ type: "Killed", data: { by: "older" } }] }]);
      } catch (err) {
        refusals.push(err);
        throw err;
      }
    });
    // Wait until T1 holds its id, then commit T2.
    await eventually("the older transaction to take its id", async () => (runs > 0 ? true : undefined));
    await fx.store.appendOrThrow("instance-s", "any", [{ type: "Running", data: { by: "newer" } }]);
    released();
    await older;

    assert.equal(refusals.length, 1, "the older transaction's write was refused once");
    assert.ok(refusals[0] instanceof TransactionTooOldError);
    assert.equal(runs, 2, "and it ran again in a new transaction");
    const events = await eventually("every event below the horizon", async () => {
      const all = await fx.store.readAll({ limit: 100 });
      return all.filter((e) => e.streamId === "instance-s").length === 3 ? all : undefined;
    });
    const stream = events.filter((e) => e.streamId === "instance-s");
    assert.deepEqual(
      stream.map((e) => [e.streamVersion, e.type]),
      [
        [1, "Placed"],
        [2, "Running"],
        [3, "Killed"],
      ],
      "the commit-order reader shows the stream in version order",
    );
    assert.ok(stream[1]!.transactionId < stream[2]!.transactionId, "v3 was written by a newer transaction than v2");
  });

  test("many writers appending to overlapping streams with `any`: every stream reads back in version order with no gap", async () => {
    const streams = ["rollout-x", "rollout-y", "rollout-z"];
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 25; i++) {
          const picked = streams.filter((_, s) => (w + i + s) % 2 === 0);
          await fx.store.appendManyOrThrow((picked.length > 0 ? picked : streams).map((streamId) => ({ streamId, expectedVersion: "any" as const, events: [{ type: "Step", data: { w, i } }] })));
        }
      }),
    );
    const expected = new Map(await Promise.all(streams.map(async (s) => [s, await fx.store.streamVersion(s)] as const)));
    const events = await eventually("every event below the horizon", async () => {
      const all = (await fx.store.readAll({ limit: 10_000 })).filter((e) => streams.includes(e.streamId));
      return all.length === [...expected.values()].reduce((a, b) => a + b, 0) ? all : undefined;
    });
    const seen = new Map<string, number>();
    for (const e of events) {
      assert.equal(e.streamVersion, (seen.get(e.streamId) ?? 0) + 1, `${e.streamId} v${e.streamVersion} read in order`);
      seen.set(e.streamId, e.streamVersion);
    }
  });
});
