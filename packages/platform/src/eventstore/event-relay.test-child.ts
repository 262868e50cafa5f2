/**
 * A relay in its own process, for event-relay.int.test.ts: DATABASE_URL, NATS_URL, GANTRY_CLUSTER;
 * RELAY_CRASH_AT_CHECKPOINT=N makes it SIGKILL itself when about to record its Nth checkpoint
 * (after that batch was acknowledged by JetStream), RELAY_DUPLICATE_WINDOW_MS shortens the
 * stream's duplicate window. Test fixture only.
 */
import pg from "pg";
import { connect } from "@nats-io/transport-node";
import { clusterNames, infrastructureUrls } from "../config/index.ts";
import { createLogger } from "../logging/index.ts";
import { startEventRelay } from "./event-relay.ts";
import { EventStore } from "./event-store.ts";

const { databaseUrl, natsUrl } = infrastructureUrls();
const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
pool.on("error", () => undefined);
const store = new EventStore({ pool });
const crashAt = Number(process.env.RELAY_CRASH_AT_CHECKPOINT ?? 0);
let checkpoints = 0;
const setCheckpoint = store.setCheckpoint.bind(store);
store.setCheckpoint = (id, position) => {
  if (++checkpoints === crashAt) process.kill(process.pid, "SIGKILL");
  return setCheckpoint(id, position);
};
const nc = await connect({ servers: natsUrl });
const stop = new AbortController();
process.on("SIGTERM", () => stop.abort());
const relay = await startEventRelay({
  store,
  nc,
  names: clusterNames(process.env.GANTRY_CLUSTER!),
  logger: createLogger("relay-child", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" }),
  signal: stop.signal,
  batchSize: 50,
  streamSettings: { duplicateWindowMs: Number(process.env.RELAY_DUPLICATE_WINDOW_MS ?? 120_000) },
});
await relay.done;
await nc.close();
await store.close();
await pool.end();
