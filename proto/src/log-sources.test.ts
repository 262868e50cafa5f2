import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { logsV1, sourceOfLine } from "./index.ts";

test("a line's source is the answer's source at its index; an index the answer lacks is an error, never an empty source", () => {
  const sources = [create(logsV1.LogSourceSchema, { taskId: "a" }), create(logsV1.LogSourceSchema, { taskId: "b" })];
  const answer = create(logsV1.QueryLogsResponseSchema, { sources, lines: [{ text: "x", source: 1 }, { text: "y" }, { text: "z", source: 2 }] });
  assert.equal(sourceOfLine(answer, answer.lines[0]!).taskId, "b");
  assert.equal(sourceOfLine(answer, answer.lines[1]!).taskId, "a", "index 0 when unset");
  assert.throws(() => sourceOfLine(answer, answer.lines[2]!), /naming source 2 of 2/);
  assert.throws(() => sourceOfLine({ sources: [] }, answer.lines[1]!), /naming source 0 of 0/, "an answer from a service that sends no sources");
});
