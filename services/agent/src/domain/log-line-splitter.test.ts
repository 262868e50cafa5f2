import assert from "node:assert/strict";
import { test } from "node:test";
import { containerOfTask, cutLineBlock, MAX_LINE_BYTES } from "./log-line-splitter.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
/** A cut as its decoded lines (the block's `\n`-ended lines) and the bytes it consumed. */
function cut(s: string | Uint8Array, final: boolean, maxLines?: number): { lines: string[]; consumed: number } {
  const c = cutLineBlock(typeof s === "string" ? bytes(s) : s, final, maxLines);
  const text = Buffer.from(c.block).toString("utf8");
  assert.ok(text === "" || text.endsWith("\n"), "every line of a block ends with a newline");
  const lines = text === "" ? [] : text.slice(0, -1).split("\n");
  assert.equal(lines.length, c.lines, "the block holds as many lines as the cut says");
  return { lines, consumed: c.consumed };
}

test("complete lines are cut; a partial last line waits unless the output is final", () => {
  assert.deepEqual(cut("a\nbb\r\nccc", false), { lines: ["a", "bb"], consumed: 6 });
  assert.deepEqual(cut("a\nbb\r\nccc", true), { lines: ["a", "bb", "ccc"], consumed: 9 });
  assert.deepEqual(cut("", true), { lines: [], consumed: 0 });
  assert.deepEqual(cut("\n\n", false), { lines: ["", ""], consumed: 2 });
  assert.deepEqual(cut("x\r\r\ny\r", true), { lines: ["x\r", "y\r"], consumed: 6 }, "only the \\r right before a \\n goes");
});

test("a block of plain lines is the buffer's own bytes; at most maxLines are cut", () => {
  const buf = bytes("one\ntwo\nthree\n");
  const whole = cutLineBlock(buf, false);
  assert.equal(whole.block.buffer, buf.buffer, "no copy");
  assert.deepEqual(cut(buf, false, 2), { lines: ["one", "two"], consumed: 8 });
});

test("a line longer than the limit is shipped in pieces", () => {
  const long = "x".repeat(MAX_LINE_BYTES + 10);
  const { lines, consumed } = cut(`${long}\nnext`, false);
  assert.deepEqual(lines.map((l) => l.length), [MAX_LINE_BYTES, 10]);
  assert.equal(consumed, MAX_LINE_BYTES + 11);
});

test("a pod task's container comes from its id", () => {
  assert.equal(containerOfTask("inst-1.web", "inst-1"), "web");
  assert.equal(containerOfTask("app.123", "other"), "");
});

test("UTF-8 output is cut by bytes and kept as it is", () => {
  const buf = bytes("héllo\nwörld\npart");
  assert.deepEqual(cut(buf, false), { lines: ["héllo", "wörld"], consumed: bytes("héllo\nwörld\n").length });
  assert.deepEqual(cut(buf, true).lines, ["héllo", "wörld", "part"]);
});
