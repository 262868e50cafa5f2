import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { hasCode } from "../errors/index.ts";
import { ConcurrencyError } from "./concurrency-error.ts";
import type { NewEvent } from "./event.ts";
import { createEventStoreFixture, type EventStoreFixture } from "./event-store.test-fixture.ts";

const ev = (type: string, data: Record<string, string | number> = {}): NewEvent => ({ type, data });

describe("EventStore append and read", () => {
  let fx: EventStoreFixture;
  before(async () => (fx = await createEventStoreFixture("es_append")));
  after(() => fx.close());

  test("appends to a new stream and reads it back in version order with metadata", async () => {
    const metadata = { correlationId: "c-1", principal: "user:alice", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
    const result = await fx.store.append("app-/shop/web", "no_stream", [
      { type: "AppCreated", data: { deploymentId: "d1" }, metadata },
      { type: "AppUpdated", data: { deploymentId: "d2" }, schemaVersion: 2 },
    ]);
    assert.ok(result.ok);
    assert.equal(result.nextVersion, 2);
    assert.equal(result.lastPosition - result.firstPosition, 1n);

    const events = await fx.store.readStream("app-/shop/web");
    assert.deepEqual(
      events.map((e) => [e.streamVersion, e.type, e.schemaVersion, e.streamType, e.data]),
      [
        [1, "AppCreated", 1, "app", { deploymentId: "d1" }],
        [2, "AppUpdated", 2, "app", { deploymentId: "d2" }],
      ],
    );
    assert.deepEqual(events[0]!.metadata, metadata);
    assert.deepEqual(events[1]!.metadata, {});
    assert.equal(events[0]!.globalPosition, result.firstPosition);
    assert.equal(typeof events[0]!.transactionId, "bigint");
    assert.equal(events[0]!.transactionId, events[1]!.transactionId, "one append is one transaction");
    assert.ok(events[0]!.recordedAt instanceof Date);
    assert.equal(await fx.store.streamVersion("app-/shop/web"), 2);

    const next = await fx.store.append("app-/shop/web", 2, [ev("AppDeleted")]);
    assert.ok(next.ok && next.nextVersion === 3);
    assert.deepEqual((await fx.store.readStream("app-/shop/web", { fromVersion: 3 })).map((e) => e.type), ["AppDeleted"]);
  });

  test("a stale expected version is a conflict carrying the actual version, and writes nothing", async () => {
    await fx.store.appendOrThrow("instance-a1", "no_stream", [ev("InstanceStaged"), ev("InstanceRunning")]);
    assert.deepEqual(await fx.store.append("instance-a1", 1, [ev("InstanceKilled")]), { ok: false, actualVersion: 2 });
    assert.deepEqual(await fx.store.append("instance-a1", "no_stream", [ev("InstanceKilled")]), { ok: false, actualVersion: 2 });
    assert.deepEqual(await fx.store.append("instance-missing", 3, [ev("InstanceKilled")]), { ok: false, actualVersion: 0 });
    assert.equal(await fx.store.streamVersion("instance-missing"), 0);
    assert.equal((await fx.store.readStream("instance-a1")).length, 2);

    await assert.rejects(fx.store.appendOrThrow("instance-a1", 5, [ev("InstanceKilled")]), (err: unknown) => {
      assert.ok(err instanceof ConcurrencyError);
      assert.ok(hasCode(err, "Aborted") && err.retryable);
      assert.equal(err.streamId, "instance-a1");
      assert.equal(err.expectedVersion, 5);
      assert.equal(err.actualVersion, 2);
      return true;
    });
  });

  test("setCheckpoint moves a checkpoint forward and never back: a late write of an older position is ignored", async () => {
    const at = (n: number) => ({ transactionId: BigInt(n), globalPosition: BigInt(n * 10) });
    await fx.store.setCheckpoint("late-writer", at(5));
    await fx.store.setCheckpoint("late-writer", at(3));
    assert.deepEqual(await fx.store.checkpoint("late-writer"), at(5));
    await fx.store.setCheckpoint("late-writer", { transactionId: 5n, globalPosition: 49n });
    assert.deepEqual(await fx.store.checkpoint("late-writer"), at(5), "an older position in the same transaction too");
    await fx.store.setCheckpoint("late-writer", at(7));
    assert.deepEqual(await fx.store.checkpoint("late-writer"), at(7));
  });

  test("'any' appends without a check, creating the stream if needed", async () => {
    const first = await fx.store.append("agent-n1", "any", [ev("AgentRegistered")]);
    const second = await fx.store.append("agent-n1", "any", [ev("AgentHeartbeat"), ev("AgentHeartbeat")]);
    assert.ok(first.ok && first.nextVersion === 1);
    assert.ok(second.ok && second.nextVersion === 3);
  });

  test("concurrent writers at the same expected version: exactly one wins", async () => {
    await fx.store.appendOrThrow("deployment-race", "no_stream", [ev("DeploymentStarted")]);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => fx.store.append("deployment-race", 1, [ev("DeploymentStep", { i })])));
    assert.equal(results.filter((r) => r.ok).length, 1);
    for (const r of results) if (!r.ok) assert.equal(r.actualVersion, 2);
    const created = await Promise.all(Array.from({ length: 8 }, () => fx.store.append("deployment-new", "no_stream", [ev("DeploymentStarted")])));
    assert.equal(created.filter((r) => r.ok).length, 1);
    assert.deepEqual(await fx.store.readStream("deployment-race").then((es) => es.map((e) => e.streamVersion)), [1, 2]);
  });

  test("appendMany writes several streams in one transaction, positions in input order", async () => {
    const result = await fx.store.appendManyOrThrow([
      { streamId: "instance-m1", expectedVersion: "no_stream", events: [ev("InstanceStaged"), ev("InstanceRunning")] },
      { streamId: "instance-m2", expectedVersion: 0, events: [ev("InstanceStaged")] },
      { streamId: "agent-n1", expectedVersion: 3, events: [ev("AgentHeartbeat")] },
    ]);
    assert.deepEqual(result.streams, [
      { streamId: "instance-m1", nextVersion: 2 },
      { streamId: "instance-m2", nextVersion: 1 },
      { streamId: "agent-n1", nextVersion: 4 },
    ]);
    assert.equal(result.lastPosition - result.firstPosition, 3n);
    const m1 = await fx.store.readStream("instance-m1");
    const m2 = await fx.store.readStream("instance-m2");
    const n1 = await fx.store.readStream("agent-n1", { fromVersion: 4 });
    const all = [...m1, ...m2, ...n1];
    assert.deepEqual(all.map((e) => e.globalPosition), [0n, 1n, 2n, 3n].map((d) => result.firstPosition + d));
    assert.equal(new Set(all.map((e) => e.transactionId)).size, 1, "one transaction id");
  });

  test("appendMany is all-or-nothing: one stale stream rolls back every stream", async () => {
    const countEvents = async () => Number((await fx.pool.query("SELECT count(*) AS n FROM events")).rows[0].n);
    const before = await countEvents();
    const result = await fx.store.appendMany([
      { streamId: "instance-m3", expectedVersion: "no_stream", events: [ev("InstanceStaged")] },
      { streamId: "instance-m1", expectedVersion: 1, events: [ev("InstanceKilled")] },
      { streamId: "instance-m2", expectedVersion: 1, events: [ev("InstanceKilled")] },
    ]);
    assert.deepEqual(result, { ok: false, conflicts: [{ streamId: "instance-m1", expectedVersion: 1, actualVersion: 2 }] });
    assert.equal(await fx.store.streamVersion("instance-m3"), 0, "the new stream was rolled back");
    assert.equal(await fx.store.streamVersion("instance-m2"), 1, "the accepted stream's version was rolled back");
    // Counted directly, not through the reader: its horizon is server-wide and moves with other tests.
    assert.equal(await countEvents(), before, "no events written");
    await assert.rejects(
      fx.store.appendManyOrThrow([{ streamId: "instance-m1", expectedVersion: 0, events: [ev("InstanceKilled")] }]),
      (err: unknown) => err instanceof ConcurrencyError && err.actualVersion === 2 && err.streamId === "instance-m1",
    );
  });

  test("rejects malformed input as InvalidArgument", async () => {
    await assert.rejects(fx.store.append("nodash", "any", [ev("X")]), (e: unknown) => hasCode(e, "InvalidArgument"));
    await assert.rejects(fx.store.append("app-", "any", [ev("X")]), (e: unknown) => hasCode(e, "InvalidArgument"));
    await assert.rejects(fx.store.append("app-x", "any", []), (e: unknown) => hasCode(e, "InvalidArgument"));
    await assert.rejects(fx.store.append("app-x", "any", [ev("bad.type")]), (e: unknown) => hasCode(e, "InvalidArgument"));
    await assert.rejects(fx.store.append("app-x", -1, [ev("X")]), (e: unknown) => hasCode(e, "InvalidArgument"));
    await assert.rejects(
      fx.store.append("app-nul", "any", [{ type: "X", data: { cmd: "a\u0000b" } }]),
      (e: unknown) => hasCode(e, "InvalidArgument") && /NUL/.test((e as Error).message),
    );
    assert.equal(await fx.store.streamVersion("app-nul"), 0, "nothing of the refused event was written");
    await assert.rejects(
      fx.store.appendMany([
        { streamId: "app-x", expectedVersion: "any", events: [ev("X")] },
        { streamId: "app-x", expectedVersion: "any", events: [ev("X")] },
      ]),
      (e: unknown) => hasCode(e, "InvalidArgument"),
    );
  });
});
