import assert from "node:assert/strict";
import { test } from "node:test";
import { GantryError } from "@gantry/platform";
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
  const line = { $typeName: "gantry.logs.v1.LogLine" as const, cursor: "g1.9", timeUnixMicros: BigInt(Date.parse("2026-11-30T12:34:56.789Z")) * 1000n, level: 0, text: "hello", source: 0 };
  const source = { $typeName: "gantry.logs.v1.LogSource" as const, agentId: "a", hostname: "h", appId: "/web", instanceId: "i", taskId: "web.1", container: "", stream: "stdout", component: "" };
  assert.equal(renderLogLine(line, source, "text"), "2026-11-30 12:34:56: hello\n");
  const json = JSON.parse(renderLogLine(line, source, "json"));
  assert.equal(json.fields.MESSAGE, "hello");
  assert.equal(json.fields.STREAM, "STDOUT");
  assert.equal(json.cursor, "g1.9");
  assert.match(renderLogLine(line, source, "sse"), /^id: g1\.9\ndata: \{.*\}\n\n$/);
  assert.equal(logFormatOf("text/event-stream"), "sse");
  assert.equal(logFormatOf("application/json"), "json");
  assert.equal(logFormatOf("*/*"), "text");
});
