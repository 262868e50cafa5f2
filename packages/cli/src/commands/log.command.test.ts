import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { columnBytes, logsV1, readLogLines } from "@gantry/proto";
import { logLineJson } from "./log.command.ts";

test("--json prints a line with its source's fields, the object a LogLine message with them inline was", () => {
  const source = create(logsV1.LogSourceSchema, { agentId: "a1", hostname: "h1", appId: "/web", instanceId: "i1", taskId: "web.t1", stream: "stdout" });
  const lines = readLogLines({
    sources: [source, create(logsV1.LogSourceSchema)],
    lines: create(logsV1.LogLinesSchema, { texts: Buffer.from("slow\nx\n\n"), positions: columnBytes(Float64Array.of(9, 10, 11)), timesUnixMicros: columnBytes(Float64Array.of(1_764_500_000_000_000, 0, 5)), levels: [40, 0, 0], sources: [0, 1, 1] }),
  });
  assert.equal(logLineJson(lines, 0), '{"cursor":"g1.9","timeUnixMicros":"1764500000000000","agentId":"a1","hostname":"h1","appId":"/web","instanceId":"i1","taskId":"web.t1","stream":"stdout","level":40,"text":"slow"}');
  assert.equal(logLineJson(lines, 1), '{"cursor":"g1.a","text":"x"}', "defaults left out, no source index");
  assert.equal(logLineJson(lines, 2), '{"cursor":"g1.b","timeUnixMicros":"5"}', "an empty text left out");
});
