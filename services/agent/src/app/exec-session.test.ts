import { test } from "node:test";
import assert from "node:assert/strict";
import { takeMessage } from "./exec-session.ts";

test("output that piled up goes out as one message per stream run, in order, at most 1 MiB each", () => {
  const chunk = (stream: "stdout" | "stderr", text: string) => ({ stream, data: Buffer.from(text) });
  const queue = [chunk("stdout", "a"), chunk("stdout", "b"), chunk("stderr", "E"), chunk("stdout", "c")];
  const taken = [];
  for (let m = takeMessage(queue); m; m = takeMessage(queue)) taken.push([m.stream, m.data.toString()]);
  assert.deepEqual(taken, [["stdout", "ab"], ["stderr", "E"], ["stdout", "c"]]);
  const big = [{ stream: "stdout" as const, data: Buffer.alloc(700 << 10) }, { stream: "stdout" as const, data: Buffer.alloc(700 << 10) }];
  assert.equal(takeMessage(big)?.data.length, 700 << 10, "never over 1 MiB");
  assert.equal(big.length, 1);
});
