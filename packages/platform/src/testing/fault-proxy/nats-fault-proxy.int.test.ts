import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager, type PubAck } from "@nats-io/jetstream";
import { infrastructureUrls } from "../../config/index.ts";
import { createTestCluster, type TestCluster } from "../test-cluster.ts";
import { startNatsFaultProxy, type NatsFaultProxy } from "./nats-fault-proxy.ts";
import { within } from "../waits.ts";


describe("nats fault proxy", () => {
  let cluster: TestCluster;
  let direct: NatsConnection;
  let jsm: JetStreamManager;
  let proxy: NatsFaultProxy;
  let client: NatsConnection;
  let stream: string;

  before(async () => {
    cluster = createTestCluster();
    const natsUrl = new URL(infrastructureUrls().natsUrl);
    direct = await connect({ servers: infrastructureUrls().natsUrl });
    jsm = await jetstreamManager(direct);
    stream = cluster.names.stream("FAULT");
    await jsm.streams.add({ name: stream, subjects: [cluster.names.subject("fault.>")] });
    proxy = await startNatsFaultProxy({ targetHost: natsUrl.hostname, targetPort: Number(natsUrl.port || 4222) });
    client = await connect({ servers: proxy.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
  });
  after(async () => {
    await client?.close();
    await proxy?.close();
    await cluster?.cleanup(direct);
    await direct?.close();
  });

  const storedBodies = async (): Promise<string[]> => {
    const { state } = await jsm.streams.info(stream);
    const bodies: string[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      bodies.push((await jsm.streams.getMessage(stream, { seq }))!.string());
    }
    return bodies;
  };

  test("swallowPublish loses exactly the nth matching publish: it is never stored and times out; the rest land in order", async () => {
    const subject = cluster.names.subject("fault.orders");
    const js = jetstream(client);
    // Payloads that look like protocol lines prove the proxy counts payload bytes instead of scanning them;
    // a msgID header on every other one makes those HPUB instead of PUB.
    const body = (n: number) => `m${n}\r\nPUB ${subject} 2\r\nxx\r\n`;
    proxy.swallowPublish({ subjectPrefix: cluster.names.subject("fault."), nth: 5 });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => js.publish(subject, body(i + 1), { timeout: 1_000, ...(i % 2 === 0 ? { msgID: `m${i + 1}` } : {}) })),
    );
    const lost = results[4]!;
    assert.equal(lost.status, "rejected");
    assert.match(String((lost as PromiseRejectedResult).reason), /timeout/i);
    const acks = results.filter((r): r is PromiseFulfilledResult<PubAck> => r.status === "fulfilled").map((r) => r.value.seq);
    assert.deepEqual(acks, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(await storedBodies(), [1, 2, 3, 4, 6, 7, 8, 9, 10].map(body));
    assert.equal(proxy.stats.publishesSwallowed, 1);
    assert.equal(proxy.stats.connections, 1, "the connection stayed up");

    // One-shot: the next matching publish goes through.
    assert.equal((await js.publish(subject, body(11), { timeout: 5_000 })).seq, 10);
  });

  test("cutAll drops the connection; the client reconnects by itself and publishing works again", async () => {
    const subject = cluster.names.subject("fault.after-cut");
    const js = jetstream(client);
    const reconnected = (async () => {
      for await (const status of client.status()) if (status.type === "reconnect") return;
    })();
    const connectionsBefore = proxy.stats.connections;
    proxy.cutAll();
    assert.equal(proxy.stats.cuts, 1);
    await within("reconnect after cutAll", reconnected, 10_000);
    assert.equal(proxy.stats.connections, connectionsBefore + 1);
    const ack = await js.publish(subject, "after the cut", { timeout: 5_000 });
    assert.equal((await jsm.streams.getMessage(stream, { seq: ack.seq }))!.string(), "after the cut");
  });
});
