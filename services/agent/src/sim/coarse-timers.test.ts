import assert from "node:assert/strict";
import { test } from "node:test";
import { CoarseTimers } from "./coarse-timers.ts";

test("callbacks due in one window run together in one macrotask, never early, and a cancelled one never runs", async () => {
  const timers = new CoarseTimers(20);
  const order: string[] = [];
  const started = Date.now();
  const ranAt: number[] = [];
  const cb = (name: string) => () => {
    ranAt.push(Date.now() - started);
    order.push(name);
    // A microtask queued by the first callback runs only after every callback of the window.
    queueMicrotask(() => order.push(`${name}:microtask`));
  };
  // Start right at a window's beginning, so both fall in the same one.
  while (Date.now() % 20 !== 0);
  timers.schedule(1, cb("a"));
  timers.schedule(2, cb("b"));
  const cancel = timers.schedule(2, cb("cancelled"));
  cancel();
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(order, ["a", "b", "a:microtask", "b:microtask"]);
  assert.ok(ranAt.every((ms) => ms >= 2), `not before they were due (ran at ${ranAt.join(", ")} ms)`);
  timers.clear();
});

test("clear cancels every callback", async () => {
  const timers = new CoarseTimers(5);
  let ran = 0;
  for (let i = 0; i < 10; i++) timers.schedule(i, () => ran++);
  timers.clear();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(ran, 0);
});
