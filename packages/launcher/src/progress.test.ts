import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { createProgress, formatStepLine } from "./progress.ts";

test("formatStepLine: label, ok or FAIL, seconds with one decimal, detail in parentheses", () => {
  assert.equal(formatStepLine("starting NATS on 127.0.0.1:4222", true, 1234), "starting NATS on 127.0.0.1:4222 … ok 1.2 s");
  assert.equal(formatStepLine("opening database gantry_x", true, 50, "created"), "opening database gantry_x … ok 0.1 s (created)");
  assert.equal(formatStepLine("starting PostgreSQL", false, 400), "starting PostgreSQL … FAIL 0.4 s");
});

test("a step writes one line when it ends, and a failed one says FAIL and rethrows", async () => {
  const out = new PassThrough();
  let clock = 0;
  const progress = createProgress(out, () => clock);
  const value = await progress.step("first", async () => ((clock += 2_000), 7), (n) => `n=${n}`);
  assert.equal(value, 7);
  await assert.rejects(progress.step("second", async () => ((clock += 100), Promise.reject(new Error("boom")))), /boom/);
  assert.equal(out.read().toString(), "first … ok 2.0 s (n=7)\nsecond … FAIL 0.1 s\n");
});
