import { test } from "node:test";
import assert from "node:assert/strict";
import { columnBytes, float64Column } from "./metric-columns.ts";

test("a column is little-endian float64s, read back without a copy when aligned and with one when not", () => {
  const values = new Float64Array([1_764_000_000_000, -0.5, Number.NaN, 2 ** 53]);
  const bytes = columnBytes(values);
  assert.equal(bytes.length, 32);
  assert.deepEqual([...bytes.subarray(8, 16)], [0, 0, 0, 0, 0, 0, 0xe0, 0xbf], "-0.5, least significant byte first");
  const aligned = float64Column(bytes);
  assert.equal(aligned.buffer, values.buffer, "a view of the same bytes");
  assert.deepEqual([...aligned], [...values]);
  const shifted = new Uint8Array(33);
  shifted.set(bytes, 1); // as a column lands inside a received message: anywhere
  const copied = float64Column(shifted.subarray(1));
  assert.deepEqual([...copied], [...values]);
  assert.throws(() => float64Column(bytes.subarray(0, 12)), RangeError);
});
