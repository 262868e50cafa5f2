import assert from "node:assert/strict";
import { test } from "node:test";
import type { Logger } from "../logging/index.ts";
import type { Position } from "./event.ts";
import { relayCheckpoint, RELAY_SUBSCRIPTION_ID } from "./relay-checkpoint.ts";

const at = (n: number): Position => ({ transactionId: BigInt(n), globalPosition: BigInt(n) });
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function recordingStore(failFirst = false) {
  const written: bigint[] = [];
  let fail = failFirst;
  return {
    written,
    async setCheckpoint(id: string, position: Position) {
      assert.equal(id, RELAY_SUBSCRIPTION_ID);
      if (fail) {
        fail = false;
        throw new Error("connection lost");
      }
      written.push(position.transactionId);
    },
  };
}

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (_fields: unknown, message: string) => void warnings.push(message) } as unknown as Logger };
}

test("the relay's checkpoint is written at once, then at most once per interval, and the last position always", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const store = recordingStore();
  const checkpoint = relayCheckpoint(store, recordingLogger().logger, 1_000);
  checkpoint.record(at(1));
  await settle();
  assert.deepEqual(store.written, [1n], "the first position is written at once");
  checkpoint.record(at(2));
  checkpoint.record(at(3));
  t.mock.timers.tick(999);
  await settle();
  assert.deepEqual(store.written, [1n], "nothing more within the interval");
  t.mock.timers.tick(1);
  await settle();
  assert.deepEqual(store.written, [1n, 3n], "when the interval ends, the last position recorded (not every one)");
  t.mock.timers.tick(5_000);
  await settle();
  assert.deepEqual(store.written, [1n, 3n], "nothing is written again while nothing new was recorded");
});

test("flush writes what was recorded and not yet written, once", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const store = recordingStore();
  const checkpoint = relayCheckpoint(store, recordingLogger().logger, 1_000);
  checkpoint.record(at(1));
  checkpoint.record(at(2));
  await checkpoint.flush();
  assert.deepEqual(store.written, [1n, 2n]);
  t.mock.timers.tick(2_000);
  await settle();
  await checkpoint.flush();
  assert.deepEqual(store.written, [1n, 2n], "the timer it replaced writes nothing, nor does a flush with nothing new");
});

test("a failed write is logged and the next position replaces it", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const store = recordingStore(true);
  const { logger, warnings } = recordingLogger();
  const checkpoint = relayCheckpoint(store, logger, 1_000);
  checkpoint.record(at(1));
  await settle();
  assert.deepEqual(store.written, []);
  assert.equal(warnings.length, 1, "the failure is logged, not thrown");
  checkpoint.record(at(2));
  t.mock.timers.tick(1_000);
  await settle();
  assert.deepEqual(store.written, [2n]);
});

