import { GantryError } from "../errors/index.ts";

/** JetStream keeps at most 5 copies of a stream. */
const MAX_REPLICAS = 5;

/**
 * Compiles `GANTRY_NATS_REPLICAS` (unset: 1) into the number of NATS servers that keep a copy of
 * each of the cluster's JetStream streams: 1 for one server, 3 on a 3-node NATS cluster (a
 * stream then survives the loss of any one server). Every process of a cluster must use the same
 * value: each declares the streams it uses and so sets their replicas. Throws InvalidArgument
 * naming the variable when it is not a whole number from 1 to 5.
 */
export function streamReplicasFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GANTRY_NATS_REPLICAS;
  if (raw === undefined || raw.trim() === "") return 1;
  const replicas = Number(raw);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
    throw new GantryError("InvalidArgument", `GANTRY_NATS_REPLICAS "${raw}" is invalid: give a whole number of NATS servers from 1 to ${MAX_REPLICAS} (3 on a 3-node NATS cluster)`);
  }
  return replicas;
}
