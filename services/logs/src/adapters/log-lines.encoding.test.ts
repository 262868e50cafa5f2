import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { logsV1 } from "@gantry/proto";
import { encodeCursor } from "../domain/log-position.ts";
import { encodeFollowLogsResponse, encodeQueryLogsResponse } from "./log-lines.encoding.ts";
import type { StoredLine } from "../domain/log-chunk.ts";
import type { LineSource } from "../domain/log-query.ts";

const web: LineSource = { agentId: "agent-1", hostname: "host-1", appId: "/web", instanceId: "web.i1", taskId: "web.t1", container: "", stream: "stdout", component: "" };
const scheduler: LineSource = { agentId: "", hostname: "h", appId: "", instanceId: "", taskId: "", container: "c", component: "scheduler", stream: "" };
const line = (pos: bigint, text: string, extra: Partial<StoredLine> = {}): StoredLine => ({ pos, timeMicros: 1_764_500_000_000_000n, level: 0, text, source: web, ...extra });

// Shared and changing sources (an equal source in another object: one entry; a source with every
// field empty), shared and changing times, defaults (0, ""), multi-byte text, long lines (2-byte
// lengths), a time past 2^53 µs.
const lines: StoredLine[] = [
  line(1n, "hello"),
  line(2n, "grüße ✓ 日本 ␤ 🚀"),
  line(3n, "", { level: 40 }),
  line(4n, "x".repeat(300), { level: 200, timeMicros: 0n }),
  line(2n ** 40n, "other source", { source: scheduler }),
  line(2n ** 40n + 1n, "late", { timeMicros: 9_999_999_999_999_999n, source: { ...web } }),
  line(2n ** 40n + 2n, "back", { level: 1 }),
  line(2n ** 40n + 3n, "nowhere", { source: { agentId: "", hostname: "", appId: "", instanceId: "", taskId: "", container: "", stream: "", component: "" } }),
];
const sources = [web, scheduler, { agentId: "", hostname: "", appId: "", instanceId: "", taskId: "", container: "", stream: "", component: "" }];
const sourceIndex = [0, 0, 0, 0, 1, 0, 0, 2];
const asProto = (l: StoredLine, i: number) => ({ cursor: encodeCursor(l.pos), timeUnixMicros: l.timeMicros, level: l.level, text: l.text, source: sourceIndex[i]! });

test("answers are protobuf-es's bytes for a QueryLogsResponse and a FollowLogsResponse: each source once, lines naming theirs", () => {
  const query = logsV1.QueryLogsResponseSchema;
  for (const next of ["", encodeCursor(2n ** 40n + 3n)]) {
    const ours = encodeQueryLogsResponse(lines, next).bytes;
    assert.deepEqual(Buffer.from(ours), Buffer.from(toBinary(query, create(query, { lines: lines.map(asProto), nextCursor: next, sources }))));
    const decoded = fromBinary(query, ours);
    assert.deepEqual(decoded.lines.map((l) => [l.text, decoded.sources[l.source]!.taskId, decoded.sources[l.source]!.component]), lines.map((l) => [l.text, l.source.taskId, l.source.component]));
  }
  const follow = logsV1.FollowLogsResponseSchema;
  assert.deepEqual(Buffer.from(encodeFollowLogsResponse(lines).bytes), Buffer.from(toBinary(follow, create(follow, { lines: lines.map(asProto), sources }))));
  assert.equal(encodeFollowLogsResponse([]).bytes.length, 0);
  assert.deepEqual(Buffer.from(encodeQueryLogsResponse([], "g1.5").bytes), Buffer.from(toBinary(query, create(query, { nextCursor: "g1.5" }))));
});

test("1,000 lines of one source carry it once", () => {
  const many = Array.from({ length: 1000 }, (_, i) => line(BigInt(i + 1), `line ${i}`, { source: { ...web } }));
  const decoded = fromBinary(logsV1.QueryLogsResponseSchema, encodeQueryLogsResponse(many, "").bytes);
  assert.equal(decoded.sources.length, 1);
  assert.ok(decoded.lines.every((l) => l.source === 0));
});
