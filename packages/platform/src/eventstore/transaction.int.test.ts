import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { hasCode } from "../errors/index.ts";
import { startPostgresFaultProxy, type PostgresFaultProxy } from "../testing/index.ts";
import { EventStore } from "./event-store.ts";
import { createEventStoreFixture, type EventStoreFixture } from "./event-store.test-fixture.ts";
import { FencedOutError } from "./transaction.ts";

describe("EventStore.transaction", () => {
  let fx: EventStoreFixture;
  let proxy: PostgresFaultProxy;
  let proxiedPool: pg.Pool;
  let proxied: EventStore;
  before(async () => {
    fx = await createEventStoreFixture("es_tx");
    const target = new URL(fx.db.url);
    proxy = await startPostgresFaultProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5432) });
    proxiedPool = new pg.Pool({ connectionString: proxy.url(fx.db.url), max: 4 });
    proxiedPool.on("error", () => undefined);
    proxied = new EventStore({ pool: proxiedPool });
  });
  after(async () => {
    await proxied.close();
    await proxiedPool.end();
    await proxy.close();
    await fx.close();
  });

  test("a commit whose connection is lost after it happened is resolved as committed: the work's result, written once", async () => {
    proxy.armCommitLoss();
    const result = await proxied.transaction((tx) => tx.appendMany([{ streamId: "instance-lost1", expectedVersion: "no_stream", events: [{ type: "Placed", data: {} }] }]));
    assert.equal(proxy.stats.commitLossesFired, 1, "the connection was cut at COMMIT");
    assert.equal(result.streams[0]!.nextVersion, 1);
    assert.equal((await fx.store.readStream("instance-lost1")).length, 1, "written exactly once");
  });

  test("a commit whose connection is lost before it happened is resolved as rolled back: Unavailable, nothing written", async () => {
    proxy.armCommitDrop();
    await assert.rejects(
      proxied.transaction((tx) => tx.appendMany([{ streamId: "instance-lost2", expectedVersion: "no_stream", events: [{ type: "Placed", data: {} }] }])),
      (err: unknown) => hasCode(err, "Unavailable") && /rolled back/.test((err as Error).message),
    );
    assert.equal(proxy.stats.commitDropsFired, 1);
    assert.equal((await fx.store.readStream("instance-lost2")).length, 0, "nothing written");
  });

  test("a conflict rolls back everything the work did, including other statements", async () => {
    await fx.store.appendOrThrow("instance-c", "no_stream", [{ type: "Placed", data: {} }]);
    await fx.pool.query("CREATE TABLE side_effects (n int)");
    await assert.rejects(
      fx.store.transaction(async (tx) => {
        await tx.query("INSERT INTO side_effects VALUES (1)");
        await tx.appendMany([
          { streamId: "instance-d", expectedVersion: "no_stream", events: [{ type: "Placed", data: {} }] },
          { streamId: "instance-c", expectedVersion: 0, events: [{ type: "Placed", data: {} }] },
        ]);
      }),
      (err: unknown) => hasCode(err, "Aborted"),
    );
    assert.equal((await fx.pool.query("SELECT count(*)::int AS n FROM side_effects")).rows[0].n, 0);
    assert.equal(await fx.store.streamVersion("instance-d"), 0);
    assert.equal(await fx.store.streamVersion("instance-c"), 1);
  });

  test("a fenced transaction commits while its lease is at its epoch and fails once the epoch moved", async () => {
    await fx.pool.query("INSERT INTO leases (name, epoch, holder, backend_pid) VALUES ('writer', 7, 'w1', 0)");
    const fence = { lease: "writer", epoch: 7n };
    await fx.store.transaction((tx) => tx.appendMany([{ streamId: "instance-f1", expectedVersion: "no_stream", events: [{ type: "Placed", data: {} }] }]), { fence });
    await fx.pool.query("UPDATE leases SET epoch = 8 WHERE name = 'writer'");
    await assert.rejects(
      fx.store.transaction((tx) => tx.appendMany([{ streamId: "instance-f2", expectedVersion: "no_stream", events: [{ type: "Placed", data: {} }] }]), { fence }),
      (err: unknown) => err instanceof FencedOutError && hasCode(err, "FailedPrecondition"),
    );
    assert.equal(await fx.store.streamVersion("instance-f2"), 0);
  });

  test("an epoch bump waits for a fenced transaction in flight, and no write of the old epoch lands after it", async () => {
    await fx.pool.query("INSERT INTO leases (name, epoch, holder, backend_pid) VALUES ('slow', 1, 'w1', 0)");
    let proceed!: () => void;
    const gate = new Promise<void>((r) => (proceed = r));
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    const inFlight = fx.store.transaction(
      async (tx) => {
        inside();
        await gate;
        return tx.appendMany([{ streamId: "instance-slow", expectedVersion: "no_stream", events: [{ type: "Placed", data: {} }] }]);
      },
      { fence: { lease: "slow", epoch: 1n } },
    );
    await entered;
    let bumped = false;
    const bump = fx.pool.query("UPDATE leases SET epoch = 2 WHERE name = 'slow'").then(() => (bumped = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(bumped, false, "the take-over waits for the old epoch's transaction");
    proceed();
    await inFlight;
    await bump;
    await assert.rejects(
      fx.store.transaction((tx) => tx.appendMany([{ streamId: "instance-slow2", expectedVersion: "no_stream", events: [{ type: "Placed", data: {} }] }]), { fence: { lease: "slow", epoch: 1n } }),
      FencedOutError,
    );
  });
});
