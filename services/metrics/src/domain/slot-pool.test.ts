import { test } from "node:test";
import assert from "node:assert/strict";
import { SlotPool } from "./slot-pool.ts";

test("slots are carved from shared slabs, handed out zeroed, and reused once given back", () => {
  const pool = new SlotPool(10, 30); // three slots per slab
  const slots = [pool.take(), pool.take(), pool.take(), pool.take()];
  assert.deepEqual(slots.map((s) => pool.offset(s)), [0, 10, 20, 0]);
  assert.equal(pool.slab(slots[0]!), pool.slab(slots[2]!), "the first three share a slab");
  assert.notEqual(pool.slab(slots[3]!), pool.slab(slots[0]!), "the fourth starts the next one");
  pool.slab(slots[1]!).fill(7, pool.offset(slots[1]!), pool.offset(slots[1]!) + 10);
  assert.equal(pool.inUse(), 4);
  pool.give(slots[1]!);
  assert.equal(pool.inUse(), 3);
  const again = pool.take();
  assert.equal(again, slots[1], "a given-back slot is handed out before a new one");
  assert.deepEqual([...pool.slab(again).subarray(pool.offset(again), pool.offset(again) + 10)], new Array(10).fill(0), "zeroed when handed out again");
  assert.equal(pool.slab(slots[0]!)[pool.offset(slots[0]!) + 10 - 1], 0, "its neighbours untouched");
});
