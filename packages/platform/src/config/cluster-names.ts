import { GantryError } from "../errors/index.ts";
import { streamReplicasFromEnv } from "./stream-replicas.ts";

const CLUSTER_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/**
 * The names one cluster uses on a shared NATS: every subject starts with the cluster name and
 * every JetStream stream name starts with its upper-cased form, so two clusters (or two test
 * files) can share one server. With the default cluster name `gantry` the event stream is
 * `GANTRY_EVENTS` and its subjects `gantry.events.<streamType>.<eventType>`. It also carries how
 * many servers keep each of those streams, so that every stream is declared alike.
 */
export interface ClusterNames {
  readonly cluster: string;
  /** Copies of each JetStream stream of the cluster (`num_replicas`): 1 on one server, 3 on a 3-node NATS cluster. */
  readonly streamReplicas: number;
  /** `<cluster>.<suffix>` */
  subject(suffix: string): string;
  /** `<CLUSTER>_<suffix>` with `-` turned into `_` (JetStream names allow neither `.` nor `-` well). */
  stream(suffix: string): string;
  /** Durable consumer name: `<cluster>_<suffix>`. */
  consumer(suffix: string): string;
}

/**
 * Compiles a cluster name (`GANTRY_CLUSTER`, default `gantry`) into its subject and stream names,
 * with its streams' replicas (`GANTRY_NATS_REPLICAS`, default 1, see streamReplicasFromEnv);
 * rejects names NATS cannot carry.
 */
export function clusterNames(cluster: string = process.env.GANTRY_CLUSTER ?? "gantry", streamReplicas: number = streamReplicasFromEnv()): ClusterNames {
  if (!CLUSTER_NAME.test(cluster)) {
    throw new GantryError(
      "InvalidArgument",
      `cluster name "${cluster}" is invalid: use 1-31 lower-case letters, digits or '-', starting with a letter`,
    );
  }
  const upper = cluster.toUpperCase().replaceAll("-", "_");
  return {
    cluster,
    streamReplicas,
    subject: (suffix) => `${cluster}.${suffix}`,
    stream: (suffix) => `${upper}_${suffix}`,
    consumer: (suffix) => `${cluster.replaceAll("-", "_")}_${suffix}`,
  };
}
