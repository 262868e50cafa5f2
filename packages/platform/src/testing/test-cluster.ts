import { randomBytes } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { deleteClusterStreams } from "../bus/index.ts";
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
  return {
    names,
    async cleanup(nc) {
      await deleteClusterStreams({ jsm: await jetstreamManager(nc), names });
    },
  };
}
