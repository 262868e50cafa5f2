import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import pg from "pg";
import { eventually, startTcpRelay } from "../testing/index.ts";
import { createEventStoreFixture } from "./event-store.test-fixture.ts";
import { EventStore } from "./event-store.ts";

/** A loopback port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("a follower reads on through Postgres going away and coming back, from where it was", { timeout: 30_000 }, async () => {
  const fx = await createEventStoreFixture("es_follow_outage");
  const direct = new URL(fx.db.url);
  // The follower reaches Postgres through a relay: moving its target makes Postgres go away and come back.
  const relay = await startTcpRelay({ listenHost: "127.0.0.1", targetHost: direct.hostname, targetPort: Number(direct.port) }, (conn) => ({
    fromClient: (chunk) => conn.toUpstream(chunk),
    fromUpstream: (chunk) => conn.toClient(chunk),
  }));
  const viaRelay = new URL(fx.db.url);
  viaRelay.host = `127.0.0.1:${relay.port}`;
  const pool = new pg.Pool({ connectionString: viaRelay.toString(), max: 2 });
  pool.on("error", () => undefined);
  const store = new EventStore({ pool });
  const seen: number[] = [];
  const stop = new AbortController();
  let failure: unknown;
  const following = store
    .follow({ pollIntervalMs: 50, signal: stop.signal, handler: (events) => void seen.push(...events.map((e) => Number(e.data.n))) })
    .catch((err: unknown) => (failure = err));
  try {
    await fx.store.appendOrThrow("task-before", "no_stream", [{ type: "TaskQueued", data: { n: 1 } }]);
    await eventually("the event appended before the outage", () => seen.includes(1));

    // Postgres goes away for the follower: its connections are cut and new ones refused.
    relay.retarget("127.0.0.1", await closedPort());
    relay.cutAll();
    const accepted = relay.accepted;
    await eventually("the follower to try to read, and fail, twice during the outage", () => relay.accepted >= accepted + 2, 10_000, 20);
    await fx.store.appendOrThrow("task-during", "no_stream", [{ type: "TaskQueued", data: { n: 2 } }]);
    relay.retarget(direct.hostname, Number(direct.port));

    await eventually("the event appended during the outage", () => failure === undefined && seen.includes(2), 15_000);
    assert.deepEqual(seen, [1, 2], "each event handed over once, in order");
    assert.equal(failure, undefined, "the follower never gave up");
  } finally {
    stop.abort();
    await following;
    await store.close();
    await pool.end();
    await relay.close();
    await fx.close();
  }
});

test("a follower with coalesceMs reads a burst of commits as one page, and one woken alone still reads it", { timeout: 30_000 }, async () => {
  const fx = await createEventStoreFixture("es_follow_coalesce");
  const pages: number[][] = [];
  const stop = new AbortController();
  let caughtUp = 0;
  // The poll is well past the window: notifications wake this follower (a poll would only finish
  // a page the horizon held back for a moment).
  const following = fx.store.follow({
    coalesceMs: 1_000,
    pollIntervalMs: 3_000,
    signal: stop.signal,
    handler: (events) => void pages.push(events.map((e) => Number(e.data.n))),
    onCaughtUp: () => void caughtUp++,
  });
  try {
    await eventually("the follower idle at the end of the log", () => caughtUp >= 1);
    // Ten commits, one after another: each notifies, and all land within the window.
    const started = performance.now();
    for (let n = 1; n <= 10; n++) await fx.store.appendOrThrow(`task-burst-${n}`, "no_stream", [{ type: "TaskQueued", data: { n } }]);
    const burstMs = performance.now() - started;
    assert.ok(burstMs < 1_000, `the burst fits in the window (${burstMs.toFixed(0)} ms)`);
    await eventually("the burst handed over", () => pages.flat().length === 10, 10_000);
    // One page; a second only when the horizon held the tail of the burst back for a moment.
    assert.ok(pages.length <= 2 && pages[0]!.length >= 5, `the ten commits read together, not one by one: ${JSON.stringify(pages)}`);
    assert.deepEqual(pages.flat(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    await fx.store.appendOrThrow("task-alone", "no_stream", [{ type: "TaskQueued", data: { n: 11 } }]);
    await eventually("a commit alone handed over too", () => pages.flat().includes(11), 10_000);
    assert.deepEqual(pages.at(-1), [11]);
  } finally {
    stop.abort();
    await following;
    await fx.close();
  }
});
