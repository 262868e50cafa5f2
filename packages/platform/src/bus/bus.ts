import type { TlsMaterial } from "../tls/tls-material.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { ClusterNames } from "../config/index.ts";
import { connectNats } from "./nats-connection.ts";
import { PipelinedPublisher } from "./pipelined-publisher.ts";

/**
 * One NATS connection with its JetStream client and manager, bound to one cluster's names.
 * Every subject and stream a service uses goes through `names`, so clusters sharing one
 * NATS never see each other's traffic.
 */
export interface Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly names: ClusterNames;
  /** JetStream publishes with their PubAcks collected on one subscription (see publishDurable). */
  readonly publisher: PipelinedPublisher;
  /** Drains outstanding messages and closes the connection. */
  close(): Promise<void>;
}

/**
 * Connects to NATS (`natsUrl`: one server, or a cluster's servers comma-separated) for one
 * component; fails with the server's error when it is unreachable. See connectNats.
 */
export async function connectBus(natsUrl: string, names: ClusterNames, component: string, tls?: TlsMaterial): Promise<Bus> {
  const nc = await connectNats(natsUrl, `${names.cluster}/${component}`, tls);
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const publisher = new PipelinedPublisher(nc);
  return {
    nc,
    js,
    jsm,
    names,
    publisher,
    async close() {
      if (nc.isClosed()) return;
      publisher.close();
      await nc.drain().catch(() => nc.close());
    },
  };
}
