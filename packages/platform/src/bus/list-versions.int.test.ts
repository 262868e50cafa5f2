import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { infrastructureUrls } from "../config/index.ts";
import { createTestCluster, eventually, startNatsFaultProxy, type NatsFaultProxy, type TestCluster } from "../testing/index.ts";
import { ListVersionAnnouncer, ListVersionWatch, listVersionsSubject } from "./list-versions.ts";
import { connectNats } from "./nats-connection.ts";

describe("list versions over NATS", () => {
  let cluster: TestCluster;
  let proxy: NatsFaultProxy;
  let announcing: NatsConnection;
  let watching: NatsConnection;
  let version: string;
  let announcer: ListVersionAnnouncer | undefined;
  let watch: ListVersionWatch | undefined;

  beforeEach(async () => {
    cluster = createTestCluster();
    const nats = new URL(infrastructureUrls().natsUrl);
    proxy = await startNatsFaultProxy({ targetHost: nats.hostname, targetPort: Number(nats.port) });
    announcing = await connectNats(proxy.url, "list-versions-announcer");
    // The watch on a connection of its own, not through the proxy, unless a test says otherwise.
    watching = await connectNats(infrastructureUrls().natsUrl, "list-versions-watch");
    version = "p1:1";
  });

  afterEach(async () => {
    announcer?.stop();
    watch?.stop();
    await announcing.close();
    await watching.close();
    await proxy.close();
    await cluster.cleanup(watching).catch(() => undefined);
  });

  test("a version is current once announced; a change is announced within the poll and the old version is current no more", async () => {
    watch = new ListVersionWatch().start(watching, cluster.names);
    await watching.flush();
    announcer = new ListVersionAnnouncer(announcing, cluster.names, () => version, { pollMs: 5, heartbeatMs: 60_000 }).start();
    await eventually("p1:1 current", () => watch!.isCurrent("p1:1"), 5_000, 5);
    assert.equal(watch.isCurrent("p1:0"), false, "never announced");
    const changedAt = Date.now();
    version = "p1:2";
    await eventually("p1:2 current", () => watch!.isCurrent("p1:2"), 5_000, 1);
    assert.ok(Date.now() - changedAt < 1_000, "announced at once, not at the next heartbeat");
    assert.equal(watch.isCurrent("p1:1"), false);
  });

  test("a lost announcement is made good by the next heartbeat", async () => {
    watch = new ListVersionWatch().start(watching, cluster.names);
    await watching.flush();
    announcer = new ListVersionAnnouncer(announcing, cluster.names, () => version, { pollMs: 5, heartbeatMs: 300 }).start();
    await eventually("p1:1 current", () => watch!.isCurrent("p1:1"), 5_000, 5);
    proxy.swallowPublish({ subjectPrefix: listVersionsSubject(cluster.names), nth: 1 });
    version = "p1:2";
    await eventually("the change's announcement swallowed", () => proxy.stats.publishesSwallowed === 1, 5_000, 1);
    await eventually("p1:2 current after a heartbeat", () => watch!.isCurrent("p1:2"), 5_000, 5);
    assert.equal(watch.isCurrent("p1:1"), false);
  });

  test("an announcer gone quiet is trusted no longer than trustMs", async () => {
    watch = new ListVersionWatch({ trustMs: 400 }).start(watching, cluster.names);
    await watching.flush();
    announcer = new ListVersionAnnouncer(announcing, cluster.names, () => version, { pollMs: 5, heartbeatMs: 100 }).start();
    await eventually("p1:1 current", () => watch!.isCurrent("p1:1"), 5_000, 5);
    // Heartbeats keep it current past trustMs.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(watch.isCurrent("p1:1"), true, "heard every 100 ms");
    announcer.stop();
    const stoppedAt = Date.now();
    await eventually("p1:1 no longer trusted", () => !watch!.isCurrent("p1:1"), 5_000, 5);
    assert.ok(Date.now() - stoppedAt < 600, "within trustMs of the last heartbeat");
  });

  test("a watch whose connection drops trusts nothing it heard before", async () => {
    // This time the watch is the one behind the proxy; it trusts for a minute, so only the drop explains forgetting.
    await watching.close();
    watching = await connectNats(proxy.url, "list-versions-watch");
    watch = new ListVersionWatch({ trustMs: 60_000 }).start(watching, cluster.names);
    await watching.flush();
    announcer?.stop();
    await announcing.close();
    announcing = await connectNats(infrastructureUrls().natsUrl, "list-versions-announcer");
    announcer = new ListVersionAnnouncer(announcing, cluster.names, () => version, { pollMs: 5, heartbeatMs: 60_000 }).start();
    await eventually("p1:1 current", () => watch!.isCurrent("p1:1"), 5_000, 5);
    proxy.cutAll();
    await eventually("forgotten on the drop", () => !watch!.isCurrent("p1:1"), 5_000, 5);
  });
});
