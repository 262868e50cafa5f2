import { test } from "node:test";
import assert from "node:assert/strict";
import { takeOutput } from "./exec-session.ts";

test("output that piled up goes out as one message per stream run, in order, at most 1 MiB each", () => {
  const chunk = (stream: "stdout" | "stderr", text: string) => ({ stream, data: Buffer.from(text) });
  const queue = [chunk("stdout", "a"), chunk("stdout", "b"), chunk("stderr", "E"), chunk("stdout", "c")];
  const taken = [];
  for (let m = takeOutput(queue); m; m = takeOutput(queue)) taken.push([m.stream, Buffer.concat(m.parts).toString(), m.size]);
  assert.deepEqual(taken, [["stdout", "ab", 2], ["stderr", "E", 1], ["stdout", "c", 1]]);
  const big = [{ stream: "stdout" as const, data: Buffer.alloc(700 << 10) }, { stream: "stdout" as const, data: Buffer.alloc(700 << 10) }];
  assert.equal(takeOutput(big)?.size, 700 << 10, "never over 1 MiB");
  assert.equal(big.length, 1);
});
