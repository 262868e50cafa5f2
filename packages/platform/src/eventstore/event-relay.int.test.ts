import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { infrastructureUrls } from "../config/index.ts";
import { createLogger } from "../logging/index.ts";
import { createTestCluster, type TestCluster } from "../testing/index.ts";
import { RELAY_SUBSCRIPTION_ID, startEventRelay } from "./event-relay.ts";
import { START } from "./event.ts";
import { createEventStoreFixture, type EventStoreFixture } from "./event-store.test-fixture.ts";
import { decodeRelayedEvent, RelayHeaders } from "./relayed-event.ts";

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const logger = createLogger("event-relay-test", { level: "warn" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("event relay", () => {
  let fx: EventStoreFixture;
  let nc: NatsConnection;
  let cluster: TestCluster;
  before(async () => {
    fx = await createEventStoreFixture("es_relay");
    nc = await connect({ servers: infrastructureUrls().natsUrl });
    cluster = createTestCluster();
  });
  after(async () => {
    await cluster.cleanup(nc);
    await nc.close();
    await fx.close();
  });

  async function relayUntil(total: number): Promise<void> {
    const controller = new AbortController();
    const relay = await startEventRelay({ store: fx.store, nc, names: cluster.names, logger, signal: controller.signal, batchSize: 64 });
    const jsm = await jetstreamManager(nc);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const cp = await fx.store.checkpoint(RELAY_SUBSCRIPTION_ID);
      const last = (await fx.store.readAll({ limit: 10_000 })).at(-1)!;
      if (cp.globalPosition === last.globalPosition && (await jsm.streams.info(relay.stream)).state.messages >= total) break;
      assert.ok(Date.now() < deadline, "relay did not catch up");
      await sleep(20);
    }
    controller.abort();
    await relay.done;
  }

  async function readStream(): Promise<JsMsg[]> {
    const consumer = await jetstream(nc).consumers.get(cluster.names.stream("EVENTS"));
    const messages: JsMsg[] = [];
    const pending = (await consumer.info()).num_pending;
    for await (const m of await consumer.fetch({ max_messages: pending, expires: 2_000 })) {
      messages.push(m);
      if (messages.length === pending) break;
    }
    return messages;
  }

  test("publishes every event once, in commit order, with subject, msg id, headers and body; a re-publish is deduplicated", async () => {
    // Interleaved writers, so commit order is not one stream after another.
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 25; i++) {
          await fx.store.appendOrThrow(`instance-w${w}`, i === 0 ? "no_stream" : i, [
            { type: i % 2 ? "InstanceRunning" : "InstanceStaged", data: { w, i }, metadata: { traceparent: TRACEPARENT, correlationId: `c-${w}` } },
          ]);
        }
      }),
    );
    await fx.store.appendManyOrThrow([
      { streamId: "app-/shop/web", expectedVersion: "no_stream", events: [{ type: "AppCreated", data: { deploymentId: "d1" } }] },
      { streamId: "deployment-d1", expectedVersion: "no_stream", events: [{ type: "DeploymentStarted", data: {} }] },
    ]);
    // The horizon is server-wide: a transaction still open in another test's database holds it
    // back for a moment, so wait until every committed event is below it.
    let committed = await fx.store.readAll({ limit: 1_000 });
    for (const deadline = Date.now() + 10_000; committed.length < 102 && Date.now() < deadline; await sleep(20)) {
      committed = await fx.store.readAll({ limit: 1_000 });
    }
    assert.equal(committed.length, 102);

    await relayUntil(committed.length);
    const info = await (await jetstreamManager(nc)).streams.info(cluster.names.stream("EVENTS"));
    assert.ok(info.config.duplicate_window >= 120_000_000_000, "duplicate window of at least 2 minutes");
    assert.deepEqual(info.config.subjects, [cluster.names.subject("events.>")]);

    const messages = await readStream();
    assert.deepEqual(
      messages.map((m) => m.headers?.get("Nats-Msg-Id")),
      committed.map((e) => e.globalPosition.toString()),
      "one message per event, in commit order, msg id = global position",
    );
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

    // A relay that lost its checkpoint (crash between publish and checkpoint) re-publishes
    // everything; JetStream drops the duplicates by msg id.
    await fx.pool.query("UPDATE subscription_checkpoints SET transaction_id = '0'::xid8, global_position = 0 WHERE subscription_id = $1", [RELAY_SUBSCRIPTION_ID]);
    assert.deepEqual(await fx.store.checkpoint(RELAY_SUBSCRIPTION_ID), START);
    await fx.store.appendOrThrow("app-/shop/web", 1, [{ type: "AppDeleted", data: {} }]);
    await relayUntil(committed.length + 1);
    const again = await readStream();
    assert.equal(again.length, committed.length + 1, "re-published events were deduplicated");
    assert.equal(again.at(-1)!.subject, cluster.names.subject("events.app.AppDeleted"));
  });
});
