import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createLogger } from "../logging/index.ts";
import { createEventStoreFixture, type EventStoreFixture } from "../eventstore/event-store.test-fixture.ts";
import { FencedOutError } from "../eventstore/transaction.ts";
import { eventually } from "../testing/index.ts";
import { runForLease, type LeaseTerm } from "./leader-lease.ts";

const logger = createLogger("lease-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });

/** A campaigner that records its terms and holds each until it is told to end or the term ends. */
function campaigner(fx: EventStoreFixture, name: string, holder: string, options: { renewIntervalMs?: number; staleAfterMs?: number } = {}) {
  const stop = new AbortController();
  const terms: LeaseTerm[] = [];
  let current: LeaseTerm | undefined;
  const done = runForLease({ pool: fx.otherStore().pool, name, holder, logger, signal: stop.signal, retryIntervalMs: 100, ...options }, async (term) => {
    terms.push(term);
    current = term;
    await new Promise<void>((resolve) => term.signal.addEventListener("abort", () => resolve(), { once: true }));
    current = undefined;
  });
  return {
    terms,
    leading: () => current,
    async stop() {
      stop.abort();
      await done;
    },
  };
}

describe("leader lease", () => {
  let fx: EventStoreFixture;
  before(async () => {
    fx = await createEventStoreFixture("lease");
  });
  after(() => fx.close());

  const leaseBackend = async (name: string) => (await fx.pool.query("SELECT backend_pid FROM leases WHERE name = $1", [name])).rows[0].backend_pid as number;

  test("one holder at a time; when the holder's connection dies the other takes over at once with a higher epoch, and the old epoch's writes are fenced out", async () => {
    const a = campaigner(fx, "sched", "a");
    const b = campaigner(fx, "sched", "b");
    try {
      const first = await eventually("a first leader", () => a.leading() ?? b.leading());
      await new Promise((r) => setTimeout(r, 300));
      assert.equal([a.leading(), b.leading()].filter(Boolean).length, 1, "exactly one leads");
      assert.equal(first.epoch, 1n);
      await fx.store.transaction((tx) => tx.appendMany([{ streamId: "instance-1", expectedVersion: "no_stream", events: [{ type: "Placed", data: {} }] }]), { fence: first.fence });

      const killedAt = Date.now();
      await fx.pool.query("SELECT pg_terminate_backend($1)", [await leaseBackend("sched")]);
      const second = await eventually("a take-over", () => [a.leading(), b.leading()].find((t) => t !== undefined && t !== first), 5_000);
      const takeoverMs = Date.now() - killedAt;
      assert.ok(takeoverMs < 2_000, `taken over in ${takeoverMs} ms`);
      assert.equal(second.epoch, 2n);
      assert.ok(first.signal.aborted, "the old term ended");
      await assert.rejects(
        fx.store.transaction((tx) => tx.appendMany([{ streamId: "instance-2", expectedVersion: "no_stream", events: [{ type: "Placed", data: {} }] }]), { fence: first.fence }),
        FencedOutError,
      );
      const acquired = await fx.store.readStream("lease-sched");
      assert.deepEqual(
        acquired.map((e) => [e.type, e.data.epoch]),
        [
          ["LeaseAcquired", "1"],
          ["LeaseAcquired", "2"],
        ],
        "every take-over is in the log with its epoch",
      );
      assert.equal(acquired[1]!.data.previousHolder, first.holder);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test("a holder that stops renewing (hung) is ended by a candidate, which takes over", async () => {
    const hung = campaigner(fx, "hung", "hung", { renewIntervalMs: 60_000 });
    await eventually("the first holder", () => hung.leading());
    const candidate = campaigner(fx, "hung", "candidate", { staleAfterMs: 800 });
    try {
      const term = await eventually("the candidate to take over", () => candidate.leading(), 10_000);
      assert.equal(term.epoch, (hung.terms[0]?.epoch ?? 0n) + 1n);
      await eventually("the hung holder's term to end", () => hung.terms[0]!.signal.aborted);
    } finally {
      await hung.stop();
      await candidate.stop();
    }
  });

  test("stopping the campaign ends the term and frees the lease for others", async () => {
    const a = campaigner(fx, "handover", "a");
    await eventually("a to lead", () => a.leading());
    const b = campaigner(fx, "handover", "b");
    try {
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(b.leading(), undefined, "b stands by while a leads");
      await a.stop();
      assert.ok(a.terms[0]!.signal.aborted);
      const term = await eventually("b to take over", () => b.leading(), 5_000);
      assert.equal(term.epoch, 2n);
    } finally {
      await b.stop();
    }
  });
});
