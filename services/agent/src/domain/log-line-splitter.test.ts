import assert from "node:assert/strict";
import { test } from "node:test";
import { containerOfTask, MAX_LINE_BYTES, splitLines } from "./log-line-splitter.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

test("complete lines are cut; a partial last line waits unless the output is final", () => {
  assert.deepEqual(splitLines(bytes("a\nbb\r\nccc"), false), { lines: ["a", "bb"], consumed: 6 });
  assert.deepEqual(splitLines(bytes("a\nbb\r\nccc"), true), { lines: ["a", "bb", "ccc"], consumed: 9 });
  assert.deepEqual(splitLines(bytes(""), true), { lines: [], consumed: 0 });
  assert.deepEqual(splitLines(bytes("\n\n"), false), { lines: ["", ""], consumed: 2 });
});

test("a line longer than the limit is shipped in pieces", () => {
  const long = "x".repeat(MAX_LINE_BYTES + 10);
  const { lines, consumed } = splitLines(bytes(`${long}\nnext`), false);
  assert.deepEqual(lines.map((l) => l.length), [MAX_LINE_BYTES, 10]);
  assert.equal(consumed, MAX_LINE_BYTES + 11);
});

test("a pod task's container comes from its id", () => {
  assert.equal(containerOfTask("inst-1.web", "inst-1"), "web");
  assert.equal(containerOfTask("app.123", "other"), "");
});

test("UTF-8 output is cut by bytes and decoded per line", () => {
  const buf = bytes("héllo\nwörld\npart");
  assert.deepEqual(splitLines(buf, false), { lines: ["héllo", "wörld"], consumed: bytes("héllo\nwörld\n").length });
  assert.deepEqual(splitLines(buf, true).lines, ["héllo", "wörld", "part"]);
});
