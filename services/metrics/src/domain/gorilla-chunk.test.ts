import { test } from "node:test";
import assert from "node:assert/strict";
import { GorillaEncoder, decodeChunk } from "./gorilla-chunk.ts";

function roundTrip(samples: Array<[number, number]>): Array<[number, number]> {
  const enc = new GorillaEncoder();
  for (const [t, v] of samples) assert.equal(enc.append(t, v), undefined, `append ${t}`);
  const out: Array<[number, number]> = [];
  decodeChunk(enc.bytes(), enc.count, (t, v) => out.push([t, v]));
  return out;
}

test("round-trips timestamps in every delta-of-delta bucket and awkward float values", () => {
  const t0 = 1_764_000_000_123;
  const deltas = [10_000, 10_000, 10_001, 9_990, 10_000 + 8191, 10_000 - 8192, 70_000, 600_000, 5_000_000, 1, 1, 2_000_000_000];
  const values = [0, -0, 1.5, 1.5, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, 123456789.123, -42, 2 ** 53, 0.1 + 0.2];
  const samples: Array<[number, number]> = [];
  let t = t0;
  for (let i = 0; i < values.length; i++) {
    samples.push([t, values[i]!]);
    t += deltas[i] ?? 10_000;
  }
  const out = roundTrip(samples);
  assert.equal(out.length, samples.length);
  for (let i = 0; i < samples.length; i++) {
    assert.equal(out[i]![0], samples[i]![0], `timestamp ${i}`);
    assert.ok(Object.is(out[i]![1], samples[i]![1]), `value ${i}: ${out[i]![1]} vs ${samples[i]![1]}`);
  }
});

test("random walks and counters decode exactly", () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const samples: Array<[number, number]> = [];
  let v = 100;
  let t = 1_700_000_000_000;
  for (let i = 0; i < 1000; i++) {
    t += 1000 + Math.floor(rnd() * 50);
    v += rnd() < 0.3 ? 0 : (rnd() - 0.5) * 10;
    samples.push([t, i % 3 === 0 ? v : Math.round(v)]);
  }
  assert.deepEqual(roundTrip(samples), samples);
});

test("a regular series of constant values costs about a bit per timestamp and per value", () => {
  const enc = new GorillaEncoder();
  for (let i = 0; i < 120; i++) enc.append(1_700_000_000_000 + i * 10_000, 42);
  // 16 bytes header + one delta bucket, then 2 bits per sample.
  assert.ok(enc.bytes().length <= 16 + 4 + 30, `${enc.bytes().length} bytes`);
});

test("refuses an older or repeated timestamp and a gap that does not fit 32 bits", () => {
  const enc = new GorillaEncoder();
  enc.append(1000, 1);
  enc.append(2000, 2);
  assert.equal(enc.append(2000, 3), "duplicate");
  assert.equal(enc.append(1500, 3), "out-of-order");
  assert.equal(enc.append(2000 + 2 ** 33, 3), "gap-too-large");
  assert.equal(enc.count, 2);
});

test("decoding fewer bytes than the count says throws instead of inventing samples", () => {
  const enc = new GorillaEncoder();
  for (let i = 0; i < 10; i++) enc.append(i * 1000, Math.random());
  assert.throws(() => decodeChunk(enc.bytes().slice(0, 20), 10, () => {}), RangeError);
});
