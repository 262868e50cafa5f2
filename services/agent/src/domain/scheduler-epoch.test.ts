import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatSchedulerEpoch, parseSchedulerEpoch, SchedulerEpoch } from "./scheduler-epoch.ts";

describe("SchedulerEpoch", () => {
  it("accepts every batch while nothing is known, including epoch 0", () => {
    const e = new SchedulerEpoch();
    assert.equal(e.highest, 0n);
    assert.deepEqual(e.admit(0n), { ok: true, raised: false });
  });

  it("given epoch 5 observed, refuses a batch of epoch 4 and accepts one of epoch 5", () => {
    const e = new SchedulerEpoch();
    assert.equal(e.observe(5n), true);
    assert.deepEqual(e.admit(4n), { ok: false, epoch: 4n, highest: 5n });
    assert.deepEqual(e.admit(0n), { ok: false, epoch: 0n, highest: 5n });
    assert.deepEqual(e.admit(5n), { ok: true, raised: false });
    assert.equal(e.highest, 5n);
  });

  it("a batch of a newer epoch is accepted and raises the highest, so the older leader is refused afterwards", () => {
    const e = new SchedulerEpoch(3n);
    assert.deepEqual(e.admit(7n), { ok: true, raised: true });
    assert.equal(e.highest, 7n);
    assert.equal(e.admit(3n).ok, false);
  });

  it("observe never lowers the highest epoch", () => {
    const e = new SchedulerEpoch(9n);
    assert.equal(e.observe(2n), false);
    assert.equal(e.observe(9n), false);
    assert.equal(e.highest, 9n);
  });

  it("refuses a starting epoch outside uint64", () => {
    assert.throws(() => new SchedulerEpoch(-1n), RangeError);
    assert.throws(() => new SchedulerEpoch(2n ** 64n), RangeError);
  });
});

describe("scheduler epoch file form", () => {
  it("round-trips, up to the largest uint64", () => {
    for (const e of [0n, 5n, 2n ** 64n - 1n]) assert.equal(parseSchedulerEpoch(formatSchedulerEpoch(e)), e);
  });

  it("rejects anything but one decimal uint64", () => {
    for (const t of ["", "-1", "5x", "1.5", "0x10", "18446744073709551616", "1 2"]) assert.equal(parseSchedulerEpoch(t), undefined, t);
  });
});
