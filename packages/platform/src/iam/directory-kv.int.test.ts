import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { infrastructureUrls } from "../config/environment.ts";
import { createTestCluster } from "../testing/test-cluster.ts";
import { eventually } from "../testing/waits.ts";
import { followDirectory, publishDirectory, type FollowedDirectory } from "./directory-kv.ts";

const cluster = createTestCluster();
let nc: NatsConnection;
let followed: FollowedDirectory | undefined;
before(async () => {
  nc = await connect({ servers: infrastructureUrls().natsUrl });
});
after(async () => {
  followed?.stop();
  await cluster.cleanup(nc);
  await nc.close();
});

const entry = (grants: string[], notBefore = 0) => JSON.stringify({ grants, notBefore });

test("a service follows the registry's directory: what is there at start, then every change; a replica behind never puts back an older entry", async () => {
  const fresh = await publishDirectory(nc, cluster.names);
  await fresh(new Map([["p.alice", entry(["gantry:apps:/team-a full"])]]), { transactionId: 10n, globalPosition: 100n });
  followed = await followDirectory(nc, cluster.names);
  assert.deepEqual(followed.lookup("alice"), { grants: [{ resource: "gantry:apps", path: "/team-a", action: "full" }], notBefore: 0 }, "read at start");
  assert.equal(followed.lookup("bob"), undefined);

  await fresh(new Map([["p.alice", entry([], 1_700_000_000)], ["t.tok-1", JSON.stringify({ revoked: true })]]), { transactionId: 11n, globalPosition: 105n });
  await eventually("the revocation and the new entry", () => followed!.isRevoked("tok-1") && followed!.lookup("alice")?.notBefore === 1_700_000_000, 5_000);

  // A second replica that has only folded up to position 10 publishes what it knows then.
  const behind = await publishDirectory(nc, cluster.names);
  await behind(new Map([["p.alice", entry(["gantry:apps:/team-a full"])]]), { transactionId: 10n, globalPosition: 100n });
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(followed.lookup("alice")?.grants, [], "the older entry did not replace the newer");
  assert.equal(followed.isRevoked("tok-2"), false);
});
