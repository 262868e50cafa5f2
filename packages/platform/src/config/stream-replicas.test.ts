import assert from "node:assert/strict";
import { test } from "node:test";
import { GantryError } from "../errors/index.ts";
import { clusterNames } from "./cluster-names.ts";
import { streamReplicasFromEnv } from "./stream-replicas.ts";

test("GANTRY_NATS_REPLICAS unset or empty means one copy of each stream", () => {
  assert.equal(streamReplicasFromEnv({}), 1);
  assert.equal(streamReplicasFromEnv({ GANTRY_NATS_REPLICAS: "" }), 1);
});

test("GANTRY_NATS_REPLICAS sets the copies of each stream, and clusterNames carries it to every stream declaration", () => {
  assert.equal(streamReplicasFromEnv({ GANTRY_NATS_REPLICAS: "3" }), 3);
  assert.equal(clusterNames("c", 3).streamReplicas, 3);
  assert.equal(clusterNames("c").streamReplicas, streamReplicasFromEnv());
});

test("GANTRY_NATS_REPLICAS outside 1-5 or not a whole number is refused, naming the variable", () => {
  for (const raw of ["0", "6", "2.5", "three", "-1"]) {
    assert.throws(() => streamReplicasFromEnv({ GANTRY_NATS_REPLICAS: raw }), (err: unknown) => err instanceof GantryError && err.code === "InvalidArgument" && err.message.includes(`GANTRY_NATS_REPLICAS "${raw}"`));
  }
});
