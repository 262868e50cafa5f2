import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { pino } from "pino";
import { createLogSink, normaliseLogLine } from "./log-sink.ts";

const written = (out: PassThrough): string => out.read()?.toString() ?? "";

test("json: pino's repeated keys (a child binding `component` again) come out once, the most specific value kept", () => {
  const out = new PassThrough();
  const sink = createLogSink("json", out);
  pino({ base: { component: "gantry" } }, sink.stream).child({ component: "scheduler" }).info({ agent: "agent-1" }, "agent registered");
  const line = written(out);
  assert.equal(line.match(/"component"/g)?.length, 1, line);
  const entry = JSON.parse(line);
  assert.equal(entry.component, "scheduler");
  assert.equal(entry.agent, "agent-1");
  assert.equal(entry.msg, "agent registered");
});

test("an agent's line that is no JSON is kept, as the msg of a line of that agent", () => {
  const entry = normaliseLogLine("agent-2", "TypeError: boom", () => 0);
  assert.deepEqual(entry, { level: 30, time: "1970-01-01T00:00:00.000Z", component: "agent-2", msg: "TypeError: boom" });
});

test("pretty: one readable line per entry, `component: msg` and the other keys, no JSON braces around it all", () => {
  const out = new PassThrough();
  const sink = createLogSink("pretty", out);
  sink.line("agent-1", JSON.stringify({ level: 40, time: "2026-01-01T10:00:00.000Z", component: "agent", agent: "agent-1", msg: "task failed" }));
  const line = written(out);
  assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: agent: task failed \{"agent":"agent-1"\}\n$/);
});
