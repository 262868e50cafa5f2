import { test } from "node:test";
import assert from "node:assert/strict";
import { BitReader, BitWriter } from "./bit-stream.ts";

test("reads back fields of every width at every bit offset, up to the last bit, and refuses to read past it", () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const fields: Array<[value: number, width: number]> = [];
  const w = new BitWriter(4);
  for (let i = 0; i < 2000; i++) {
    const width = Math.floor(rnd() * 33); // 0..32
    const value = width === 0 ? 0 : Math.floor(rnd() * 2 ** width);
    fields.push([value, width]);
    w.write(value, width);
  }
  // All-ones fields at the very end, so the last reads use the buffer's final bytes.
  for (const width of [32, 31, 7, 1]) {
    fields.push([2 ** width - 1, width]);
    w.write(2 ** width - 1, width);
  }
  const r = new BitReader(w.bytes(), w.bitLength);
  fields.forEach(([value, width], i) => assert.equal(r.read(width), value, `field ${i} (${width} bits)`));
  assert.throws(() => r.read(1), RangeError);
});
