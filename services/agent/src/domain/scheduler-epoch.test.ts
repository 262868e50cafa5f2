import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatSchedulerEpoch, parseSchedulerEpoch, SchedulerEpoch } from "./scheduler-epoch.ts";

const LOG = "6f1c2a8e-0d3b-4e55-9a61-2b7c1d4e5f60";
const OTHER = "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d";

describe("SchedulerEpoch", () => {
  it("accepts every batch while nothing is known, including epoch 0", () => {
    const e = new SchedulerEpoch();
    assert.equal(e.highest, 0n);
    assert.deepEqual(e.admit("", 0n), { ok: true, raised: false });
  });

  it("given epoch 5 observed, refuses a batch of epoch 4 and accepts one of epoch 5", () => {
    const e = new SchedulerEpoch();
    assert.equal(e.observeRegistration(LOG, 5n), true);
    assert.equal(e.admit(LOG, 4n).ok, false);
    assert.equal(e.admit(LOG, 0n).ok, false);
    assert.deepEqual(e.admit(LOG, 5n), { ok: true, raised: false });
    assert.equal(e.highest, 5n);
  });

  it("a batch of a newer epoch is accepted and raises the highest, so the older leader is refused afterwards", () => {
    const e = new SchedulerEpoch({ logId: LOG, epoch: 3n });
    assert.deepEqual(e.admit(LOG, 7n), { ok: true, raised: true });
    assert.equal(e.highest, 7n);
    assert.equal(e.admit(LOG, 3n).ok, false);
  });

  it("within a log, a registration answer never lowers the highest epoch", () => {
    const e = new SchedulerEpoch({ logId: LOG, epoch: 9n });
    assert.equal(e.observeRegistration(LOG, 2n), false);
    assert.equal(e.observeRegistration("", 2n), false);
    assert.equal(e.highest, 9n);
  });

  it("a registration answer from another log (the cluster's database was replaced) starts the epochs afresh", () => {
    const e = new SchedulerEpoch({ logId: LOG, epoch: 9n });
    assert.equal(e.observeRegistration(OTHER, 1n), true);
    assert.deepEqual(e.snapshot(), { logId: OTHER, epoch: 1n });
    assert.deepEqual(e.admit(OTHER, 1n), { ok: true, raised: false });
    const stale = e.admit(LOG, 9n);
    assert.equal(stale.ok, false, "the old log's leader is refused whatever its epoch");
    assert.match(stale.ok ? "" : stale.reason, /another|not/);
  });

  it("a batch naming a log while none is known adopts it", () => {
    const e = new SchedulerEpoch();
    assert.deepEqual(e.admit(LOG, 2n), { ok: true, raised: true });
    assert.equal(e.logId, LOG);
    assert.equal(e.admit(OTHER, 5n).ok, false);
  });

  it("refuses a starting epoch outside uint64", () => {
    assert.throws(() => new SchedulerEpoch({ logId: "", epoch: -1n }), RangeError);
    assert.throws(() => new SchedulerEpoch({ logId: "", epoch: 2n ** 64n }), RangeError);
  });
});

describe("scheduler epoch file form", () => {
  it("round-trips, up to the largest uint64, with and without a log", () => {
    for (const epoch of [0n, 5n, 2n ** 64n - 1n]) {
      for (const logId of ["", LOG]) assert.deepEqual(parseSchedulerEpoch(formatSchedulerEpoch({ logId, epoch })), { logId, epoch });
    }
  });

  it("rejects anything but an optional log id and one decimal uint64", () => {
    for (const t of ["", "-1", "5x", "1.5", "0x10", "18446744073709551616", "1 2", `${LOG} x`, `${LOG}`]) assert.equal(parseSchedulerEpoch(t), undefined, t);
  });
});
