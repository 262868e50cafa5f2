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

test("with a text or a level filter, matches cross page boundaries: each page resumes after the last, none skipped or repeated", () => {
  // Every third line matches (text "hit", case-insensitive, and level ≥ 40); the others lie between them.
  const texts = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? `Hit ${i}` : `miss ${i}`));
  const chunk = (taskId: string, lines: string[]) => ({ appId: "/a", instanceId: taskId, taskId, stream: "stdout", timesUnixMicros: [5n], levels: lines.map((l) => (l.startsWith("miss") ? 30 : 50)), texts: lines });
  const batch = create(logsV1.LogBatchSchema, { agentId: "ag", chunks: [chunk("t1", texts), chunk("t2", ["hit t2"]), chunk("t1", ["hit b0", "miss b1", "HIT b2"])] });
  for (const filter of [{ text: "hit" }, { minLevel: 40 }]) {
    const pages = (after: bigint | undefined, size: number) =>
      [...matchingPagesOf(7, batch, { taskId: "t1", ...filter }, after, size)].map((page) => page.flatMap((run) => Buffer.concat(run.texts).toString().split("\n").slice(0, -1).map((text, i) => `${text}@${run.positions[i]! - Number(positionOf(7, 0))}`)));
    const name = JSON.stringify(filter);
    assert.deepEqual(pages(undefined, 3), [["Hit 0@0", "Hit 3@3", "Hit 6@6"], ["Hit 9@9", "hit b0@13", "HIT b2@15"]], name);
    assert.deepEqual(pages(undefined, 2), [["Hit 0@0", "Hit 3@3"], ["Hit 6@6", "Hit 9@9"], ["hit b0@13", "HIT b2@15"]], name);
    assert.deepEqual(pages(positionOf(7, 3), 1), [["Hit 6@6"], ["Hit 9@9"], ["hit b0@13"], ["HIT b2@15"]], name);
    assert.deepEqual(pages(undefined, 1000), [["Hit 0@0", "Hit 3@3", "Hit 6@6", "Hit 9@9", "hit b0@13", "HIT b2@15"]], name);
  }
});
