import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { columnBytes, logCursor, logCursorPosition, logsV1, readLogLines } from "./index.ts";

type LinesInit = MessageInitShape<typeof logsV1.LogLinesSchema>;

const a = create(logsV1.LogSourceSchema, { taskId: "a", stream: "stdout" });
const b = create(logsV1.LogSourceSchema, { component: "scheduler", stream: "log" });
// The last line holds a byte that is not UTF-8 (0xff).
const block = Buffer.concat([Buffer.from("hello\n\ngrüße ✓ 🚀\n\ufeffbom kept\nbad "), Buffer.of(0xff), Buffer.from(" utf-8\n")]);
const positions = [65_536, 65_537, 2 ** 40, 2 ** 53 - 1, 2 ** 53 - 2];
const times = [1_764_500_000_000_000, 1_764_500_000_000_000, 0, 9_007_199_254_740_991, 1];
const columns = (extra: Partial<LinesInit> = {}): LinesInit => ({
  texts: block,
  positions: columnBytes(Float64Array.from(positions)),
  timesUnixMicros: columnBytes(Float64Array.from(times)),
  levels: [0, 30, 50, 0, 60],
  sources: [0, 1, 0, 1, 0],
  ...extra,
});
/** As a client gets it: through the wire (the columns are views at any offset of the received bytes). */
const answer = (lines: LinesInit | undefined, sources = [a, b]) =>
  fromBinary(logsV1.FollowLogsResponseSchema, toBinary(logsV1.FollowLogsResponseSchema, create(logsV1.FollowLogsResponseSchema, { sources, ...(lines ? { lines } : {}) })));

test("an answer's lines read from its columns: text, position, cursor, time, level and source of each", () => {
  const r = readLogLines(answer(columns()));
  assert.equal(r.count, 5);
  assert.deepEqual(Array.from({ length: r.count }, (_, i) => r.text(i)), ["hello", "", "grüße ✓ 🚀", "\ufeffbom kept", "bad \ufffd utf-8"]);
  assert.deepEqual(Array.from({ length: r.count }, (_, i) => [r.position(i), r.timeUnixMicros(i), r.level(i), r.source(i).taskId || r.source(i).component]), [
    [65_536, 1_764_500_000_000_000, 0, "a"],
    [65_537, 1_764_500_000_000_000, 30, "scheduler"],
    [2 ** 40, 0, 50, "a"],
    [2 ** 53 - 1, 9_007_199_254_740_991, 0, "scheduler"],
    [2 ** 53 - 2, 1, 60, "a"],
  ]);
  assert.equal(r.cursor(0), "g1.1ekg");
  assert.equal(r.cursor(3), `g1.${(2n ** 53n - 1n).toString(36)}`);
  assert.throws(() => r.text(5), RangeError);
  const none = readLogLines(answer(undefined, []));
  assert.equal(none.count, 0);
});

test("cursors: base 36 of the position behind g1., exact up to 2^53 and for int64 positions; anything else is not one", () => {
  for (const p of [0n, 35n, 65_536n, 2n ** 53n - 1n, 2n ** 63n - 1n]) {
    assert.equal(logCursorPosition(logCursor(p)), p);
    if (p < 2n ** 53n) assert.equal(logCursor(Number(p)), logCursor(p));
  }
  for (const bad of ["", "x", "g1.", "g1.ABC", "g2.abc", "g1.abc;drop", "g1.12345678901234"]) assert.equal(logCursorPosition(bad), undefined, bad);
  assert.throws(() => logCursor(-1), RangeError);
  assert.throws(() => logCursor(0.5), RangeError);
  assert.throws(() => logCursor(2 ** 53), RangeError);
});

test("a line naming a source the answer lacks, or columns that disagree, is an error naming what is wrong, never a line without its source", () => {
  assert.throws(() => readLogLines(answer(columns({ sources: [0, 1, 2, 0, 0] }))), /line 2 names source 2 of 2/);
  assert.throws(() => readLogLines(answer(columns(), [a])), /line 1 names source 1 of 1/);
  assert.throws(() => readLogLines(answer(columns({ sources: [0, 0, 0, 0] }))), /sources column has 4 entries for 5 lines/);
  assert.throws(() => readLogLines(answer(columns({ sources: [0, 0, 0, 0, 0, 0] }))), /sources column has 6 entries for 5 lines/);
  assert.throws(() => readLogLines(answer(columns({ levels: [0, 0, 0, 0, 0, 0] }))), /levels column has 6 entries for 5 lines/);
  assert.throws(() => readLogLines(answer(columns({ levels: [0] }))), /levels column has 1 entries for 5 lines/);
  assert.throws(() => readLogLines(answer(columns({ positions: columnBytes(Float64Array.of(1, 2, 3, 4)) }))), /positions column has 32 bytes for 5 lines/);
  assert.throws(() => readLogLines(answer(columns({ positions: columnBytes(Float64Array.of(1, 2, 3, 4, 5, 6)) }))), /positions column has 48 bytes for 5 lines/);
  assert.throws(() => readLogLines(answer(columns({ timesUnixMicros: new Uint8Array(41) }))), /times_unix_micros column has 41 bytes for 5 lines/);
  assert.throws(() => readLogLines(answer(columns({ texts: block.subarray(0, block.length - 1) }))), /texts do not end with a newline/);
  assert.throws(() => readLogLines(answer(columns({ texts: Buffer.from("one\n") }))), /for 1 lines/);
  assert.throws(() => readLogLines(answer(undefined)), /2 sources come without lines/, "an older service's answer (lines as messages) is refused, not read as empty");
});
