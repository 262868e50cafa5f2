import { randomBytes } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { clusterNames, type ClusterNames } from "../config/index.ts";

/** A unique cluster name for one test file on the shared NATS, and `cleanup()` to delete its streams. */
export interface TestCluster {
  names: ClusterNames;
  /** Deletes every JetStream stream whose name belongs to this cluster. */
  cleanup(nc: NatsConnection): Promise<void>;
}

/**
 * A cluster name `t-<random>` (so subjects `t-<random>.…` and streams `T_<RANDOM>_…` collide with
 * no other test file), with a cleanup that deletes the streams the test created.
 */
export function createTestCluster(): TestCluster {
  const names = clusterNames(`t-${randomBytes(5).toString("hex")}`);
  const streamPrefix = names.stream("");
  return {
    names,
    async cleanup(nc) {
      const jsm = await jetstreamManager(nc);
      for await (const name of jsm.streams.names()) {
        if (name.startsWith(streamPrefix)) await jsm.streams.delete(name);
      }
    },
  };
}
