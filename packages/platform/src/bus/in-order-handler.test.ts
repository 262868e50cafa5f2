import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GantryError } from "../errors/index.ts";
import { createLogger } from "../logging/index.ts";
import { within } from "../testing/waits.ts";
import { InOrderHandler, isPermanentFailure, type InOrderOptions, type ParkRequest, type StreamMessage } from "./in-order-handler.ts";
import { ParkedKeys } from "./parked-keys.ts";

const logger = createLogger("in-order-handler-test", { level: process.env.GANTRY_LOG_LEVEL ?? "silent" });
const encoder = new TextEncoder();

/** A message of stream S at `seq`, whose payload is its label and whose key is the label's first letter. */
function msg(seq: number, label: string): StreamMessage {
  return { stream: "S", subject: `s.${label[0]}`, seq, data: encoder.encode(label), headers: undefined };
}

function handlerWith(overrides: Partial<InOrderOptions<string>> = {}) {
  const parked: ParkRequest[] = [];
  const handled: string[] = [];
  const controller = new AbortController();
  const h = new InOrderHandler<string>({
    consumer: "c",
    decode: (data) => new TextDecoder().decode(data),
    handler: async (label) => void handled.push(label),
    park: async (r) => void parked.push(r),
    parkedKeys: new ParkedKeys(),
    orderingKey: (m) => m.subject.slice(2),
    logger,
    signal: controller.signal,
    backoff: { initialMs: 1, maxMs: 4 },
    ...overrides,
  });
  return { h, parked, handled, controller };
}

describe("InOrderHandler", () => {
  test("classifies non-retryable GantryErrors as permanent, everything else as transient", () => {
    assert.equal(isPermanentFailure(new GantryError("InvalidArgument", "x")), true);
    assert.equal(isPermanentFailure(new GantryError("NotFound", "x")), true);
    assert.equal(isPermanentFailure(new GantryError("Unavailable", "x")), false);
    assert.equal(isPermanentFailure(new GantryError("Aborted", "x")), false);
    assert.equal(isPermanentFailure(new Error("ECONNRESET")), false);
  });

  test("rejects options it cannot honour", () => {
    assert.throws(() => handlerWith({ consumer: "a.b" }), /consumer/);
    assert.throws(() => handlerWith({ maxAttempts: 0 }), /maxAttempts/);
    assert.throws(() => handlerWith({ backoff: { initialMs: 10, maxMs: 5 } }), /backoff.maxMs/);
  });

  test("skips what is at or below the last sequence done, and what an earlier run parked", async () => {
    const parkedKeys = new ParkedKeys();
    parkedKeys.record("S", 7, "x");
    const { h, handled } = handlerWith({ after: 3, parkedKeys });
    assert.equal(await h.handle(msg(3, "a3")), "skipped");
    assert.equal(await h.handle(msg(4, "a4")), "handled");
    assert.equal(await h.handle(msg(4, "a4")), "skipped");
    assert.equal(await h.handle(msg(7, "x7")), "skipped");
    assert.equal(h.lastSeq, 7);
    assert.deepEqual(handled, ["a4"]);
  });

  test("retries a transient failure without limit and a permanent one maxAttempts times, with capped doubling pauses", async () => {
    let calls = 0;
    const at: number[] = [];
    const { h, parked } = handlerWith({
      maxAttempts: 2,
      backoff: { initialMs: 20, maxMs: 40 },
      handler: async () => {
        at.push(Date.now());
        calls++;
        if (calls <= 3) throw new Error("transient");
        throw new GantryError("FailedPrecondition", "never");
      },
    });
    assert.equal(await h.handle(msg(1, "a1")), "parked");
    assert.equal(calls, 5, "3 transient + 2 permanent");
    const pauses = at.slice(1).map((t, i) => t - at[i]!);
    assert.ok(pauses[0]! >= 18 && pauses[1]! >= 38 && pauses[3]! < 200, `pauses ${pauses.join(",")}`);
    assert.deepEqual(parked.map((p) => [p.message.seq, p.reason, p.attempts, p.key]), [[1, "never", 5, "a"]]);
  });

  test("a sink that fails is retried until it stores the message; only then is the key held back", async () => {
    let sinkCalls = 0;
    const stored: ParkRequest[] = [];
    const { h, handled } = handlerWith({
      maxAttempts: 1,
      handler: async (label) => {
        if (label === "a1") throw new GantryError("InvalidArgument", "bad");
        handled.push(label);
      },
      park: async (r) => {
        if (++sinkCalls < 3) throw new Error("PARKED unavailable");
        stored.push(r);
      },
    });
    assert.equal(await h.handle(msg(1, "a1")), "parked");
    assert.equal(sinkCalls, 3);
    assert.equal(await h.handle(msg(2, "b2")), "handled");
    assert.equal(await h.handle(msg(3, "a3")), "parked");
    assert.deepEqual(stored.map((r) => [r.message.seq, r.reason]), [[1, "bad"], [3, "held back behind parked message S#1"]]);
    assert.deepEqual(handled, ["b2"]);
  });

  test("aborting between attempts resolves `aborted` at once, without parking", async () => {
    const { h, parked, controller } = handlerWith({ backoff: { initialMs: 60_000, maxMs: 60_000 }, handler: async () => Promise.reject(new Error("down")) });
    const outcome = h.handle(msg(1, "a1"));
    setTimeout(() => controller.abort(), 50);
    assert.equal(await within("handle to give up on abort", outcome, 2_000), "aborted");
    assert.deepEqual(parked, []);
    assert.equal(h.lastSeq, 0, "not done: it must be redelivered");
  });

  test("keeps a held message alive while it is retried", async () => {
    let touches = 0;
    let calls = 0;
    const { h } = handlerWith({
      keepAlive: () => touches++,
      keepAliveMs: 10,
      backoff: { initialMs: 50, maxMs: 50 },
      handler: async () => {
        if (++calls < 4) throw new Error("not yet");
      },
    });
    assert.equal(await h.handle(msg(1, "a1")), "handled");
    assert.ok(touches >= 3, `touched ${touches} times over ~150 ms`);
  });

  test("a key function that throws is logged and the message is handled without hold-back", async () => {
    const { h, handled } = handlerWith({
      orderingKey: () => {
        throw new Error("no such header");
      },
    });
    assert.equal(await h.handle(msg(1, "a1")), "handled");
    assert.deepEqual(handled, ["a1"]);
  });
});
