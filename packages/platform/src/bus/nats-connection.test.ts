import assert from "node:assert/strict";
import { test } from "node:test";
import { natsServers } from "./nats-connection.ts";

test("a NATS URL names one server", () => {
  assert.deepEqual(natsServers("nats://127.0.0.1:4222"), ["nats://127.0.0.1:4222"]);
});

test("a comma-separated NATS URL names every server of a cluster, blanks ignored", () => {
  assert.deepEqual(natsServers("nats://10.0.0.1:4222, nats://10.0.0.2:4222,,nats://10.0.0.3:4222 "), ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222", "nats://10.0.0.3:4222"]);
});
