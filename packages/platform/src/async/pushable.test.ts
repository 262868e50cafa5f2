import { test } from "node:test";
import assert from "node:assert/strict";
import { pushable } from "./pushable.ts";

test("values pushed before and while reading come out in order; end stops the reader after them", async () => {
  const q = pushable<number>();
  q.push(1);
  const read = (async () => {
    const seen: number[] = [];
    for await (const v of q) seen.push(v);
    return seen;
  })();
  q.push(2);
  await new Promise((r) => setTimeout(r, 5));
  q.push(3);
  q.end();
  q.push(4);
  assert.deepEqual(await read, [1, 2, 3]);
});
