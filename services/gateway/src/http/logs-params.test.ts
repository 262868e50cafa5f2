import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { GantryError } from "@gantry/platform";
import { columnBytes, logsV1, readLogLines } from "@gantry/proto";
import { compileLogRequest } from "./logs-params.ts";
import { logFormatOf, renderLogLine } from "./logs-formats.ts";

const badRequest = (fn: () => unknown, message: RegExp) => assert.throws(fn, (err: GantryError) => err.code === "InvalidArgument" && err.details.kind === "request" && message.test(err.message));

test("dcos-log query parameters and filters compile into a LogFilter", () => {
  const r = compileLogRequest({ filter: ["STREAM:STDERR", "_SYSTEMD_UNIT:dcos-marathon.service", "LEVEL:warn", "MESSAGE:boom", "SINCE:2026-11-30T00:00:00Z"], skip_prev: "10", limit: "5", cursor: "g1.abc" }, { agentId: "a1" }, { stream: false });
  assert.equal(r.filter.agentId, "a1");
  assert.equal(r.filter.stream, "stderr");
  assert.equal(r.filter.component, "marathon");
  assert.equal(r.filter.minLevel, 40);
  assert.equal(r.filter.text, "boom");
  assert.equal(r.filter.sinceUnixMicros, BigInt(Date.parse("2026-11-30T00:00:00Z")) * 1000n);
  assert.deepEqual([r.skipPrev, r.limit, r.cursor], [10, 5, "g1.abc"]);
  assert.equal(compileLogRequest({ filter: "EXECUTOR_ID:web.1" }, {}, { stream: false }).filter.taskId, "web.1");
});

test("bad parameters are 400s naming the problem", () => {
  badRequest(() => compileLogRequest({ filter: "nocolon" }, {}, { stream: false }), /Incorrect filter parameter format/);
  badRequest(() => compileLogRequest({ filter: "COLOUR:red" }, {}, { stream: false }), /unknown filter field COLOUR/);
  badRequest(() => compileLogRequest({ skip_prev: "-1" }, {}, { stream: false }), /skip_prev must be a non-negative integer/);
  badRequest(() => compileLogRequest({ limit: "5" }, {}, { stream: true }), /limit is not allowed on a stream/);
  badRequest(() => compileLogRequest({ read_reverse: "true" }, {}, { stream: true }), /read_reverse is not allowed on a stream/);
  badRequest(() => compileLogRequest({ filter: "LEVEL:loud" }, {}, { stream: false }), /LEVEL:loud/);
});

test("Last-Event-ID replaces the cursor and resets the skips on streams", () => {
  const r = compileLogRequest({ cursor: "g1.a", skip_prev: "10" }, {}, { stream: true, lastEventId: "g1.zz" });
  assert.deepEqual([r.cursor, r.skipPrev], ["g1.zz", 0]);
});

test("formats: text with whole seconds, NDJSON with journald-style fields, SSE with the cursor as id", () => {
  const source = create(logsV1.LogSourceSchema, { agentId: "a", hostname: "h", appId: "/web", instanceId: "i", taskId: "web.1", stream: "stdout" });
  const time = Date.parse("2026-11-30T12:34:56.789Z") * 1000 + 999;
  const lines = readLogLines({
    sources: [source],
    lines: create(logsV1.LogLinesSchema, { texts: Buffer.from("hello\nwarned\n"), positions: columnBytes(Float64Array.of(9, 10)), timesUnixMicros: columnBytes(Float64Array.of(time, time)), levels: [0, 40], sources: [0, 0] }),
  });
  assert.equal(renderLogLine(lines, 0, "text"), "2026-11-30 12:34:56: hello\n");
  assert.equal(
    renderLogLine(lines, 1, "json"),
    `{"fields":{"MESSAGE":"warned","AGENT_ID":"a","_HOSTNAME":"h","APP_ID":"/web","INSTANCE_ID":"i","TASK_ID":"web.1","EXECUTOR_ID":"web.1","CONTAINER_ID":"web.1","STREAM":"STDOUT","LEVEL":"40"},"cursor":"g1.a","monotonic_timestamp":0,"realtime_timestamp":${time}}\n`,
    "byte for byte what dcos-log clients got before answers came as columns",
  );
  assert.equal(JSON.parse(renderLogLine(lines, 0, "json")).fields.LEVEL, undefined, "level 0 left out");
  assert.match(renderLogLine(lines, 0, "sse"), /^id: g1\.9\ndata: \{.*"cursor":"g1\.9".*\}\n\n$/);
  assert.equal(logFormatOf("text/event-stream"), "sse");
  assert.equal(logFormatOf("application/json"), "json");
  assert.equal(logFormatOf("*/*"), "text");
});
