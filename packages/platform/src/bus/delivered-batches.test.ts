import assert from "node:assert/strict";
import { test } from "node:test";
import { deliveredBatches } from "./delivered-batches.ts";

/** A source fed by hand, as a NATS consumer's messages are: values pushed now are delivered at once; `end` finishes it. */
function pushSource<T>() {
  const queued: T[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  async function* iterate(): AsyncGenerator<T> {
    for (;;) {
      if (queued.length > 0) {
        yield queued.shift()!;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  return {
    messages: iterate(),
    push: (...values: T[]) => {
      queued.push(...values);
      wake?.();
    },
    end: () => {
      ended = true;
      wake?.();
    },
  };
}

/** The next batch, or a failure naming what was awaited when none comes within `ms`. */
async function nextBatch<T>(batches: AsyncGenerator<T[]>, ms = 2_000): Promise<T[] | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no batch within ${ms} ms`)), ms)));
  try {
    const r = await Promise.race([batches.next(), timeout]);
    return r.done ? undefined : r.value;
  } finally {
    clearTimeout(timer);
  }
}

test("values delivered together come as one batch, and a batch never waits for a value not delivered yet", { timeout: 10_000 }, async () => {
  const source = pushSource<number>();
  const batches = deliveredBatches(source.messages, 100);
  source.push(1, 2, 3);
  // Nothing more is pushed: the three must come now, not when a fourth arrives.
  assert.deepEqual(await nextBatch(batches), [1, 2, 3]);
  setTimeout(() => source.push(4), 20);
  assert.deepEqual(await nextBatch(batches), [4]);
  source.push(5, 6);
  source.end();
  assert.deepEqual(await nextBatch(batches), [5, 6]);
  assert.equal(await nextBatch(batches), undefined, "the batches end with the source");
});

test("a batch holds at most `max` values; the rest follow in order", { timeout: 10_000 }, async () => {
  const source = pushSource<number>();
  const batches = deliveredBatches(source.messages, 2);
  source.push(1, 2, 3, 4, 5);
  source.end();
  const seen: number[][] = [];
  for (let b = await nextBatch(batches); b !== undefined; b = await nextBatch(batches)) seen.push(b);
  assert.deepEqual(seen, [[1, 2], [3, 4], [5]]);
});

test("stopping early ends the source; a batch size below one is refused", { timeout: 10_000 }, async () => {
  const source = pushSource<number>();
  let returned = false;
  const messages = {
    [Symbol.asyncIterator]: () => ({
      next: () => source.messages.next(),
      return: async () => {
        returned = true;
        return { done: true as const, value: undefined };
      },
    }),
  };
  source.push(1);
  for await (const batch of deliveredBatches(messages, 10)) {
    assert.deepEqual(batch, [1]);
    break;
  }
  assert.equal(returned, true);
  await assert.rejects(deliveredBatches(source.messages, 0).next(), /at least one message, not 0/);
});
