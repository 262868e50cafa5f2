import assert from "node:assert/strict";
import { test } from "node:test";
import { create, toJsonString } from "@bufbuild/protobuf";
import { logsV1 } from "@gantry/proto";
import { logLineJson } from "./log.command.ts";

test("--json prints a line with its source's fields, the object a LogLine with them inline was", () => {
  const line = create(logsV1.LogLineSchema, { cursor: "g1.9", timeUnixMicros: 1_764_500_000_000_000n, level: 40, text: "slow", source: 2 });
  const source = create(logsV1.LogSourceSchema, { agentId: "a1", hostname: "h1", appId: "/web", instanceId: "i1", taskId: "web.t1", stream: "stdout" });
  assert.equal(logLineJson(line, source), '{"cursor":"g1.9","timeUnixMicros":"1764500000000000","agentId":"a1","hostname":"h1","appId":"/web","instanceId":"i1","taskId":"web.t1","stream":"stdout","level":40,"text":"slow"}');
  const bare = create(logsV1.LogLineSchema, { cursor: "g1.a", text: "x" });
  assert.equal(logLineJson(bare, create(logsV1.LogSourceSchema)), toJsonString(logsV1.LogLineSchema, bare), "defaults left out, no source index");
});
