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
  assert.deepEqual([r.isoTime(0), r.isoTime(2), r.isoTime(4)], ["2025-11-30T10:53:20.000Z", "1970-01-01T00:00:00.000Z", "1970-01-01T00:00:00.000Z"], "to the millisecond, rounded down");
  assert.equal(r.cursor(0), "g1.1ekg");
  assert.equal(r.cursor(3), `g1.${(2n ** 53n - 1n).toString(36)}`);
  assert.throws(() => r.text(5), RangeError);
  const none = readLogLines(answer(undefined, []));
  assert.equal(none.count, 0);
});

test("a line starting with U+FEFF keeps it, first line of the answer included (not dropped as a byte order mark)", () => {
  const texts = Buffer.from("\ufeffstarts with a BOM\n\ufeff\n");
  const r = readLogLines(answer({ texts, positions: columnBytes(Float64Array.of(1, 2)), timesUnixMicros: columnBytes(Float64Array.of(0, 0)), levels: [0, 0], sources: [0, 0] }));
  assert.deepEqual([r.text(0), r.text(1)], ["\ufeffstarts with a BOM", "\ufeff"]);
});

test("cursors: base 36 of the position behind g1., exact up to 2^53 and for int64 positions; anything else is not one", () => {
  for (const p of [0n, 35n, 65_536n, 2n ** 53n - 1n, 2n ** 63n - 1n]) {
    assert.equal(logCursorPosition(logCursor(p)), p);
    if (p < 2n ** 53n) assert.equal(logCursor(Number(p)), logCursor(p));
  }
  for (const bad of ["", "x", "g1.", "g1.ABC", "g2.abc", "g1.abc;drop", "g1.12345678901234"]) assert.equal(logCursorPosition(bad), undefined, bad);
  // 13 digits reach past int64: such a cursor is refused here (InvalidArgument), not by PostgreSQL ("bigint out of range").
  for (const beyond of [`g1.${(2n ** 63n).toString(36)}`, "g1.zzzzzzzzzzzzz"]) assert.equal(logCursorPosition(beyond), undefined, beyond);
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

/** A protobuf field of wire type 2 (length-delimited), lengths below 128. */
const field = (no: number, bytes: Uint8Array | string) => {
  const value = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  assert.ok(value.length < 128);
  return Buffer.concat([Buffer.of((no << 3) | 2, value.length), value]);
};

test("an answer of a logs service from before issue 10 (lines as messages in field 1, with or without sources) is refused, not read as no line", () => {
  // LogLine as it was: cursor = 1, text = 12 (and, before sources, task_id = 7 on the line itself).
  const line = Buffer.concat([field(1, "g1.1ekg"), field(12, "hello")]);
  const withSourceFields = Buffer.concat([line, field(7, "a")]);
  const source = field(5, "a");
  const olds = [
    ["QueryLogsResponse", logsV1.QueryLogsResponseSchema, Buffer.concat([field(1, withSourceFields), field(2, "g1.1ekg")])],
    ["QueryLogsResponse with sources", logsV1.QueryLogsResponseSchema, Buffer.concat([field(1, line), field(1, line), field(2, "g1.1ekh"), field(3, source)])],
    ["FollowLogsResponse", logsV1.FollowLogsResponseSchema, field(1, withSourceFields)],
    ["FollowLogsResponse with sources", logsV1.FollowLogsResponseSchema, Buffer.concat([field(1, line), field(1, line), field(2, source)])],
  ] as const;
  for (const [name, schema, bytes] of olds) {
    const decoded = fromBinary(schema, bytes);
    assert.equal(decoded.lines, undefined, name);
    assert.throws(() => readLogLines(decoded), /lines come as messages \(field 1, before issue 10\).*another release/, name);
  }
  // An older service's answer holding no line has no field 1: read as no line, as it means.
  assert.equal(readLogLines(fromBinary(logsV1.QueryLogsResponseSchema, field(2, "g1.1ekg"))).count, 0);
});
