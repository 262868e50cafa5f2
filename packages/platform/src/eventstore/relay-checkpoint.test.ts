import assert from "node:assert/strict";
import { test } from "node:test";
import type { Logger } from "../logging/index.ts";
import type { Position } from "./event.ts";
import { relayCheckpoint, RELAY_SUBSCRIPTION_ID } from "./relay-checkpoint.ts";

const at = (n: number): Position => ({ transactionId: BigInt(n), globalPosition: BigInt(n) });
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A store whose writes are recorded; `hold` makes the next writes wait until `release`. */
function recordingStore(options: { failFirst?: boolean } = {}) {
  const written: bigint[] = [];
  let fail = options.failFirst ?? false;
  let held: (() => void)[] | undefined;
  let inFlight = 0;
  let mostInFlight = 0;
  return {
    written,
    get mostInFlight() {
      return mostInFlight;
    },
    hold: () => void (held = []),
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const go of waiting) go();
    },
    async setCheckpoint(id: string, position: Position) {
      assert.equal(id, RELAY_SUBSCRIPTION_ID);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      try {
        if (held) await new Promise<void>((resolve) => held!.push(resolve));
        if (fail) {
          fail = false;
          throw new Error("connection lost");
        }
        written.push(position.transactionId);
      } finally {
        inFlight--;
      }
    },
  };
}

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (_fields: unknown, message: string) => void warnings.push(message) } as unknown as Logger };
}

// Time is the mocked timers' clock (Date), handed to the checkpoint as its clock.
const clock = () => Date.now();

test("the relay's checkpoint is written at once, then at most once per interval, and the last position always", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const store = recordingStore();
  const checkpoint = relayCheckpoint(store, recordingLogger().logger, 1_000, clock);
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
  const checkpoint = relayCheckpoint(store, recordingLogger().logger, 1_000, clock);
  checkpoint.record(at(1));
  checkpoint.record(at(2));
  await checkpoint.flush();
  assert.deepEqual(store.written, [1n, 2n]);
  t.mock.timers.tick(2_000);
  await settle();
  await checkpoint.flush();
  assert.deepEqual(store.written, [1n, 2n], "the timer it replaced writes nothing, nor does a flush with nothing new");
});

test("a slow write is never overtaken nor piled on: one write at a time, then the latest position", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const store = recordingStore();
  const checkpoint = relayCheckpoint(store, recordingLogger().logger, 1_000, clock);
  store.hold();
  checkpoint.record(at(1));
  for (let n = 2; n <= 6; n++) {
    checkpoint.record(at(n));
    t.mock.timers.tick(1_000);
    await settle();
  }
  assert.deepEqual(store.written, [], "the first write is still under way");
  store.release();
  await checkpoint.flush();
  assert.deepEqual(store.written, [1n, 6n], "then the latest position, once");
  assert.equal(store.mostInFlight, 1, "never two writes at once");
});

test("a failed write is logged and the next position replaces it", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const store = recordingStore({ failFirst: true });
  const { logger, warnings } = recordingLogger();
  const checkpoint = relayCheckpoint(store, logger, 1_000, clock);
  checkpoint.record(at(1));
  await settle();
  assert.deepEqual(store.written, []);
  assert.equal(warnings.length, 1, "the failure is logged, not thrown");
  checkpoint.record(at(2));
  t.mock.timers.tick(1_000);
  await settle();
  assert.deepEqual(store.written, [2n]);
});
