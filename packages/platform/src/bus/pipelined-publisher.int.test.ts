import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { headers } from "@nats-io/nats-core";
import { JetStreamApiError, PubHeaders } from "@nats-io/jetstream";
import { infrastructureUrls } from "../config/index.ts";
import { createTestCluster, within, type TestCluster } from "../testing/index.ts";
import { connectBus, type Bus } from "./bus.ts";
import { PipelinedPublisher, type OutgoingMessage } from "./pipelined-publisher.ts";
import { ensureStream } from "./streams.ts";

describe("pipelined publisher", () => {
  let cluster: TestCluster;
  let bus: Bus;
  let stream: string;
  let publisher: PipelinedPublisher;

  beforeEach(async () => {
    cluster = createTestCluster();
    bus = await connectBus(infrastructureUrls().natsUrl, cluster.names, "pipelined-publisher-test");
    stream = await ensureStream(bus, { name: "PIPE", subjects: ["pipe.>"] });
    publisher = new PipelinedPublisher(bus.nc);
  });

  afterEach(async () => {
    publisher.close();
    await cluster.cleanup(bus.nc);
    await bus.close();
  });

  /** Message n on `pipe.n`, expecting the stream to end at `expect` before it (when given). */
  function message(n: number, expect?: number, subject = bus.names.subject(`pipe.${n}`)): OutgoingMessage {
    const h = headers();
    h.set(PubHeaders.MsgIdHdr, `m${n}`);
    if (expect !== undefined) h.set(PubHeaders.ExpectedLastSeqHdr, String(expect));
    return { subject, data: new TextEncoder().encode(String(n)), headers: h };
  }

  test("a batch lands in the order given, each outcome carrying its own PubAck", async () => {
    const outcomes = await within("500 PubAcks", publisher.publish(Array.from({ length: 500 }, (_, i) => message(i, i)), 10_000), 15_000);
    assert.deepEqual(
      outcomes.map((o) => (o.ok ? o.ack.seq : o.error.message)),
      Array.from({ length: 500 }, (_, i) => i + 1),
    );
    const last = await bus.jsm.streams.getMessage(stream, { seq: 500 });
    assert.equal(new TextDecoder().decode(last!.data), "499");
  });

  test("a message whose expected last sequence is wrong is refused by the server, and every later one with it", async () => {
    const outcomes = await within("4 PubAcks", publisher.publish([message(0, 0), message(1, 7), message(2, 2), message(3, 3)], 10_000), 15_000);
    assert.equal(outcomes[0]!.ok, true);
    for (const refused of outcomes.slice(1)) {
      assert.equal(refused.ok, false);
      assert.ok(!refused.ok && refused.error instanceof JetStreamApiError, "the server's refusal, as an API error");
      assert.match(!refused.ok ? refused.error.message : "", /wrong last sequence/);
    }
    assert.equal((await bus.jsm.streams.info(stream)).state.messages, 1);
  });

  test("a subject no stream listens on fails with that reason instead of waiting for the deadline", async () => {
    const started = performance.now();
    const [outcome] = await within("the server's answer", publisher.publish([message(0, undefined, bus.names.subject("nowhere.0"))], 10_000), 15_000);
    assert.equal(outcome!.ok, false);
    assert.match(!outcome!.ok ? outcome!.error.message : "", /no JetStream stream listens on/);
    assert.ok(performance.now() - started < 5_000, "answered by the server, not by the deadline");
  });

  test("a message nobody answers fails at the deadline; the rest of the batch keeps its PubAcks", async () => {
    const silent = bus.nc.subscribe(bus.names.subject("silent.>"));
    try {
      const outcomes = await within("the deadline", publisher.publish([message(0, 0), message(1, undefined, bus.names.subject("silent.1"))], 300), 5_000);
      assert.equal(outcomes[0]!.ok, true);
      assert.equal(outcomes[1]!.ok, false);
      assert.match(!outcomes[1]!.ok ? outcomes[1]!.error.message : "", /no PubAck .* within 300 ms/);
    } finally {
      silent.unsubscribe();
    }
  });
});
