import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { columnBytes, logCursor, logsV1, readLogLines } from "@gantry/proto";
import { encodeFollowLogsResponse, encodeQueryLogsResponse } from "./log-lines.encoding.ts";
import type { LineRun } from "../domain/log-chunk.ts";
import type { LineSource } from "../domain/log-query.ts";

const web: LineSource = { agentId: "agent-1", hostname: "host-1", appId: "/web", instanceId: "web.i1", taskId: "web.t1", container: "", stream: "stdout", component: "" };
const scheduler: LineSource = { agentId: "", hostname: "h", appId: "", instanceId: "", taskId: "", container: "c", component: "scheduler", stream: "" };
const nowhere: LineSource = { agentId: "", hostname: "", appId: "", instanceId: "", taskId: "", container: "", stream: "", component: "" };
const T = 1_764_500_000_000_000;
/** A run of `texts` (given as pieces: each piece one or more lines) from `firstPos` on. */
const run = (source: LineSource, firstPos: number, pieces: string[], extra: Partial<Pick<LineRun, "times" | "levels">> = {}): LineRun => {
  const n = pieces.join("").split("\n").length - 1;
  return { source, texts: pieces.map((p) => Buffer.from(p)), positions: Array.from({ length: n }, (_, i) => firstPos + i), times: Array(n).fill(T), levels: Array(n).fill(0), ...extra };
};

// Shared and changing sources (an equal source in another object: one entry; a source with every
// field empty), texts in several pieces, empty and multi-byte lines, levels needing two varint
// bytes, times 0 and 2^53 − 1, positions past 2^32.
const runs: LineRun[] = [
  run(web, 65_536, ["hello\ngrüße ✓ 日本 ␤ 🚀\n", "\n", "x".repeat(300) + "\n"], { levels: [0, 0, 40, 200], times: [T, T, T + 1, 0] }),
  run(scheduler, 2 ** 40, ["other source\n"], { levels: [300] }),
  run({ ...web }, 2 ** 40 + 1, ["late\nback\n"], { times: [2 ** 53 - 1, 1], levels: [1, 0] }),
  run(nowhere, 2 ** 40 + 3, ["nowhere\n"]),
];
const sources = [web, scheduler, nowhere];
const columns = {
  texts: Buffer.concat(runs.flatMap((r) => r.texts)),
  positions: columnBytes(Float64Array.from(runs.flatMap((r) => r.positions))),
  timesUnixMicros: columnBytes(Float64Array.from(runs.flatMap((r) => r.times))),
  levels: runs.flatMap((r) => r.levels),
  sources: [0, 0, 0, 0, 1, 0, 0, 2],
};

test("answers are protobuf-es's bytes for a QueryLogsResponse and a FollowLogsResponse: columns, each source once", () => {
  const query = logsV1.QueryLogsResponseSchema;
  for (const next of ["", logCursor(2 ** 40 + 3)]) {
    const ours = encodeQueryLogsResponse(runs, next).bytes;
    assert.deepEqual(Buffer.from(ours), Buffer.from(toBinary(query, create(query, { lines: columns, nextCursor: next, sources }))));
    const r = readLogLines(fromBinary(query, ours));
    assert.deepEqual(Array.from({ length: r.count }, (_, i) => [r.text(i), r.source(i).taskId || r.source(i).component, r.position(i), r.timeUnixMicros(i), r.level(i)]), [
      ["hello", "web.t1", 65_536, T, 0],
      ["grüße ✓ 日本 ␤ 🚀", "web.t1", 65_537, T, 0],
      ["", "web.t1", 65_538, T + 1, 40],
      ["x".repeat(300), "web.t1", 65_539, 0, 200],
      ["other source", "scheduler", 2 ** 40, T, 300],
      ["late", "web.t1", 2 ** 40 + 1, 2 ** 53 - 1, 1],
      ["back", "web.t1", 2 ** 40 + 2, 1, 0],
      ["nowhere", "", 2 ** 40 + 3, T, 0],
    ]);
  }
  const follow = logsV1.FollowLogsResponseSchema;
  assert.deepEqual(Buffer.from(encodeFollowLogsResponse(runs).bytes), Buffer.from(toBinary(follow, create(follow, { lines: columns, sources }))));
  assert.equal(encodeFollowLogsResponse([]).bytes.length, 0);
  assert.deepEqual(Buffer.from(encodeQueryLogsResponse([], "g1.5").bytes), Buffer.from(toBinary(query, create(query, { nextCursor: "g1.5" }))));
});

test("1,000 lines of one source carry it once", () => {
  const many = Array.from({ length: 10 }, (_, k) => run({ ...web }, 1 + k * 100, [Array.from({ length: 100 }, (_, i) => `line ${k * 100 + i}\n`).join("")]));
  const r = readLogLines(fromBinary(logsV1.QueryLogsResponseSchema, encodeQueryLogsResponse(many, "").bytes));
  assert.equal(r.sources.length, 1);
  assert.equal(r.count, 1000);
  assert.deepEqual([r.text(999), r.position(999), r.source(999).taskId], ["line 999", 1000, "web.t1"]);
});
