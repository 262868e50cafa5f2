import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { infrastructureUrls } from "../config/index.ts";
import { createLogger } from "../logging/index.ts";
import { createTestCluster, eventually, startNatsFaultProxy, type TestCluster } from "../testing/index.ts";
import { startEventRelay, type EventRelay } from "./event-relay.ts";
import { RELAY_SUBSCRIPTION_ID } from "./relay-checkpoint.ts";
import type { RecordedEvent } from "./event.ts";
import { createEventStoreFixture, type EventStoreFixture } from "./event-store.test-fixture.ts";
import { decodeRelayedEvent, RelayHeaders } from "./relayed-event.ts";

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const logger = createLogger("event-relay-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const CHILD = fileURLToPath(new URL("./event-relay.test-child.ts", import.meta.url));

describe("event relay", () => {
  let fx: EventStoreFixture;
  let nc: NatsConnection;
  let cluster: TestCluster;
  const stops: (() => Promise<void>)[] = [];
  before(async () => {
    fx = await createEventStoreFixture("es_relay");
    nc = await connect({ servers: infrastructureUrls().natsUrl });
  });
  after(async () => {
    await nc.close();
    await fx.close();
  });

  /** A fresh cluster name (so a fresh JetStream stream, and no relay checkpoint) per test; its streams go at the end of the test. */
  async function freshCluster(): Promise<TestCluster> {
    await fx.pool.query("DELETE FROM subscription_checkpoints WHERE subscription_id = $1", [RELAY_SUBSCRIPTION_ID]);
    cluster = createTestCluster();
    stops.push(() => cluster.cleanup(nc));
    return cluster;
  }

  async function cleanup(): Promise<void> {
    for (const stop of stops.splice(0).reverse()) await stop();
  }

  function relay(options: { nc?: NatsConnection; batchSize?: number; publishTimeoutMs?: number; duplicateWindowMs?: number; store?: EventStoreFixture["store"] } = {}): Promise<EventRelay> {
    const controller = new AbortController();
    const started = startEventRelay({
      store: options.store ?? fx.store,
      nc: options.nc ?? nc,
      names: cluster.names,
      logger,
      signal: controller.signal,
      batchSize: options.batchSize ?? 64,
      ...(options.publishTimeoutMs ? { publishTimeoutMs: options.publishTimeoutMs } : {}),
      ...(options.duplicateWindowMs ? { streamSettings: { duplicateWindowMs: options.duplicateWindowMs } } : {}),
    });
    stops.push(async () => {
      controller.abort();
      await (await started).done;
    });
    return started;
  }

  /** Every event of the log, once it is all below the horizon (a transaction open elsewhere on the server may hold it back a moment). */
  async function wholeLog(atLeast: number): Promise<RecordedEvent[]> {
    return eventually(`${atLeast} events below the horizon`, async () => {
      const events = await fx.store.readAll({ limit: 100_000 });
      return events.length >= atLeast ? events : undefined;
    });
  }

  /** Every message of the cluster's events stream, in stream order. */
  async function readStream(): Promise<JsMsg[]> {
    const consumer = await jetstream(nc).consumers.get(cluster.names.stream("EVENTS"));
    const messages: JsMsg[] = [];
    const pending = (await consumer.info()).num_pending;
    if (pending === 0) return messages;
    for await (const m of await consumer.fetch({ max_messages: pending, expires: 5_000 })) {
      messages.push(m);
      if (messages.length === pending) break;
    }
    return messages;
  }

  /** Waits until the stream holds as many messages as the log has events, then asserts it IS the log, message for event. */
  async function assertStreamIsTheLog(what: string): Promise<void> {
    const jsm = await jetstreamManager(nc);
    const log = await eventually(`${what}: the stream to hold the whole log`, async () => {
      const events = await fx.store.readAll({ limit: 100_000 });
      const stored = (await jsm.streams.info(cluster.names.stream("EVENTS"))).state.messages;
      return stored >= events.length ? events : undefined;
    }, 30_000);
    const messages = await readStream();
    assert.deepEqual(
      messages.map((m) => m.headers?.get("Nats-Msg-Id")),
      log.map((e) => e.globalPosition.toString()),
      `${what}: one message per event, in commit order (msg id = global position)`,
    );
  }

  async function appendBurst(writers: number, perWriter: number, tag: string): Promise<void> {
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) {
          await fx.store.appendOrThrow(`instance-${tag}${w}`, i, [{ type: i % 2 ? "InstanceRunning" : "InstanceStaged", data: { w, i }, metadata: { traceparent: TRACEPARENT, correlationId: `c-${w}` } }]);
        }
      }),
    );
  }

  test("publishes every event once, in commit order, with subject, msg id, headers and body", async () => {
    await freshCluster();
    try {
      // Interleaved writers, so commit order is not one stream after another.
      await appendBurst(4, 25, "a");
      await fx.store.appendManyOrThrow([
        { streamId: "app-/shop/web", expectedVersion: "no_stream", events: [{ type: "AppCreated", data: { deploymentId: "d1" } }] },
        { streamId: "deployment-d1", expectedVersion: "no_stream", events: [{ type: "DeploymentStarted", data: {} }] },
      ]);
      const started = await relay();
      await assertStreamIsTheLog("first relay");
      const committed = await wholeLog(102);
      const info = await (await jetstreamManager(nc)).streams.info(started.stream);
      assert.ok(info.config.duplicate_window >= 120_000_000_000, "duplicate window of at least 2 minutes");
      assert.deepEqual(info.config.subjects, [cluster.names.subject("events.>")]);
      const messages = await readStream();
      messages.forEach((m, i) => {
        const e = committed[i]!;
        assert.equal(m.subject, cluster.names.subject(`events.${e.streamType}.${e.type}`));
        assert.equal(m.headers?.get(RelayHeaders.streamId), e.streamId);
        assert.equal(m.headers?.get(RelayHeaders.streamVersion), String(e.streamVersion));
        assert.equal(m.headers?.get(RelayHeaders.eventType), e.type);
        assert.equal(m.headers?.get(RelayHeaders.transactionId), e.transactionId.toString());
        assert.equal(m.headers?.get(RelayHeaders.traceparent) || undefined, e.metadata.traceparent);
        assert.deepEqual(decodeRelayedEvent(m.data), {
          globalPosition: e.globalPosition.toString(),
          streamId: e.streamId,
          streamVersion: e.streamVersion,
          type: e.type,
          schemaVersion: e.schemaVersion,
          data: e.data,
          metadata: e.metadata,
          recordedAt: e.recordedAt.toISOString(),
        });
      });
    } finally {
      await cleanup();
    }
  });

  test("a publish that fails in the middle of a batch: nothing after it lands first, nothing is lost or doubled", async () => {
    await freshCluster();
    const proxy = await startNatsFaultProxy({ targetHost: "127.0.0.1", targetPort: Number(new URL(infrastructureUrls().natsUrl).port || 4222) });
    const viaProxy = await connect({ servers: proxy.url, maxReconnectAttempts: -1 });
    stops.push(async () => {
      await viaProxy.close();
      await proxy.close();
    });
    try {
      await appendBurst(4, 30, "b");
      // The 5th event publish of the first batch never reaches the server; its PubAck times out
      // while later publishes of the same batch are still in flight.
      proxy.swallowPublish({ subjectPrefix: cluster.names.subject("events."), nth: 5 });
      await relay({ nc: viaProxy, batchSize: 40, publishTimeoutMs: 1_000 });
      await assertStreamIsTheLog("after a swallowed publish");
      assert.equal(proxy.stats.publishesSwallowed, 1, "the fault was injected");
      // And the relay goes on with what comes next.
      await appendBurst(2, 10, "c");
      await assertStreamIsTheLog("after more appends");
    } finally {
      await cleanup();
    }
  });

  test("a relay killed (-9) between publishing a batch and checkpointing it, restarted after the duplicate window, publishes no duplicate and skips nothing", async () => {
    await freshCluster();
    const children: ChildProcess[] = [];
    stops.push(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    });
    try {
      await appendBurst(4, 100, "k");
      const run = (crashAtCheckpoint: number) => {
        const child = spawn(process.execPath, [CHILD], {
          env: { ...process.env, DATABASE_URL: fx.db.url, GANTRY_CLUSTER: cluster.names.cluster, RELAY_CRASH_AT_CHECKPOINT: String(crashAtCheckpoint), RELAY_DUPLICATE_WINDOW_MS: "1000" },
          stdio: ["ignore", "inherit", "inherit"],
        });
        children.push(child);
        return new Promise<NodeJS.Signals | number | null>((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
      };
      // The child SIGKILLs itself when about to record its 2nd checkpoint (the first is written at
      // once, the next a second later): the batches since the first are on JetStream, their checkpoint is not.
      const exit = await run(2);
      assert.equal(exit, "SIGKILL");
      const jsm = await jetstreamManager(nc);
      const published = (await jsm.streams.info(cluster.names.stream("EVENTS"))).state.messages;
      assert.ok(published >= 2 * 50, `the first relay published 2 batches or more before dying (${published} messages)`);
      const checkpoint = await fx.store.checkpoint(RELAY_SUBSCRIPTION_ID);
      const behind = (await fx.store.readPage({ after: checkpoint, limit: 1_000 })).events.length;
      assert.ok(behind >= published - 50, `the checkpoint is one batch in, ${behind} events behind what was published`);
      // Outlive the duplicate window, so JetStream's msg-id dedup cannot hide a re-publish.
      await new Promise((r) => setTimeout(r, 1_500));
      void run(0);
      await appendBurst(2, 100, "l");
      await assertStreamIsTheLog("after the restart");
    } finally {
      await cleanup();
    }
  });

  test("a stream whose last message is gone: the relay continues from its checkpoint, written when it stopped, skipping nothing after it", async () => {
    await freshCluster();
    try {
      await appendBurst(2, 20, "gone");
      const stopFirst = new AbortController();
      const first = await startEventRelay({ store: fx.store, nc, names: cluster.names, logger, signal: stopFirst.signal, batchSize: 16 });
      await assertStreamIsTheLog("before the stop");
      stopFirst.abort();
      await first.done;
      const log = await fx.store.readAll({ limit: 100_000 });
      const checkpoint = await fx.store.checkpoint(RELAY_SUBSCRIPTION_ID);
      assert.deepEqual((await fx.store.readPage({ after: checkpoint, limit: 100 })).events, [], "the checkpoint is written past the last event when the relay stops");
      // An operator removes the stream's last message: its position can no longer be read from the stream.
      const jsm = await jetstreamManager(nc);
      const stream = cluster.names.stream("EVENTS");
      await jsm.streams.deleteMessage(stream, (await jsm.streams.info(stream)).state.last_seq);
      await appendBurst(2, 10, "after-gone");
      await relay({ batchSize: 16 });
      const removed = log.at(-1)!.globalPosition.toString();
      // The restarted relay's lease is an event too (its transaction may still be open when the
      // log is first read): compare once the log holds it and the stream holds the whole log but
      // the removed one.
      const settled = await eventually("the events after the checkpoint on the stream", async () => {
        const events = await fx.store.readAll({ limit: 100_000 });
        const messages = await readStream();
        const leaseRecorded = events.slice(log.length).some((e) => e.type === "LeaseAcquired");
        return events.length >= log.length + 21 && leaseRecorded && messages.length >= events.length - 1 ? { events, messages } : undefined;
      }, 30_000);
      assert.deepEqual(
        settled.messages.map((m) => m.headers?.get("Nats-Msg-Id")),
        settled.events.map((e) => e.globalPosition.toString()).filter((id) => id !== removed),
        "every event but the removed one, once each, in commit order",
      );
    } finally {
      await cleanup();
    }
  });

  test("competing relays: one publishes at a time, and when it stops another takes over with nothing lost or doubled", async () => {
    await freshCluster();
    const other = fx.otherStore();
    try {
      await appendBurst(3, 20, "r");
      const stopFirst = new AbortController();
      const first = await startEventRelay({ store: fx.store, nc, names: cluster.names, logger, signal: stopFirst.signal, batchSize: 16 });
      await relay({ store: other, batchSize: 16 });
      await assertStreamIsTheLog("two relays running");
      stopFirst.abort();
      await first.done;
      await appendBurst(3, 20, "s");
      await assertStreamIsTheLog("after the first relay stopped");
      const acquisitions = (await fx.store.readStream("lease-relay")).map((e) => e.data.holder);
      assert.ok(acquisitions.length >= 2, `the lease changed hands (${acquisitions.length} acquisitions)`);
    } finally {
      await cleanup();
    }
  });
});
