import assert from "node:assert/strict";
import { test } from "node:test";
import { ColumnArena } from "./column-arena.ts";

test("columns handed out between resets never overlap, and outgrowing the arena leaves earlier ones intact", () => {
  const arena = new ColumnArena();
  const handed = [3000, 1, 0, 2000, 9000].map((n, i) => {
    const c = arena.columns(n);
    assert.equal(c.timestamps.length, n);
    assert.equal(c.values.length, n);
    c.timestamps.fill(i);
    c.values.fill(-i);
    return c;
  });
  handed.forEach((c, i) => {
    assert.ok(c.timestamps.every((t) => t === i), `timestamps of columns ${i}`);
    assert.ok(c.values.every((v) => v === -i), `values of columns ${i}`);
  });
});

test("after a reset the arena hands out the same memory again (no new buffers once grown)", () => {
  const arena = new ColumnArena();
  const first = arena.columns(5000);
  arena.reset();
  const again = arena.columns(5000);
  assert.equal(again.timestamps.buffer, first.timestamps.buffer);
  assert.equal(again.values.buffer, first.values.buffer);
  assert.equal(again.timestamps.byteOffset, first.timestamps.byteOffset);
});

test("an answer too large to keep gets columns of its own", () => {
  const arena = new ColumnArena();
  const small = arena.columns(10);
  const huge = arena.columns(2_000_000);
  assert.equal(huge.timestamps.length, 2_000_000);
  assert.notEqual(huge.timestamps.buffer, small.timestamps.buffer);
  arena.reset();
  assert.equal(arena.columns(10).timestamps.buffer, small.timestamps.buffer);
});
