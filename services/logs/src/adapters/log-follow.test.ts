import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { logsV1 } from "@gantry/proto";
import { positionOf } from "../domain/log-position.ts";
import { matchingPagesOf } from "./log-follow.nats.ts";

test("a live batch's matching lines come in pages of at most the page size, after the cursor, in position order", () => {
  const chunk = (taskId: string, texts: string[]) => ({ appId: "/a", instanceId: taskId, taskId, stream: "stdout", timesUnixMicros: [5n], texts });
  const batch = create(logsV1.LogBatchSchema, { agentId: "ag", chunks: [chunk("t1", ["a0", "a1", "a2", "a3", "a4"]), chunk("t2", ["b0"]), chunk("t1", ["c0", "c1", "c2"])] });
  const pages = (after: bigint | undefined, size: number) =>
    [...matchingPagesOf(7, batch, { taskId: "t1" }, after, size)].map((page) => page.flatMap((run) => Buffer.concat(run.texts).toString().split("\n").slice(0, -1).map((text, i) => `${text}@${run.positions[i]! - Number(positionOf(7, 0))}`)));
  assert.deepEqual(pages(positionOf(7, 1), 2), [["a2@2", "a3@3"], ["a4@4", "c0@6"], ["c1@7", "c2@8"]]);
  assert.deepEqual(pages(undefined, 1000), [["a0@0", "a1@1", "a2@2", "a3@3", "a4@4", "c0@6", "c1@7", "c2@8"]]);
  assert.deepEqual(pages(positionOf(7, 8), 2), [], "nothing after the cursor: no page");
  assert.deepEqual([...matchingPagesOf(7, batch, { taskId: "t3" }, undefined, 2)], []);
});
