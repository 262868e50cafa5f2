import assert from "node:assert/strict";
import { test } from "node:test";
import { GantryError } from "@gantry/platform/errors";
import { logCursor } from "@gantry/proto";
import { decodeCursor, positionOf, sequenceOf } from "./log-position.ts";
import { compileQuery, compileSelection, matchesSelection } from "./log-query.ts";
import { expiredPartitions, parseDurationMs, partitionAt, partitionName, wantedPartitions } from "./partition-plan.ts";

const filter = (f: Partial<Parameters<typeof compileSelection>[0] & object>) => ({ taskId: "", taskIdPrefix: "", instanceId: "", appId: "", agentId: "", component: "", stream: "", minLevel: 0, sinceUnixMicros: 0n, untilUnixMicros: 0n, text: "", ...f });

test("positions order lines by batch then index; cursors round-trip and reject what we did not issue", () => {
  assert.ok(positionOf(7, 65_535) < positionOf(8, 0));
  assert.equal(sequenceOf(positionOf(123_456, 42)), 123_456n);
  const p = positionOf(2 ** 36, 65_535);
  assert.equal(decodeCursor(logCursor(p)), p);
  assert.equal(decodeCursor(""), undefined);
  // g1.zzzzzzzzzzzzz: 13 digits past int64, refused here rather than by PostgreSQL ("bigint out of range", Internal).
  for (const bad of ["x", "g1.", "g1.ABC", "g2.abc", "g1.abc;drop", "g1.zzzzzzzzzzzzz"]) {
    assert.throws(() => decodeCursor(bad), (e: GantryError) => e.code === "InvalidArgument" && e.violations[0]!.path === "/cursor", bad);
  }
});

test("a filter is validated field by field, every problem at once", () => {
  assert.deepEqual(compileSelection(filter({ taskId: "t", stream: "stderr", minLevel: 40 })), { taskId: "t", stream: "stderr", minLevel: 40 });
  try {
    compileSelection(filter({ stream: "stdin", minLevel: 70, sinceUnixMicros: 10n, untilUnixMicros: 5n, text: "x".repeat(1001) }));
    assert.fail("expected InvalidArgument");
  } catch (err) {
    assert.ok(err instanceof GantryError && err.code === "InvalidArgument");
    assert.deepEqual(err.violations.map((v) => v.path).sort(), ["/filter/minLevel", "/filter/stream", "/filter/text", "/filter/untilUnixMicros"]);
  }
  assert.throws(() => compileQuery({ filter: filter({}), cursor: "", skipPrev: 0, limit: 10_001 }), /limit 10001 is above 10000/);
  assert.equal(compileQuery({ filter: filter({}), cursor: "", skipPrev: 0, limit: 0 }).limit, 1_000);
});

test("a selection matches lines as the SQL does (live lines of a follow)", () => {
  const line = { source: { taskId: "web.1", instanceId: "i", appId: "/web", agentId: "a", component: "", stream: "stdout" }, level: 0, timeMicros: 5_000_000n, text: "Hello World" };
  assert.ok(matchesSelection({ taskIdPrefix: "web.", text: "world" }, line));
  assert.ok(!matchesSelection({ stream: "stderr" }, line));
  assert.ok(!matchesSelection({ sinceMicros: 6_000_000n }, line));
  assert.ok(!matchesSelection({ untilMicros: 5_000_000n }, line), "until is exclusive");
  assert.ok(!matchesSelection({ minLevel: 30 }, line), "task output has level 0");
});

test("partitions: named by their UTC start, wanted from the retention horizon to `ahead` past now, expired when wholly older", () => {
  const day = 86_400_000;
  const now = Date.parse("2026-11-30T12:34:00Z");
  assert.equal(partitionName(partitionAt(now, day).startMs), "log_chunks_p20261130t0000");
  assert.equal(partitionName(partitionAt(now, 3_600_000).startMs), "log_chunks_p20261130t1200");
  const plan = { intervalMs: day, retentionMs: 7 * day, ahead: 2 };
  const wanted = wantedPartitions(now, plan);
  assert.equal(wanted[0]!.name, "log_chunks_p20261123t0000");
  assert.equal(wanted.at(-1)!.name, "log_chunks_p20261202t0000");
  assert.deepEqual(expiredPartitions(wanted, now, plan), [], "the partition holding the horizon is kept");
  assert.deepEqual(expiredPartitions(wanted, now + day, plan).map((p) => p.name), ["log_chunks_p20261123t0000"]);
  assert.equal(parseDurationMs("10m"), 600_000);
  assert.equal(parseDurationMs("7d"), 7 * day);
  assert.equal(parseDurationMs("7 days"), undefined);
});
