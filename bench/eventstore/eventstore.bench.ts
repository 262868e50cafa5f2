/**
 * Event store benchmark: append rates (single and batched), projection rebuild through the
 * commit-order reader, the relay to JetStream, and the scheduler over a 1M-event history
 * (cold start, start from its snapshot, standby take-over at 50k live instances). Runs against
 * its own fresh databases and cluster names, dropped at the end; durability stays on (the run
 * refuses fsync/sync commit off). Prints human-readable figures, then one JSON line last.
 *
 *   node bench/eventstore/eventstore.bench.ts
 */
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { EventStore, migrateEventStore, startEventRelay, createLogger, infrastructureUrls, type NewEvent } from "@gantry/platform";
import { createTestCluster, createTestDatabase, type TestDatabase } from "@gantry/platform/testing";
import { measureSchedulerStartup } from "./scheduler-startup.ts";

const SINGLE_WRITERS = 16;
const SINGLE_APPENDS_PER_WRITER = 250;
const BATCH_WRITERS = 4;
const BATCH_SIZE = 100;
const BATCHED_EVENTS = 200_000;
const REBUILD_EVENTS = 1_000_000;
const SEED_BATCH = 1_000;
const RELAY_EVENTS = 100_000;

/** A payload the size of a typical instance event (an InstanceStaged-like document). */
function payload(i: number): NewEvent {
  return {
    type: "InstanceStaged",
    data: {
      instanceId: `shop.web.${i.toString(36)}`,
      appId: "/shop/web",
      appVersion: "2025-01-01T00:00:00.000Z",
      agentId: `agent-${i % 64}`,
      host: `node-${i % 64}.dc1.example`,
      resources: { cpus: 0.5, memMb: 256, diskMb: 0, gpus: 0 },
      ports: [31000 + (i % 1000)],
    },
    metadata: { correlationId: "deploy-1234", principal: "user:bench", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
  };
}

const rate = (n: number, ms: number) => Math.round((n * 1000) / ms);
const fmt = (n: number) => n.toLocaleString("en-US");

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const db = await createTestDatabase("bench");
  const pool = quiet(new pg.Pool({ connectionString: db.url, max: SINGLE_WRITERS + 4 }));
  const nc = await connect({ servers: infrastructureUrls().natsUrl });
  const store = new EventStore({ pool });
  try {
    await migrateEventStore(new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }));
    const sync = (await pool.query("SHOW synchronous_commit")).rows[0].synchronous_commit as string;
    const fsync = (await pool.query("SHOW fsync")).rows[0].fsync as string;
    if (sync !== "on" || fsync !== "on") throw new Error(`durability is off (synchronous_commit=${sync}, fsync=${fsync}); refusing to benchmark`);
    const eventBytes = Buffer.byteLength(JSON.stringify(payload(12345).data));
    const metadataBytes = Buffer.byteLength(JSON.stringify(payload(12345).metadata));
    console.log(`event store benchmark: PostgreSQL ${(await pool.query("SHOW server_version")).rows[0].server_version}, synchronous_commit=${sync}, fsync=${fsync}`);
    console.log(`payload: ${eventBytes} B data + ${metadataBytes} B metadata per event`);

    // appendSingle: many writers, one event per transaction (commands on distinct streams).
    const singleMs = await timed(async () => {
      await Promise.all(
        Array.from({ length: SINGLE_WRITERS }, async (_, w) => {
          for (let i = 0; i < SINGLE_APPENDS_PER_WRITER; i++) {
            await store.appendOrThrow(`instance-s${w}`, i, [payload(i)]);
          }
        }),
      );
    });
    const singleEvents = SINGLE_WRITERS * SINGLE_APPENDS_PER_WRITER;
    const appendSinglePerSec = rate(singleEvents, singleMs);
    console.log(`appendSingle:  ${fmt(appendSinglePerSec)} events/s (${SINGLE_WRITERS} writers, 1 event/tx, ${fmt(singleEvents)} events, ${Math.round(singleMs)} ms)`);

    // appendBatched: a few writers, 100 events per transaction (scheduler decisions).
    const batchedMs = await timed(() => appendBatches(store, BATCH_WRITERS, BATCH_SIZE, BATCHED_EVENTS, "batch"));
    const appendBatchedPerSec = rate(BATCHED_EVENTS, batchedMs);
    console.log(`appendBatched: ${fmt(appendBatchedPerSec)} events/s (${BATCH_WRITERS} writers, ${BATCH_SIZE} events/tx, ${fmt(BATCHED_EVENTS)} events, ${Math.round(batchedMs)} ms)`);

    // rebuild: fill the log up to 1,000,000 events, then fold them all through the reader.
    const existing = singleEvents + BATCHED_EVENTS;
    const seedMs = await timed(() => appendBatches(store, BATCH_WRITERS, SEED_BATCH, REBUILD_EVENTS - existing, "seed"));
    console.log(`(seeded ${fmt(REBUILD_EVENTS - existing)} more events in ${SEED_BATCH}-event transactions at ${fmt(rate(REBUILD_EVENTS - existing, seedMs))} events/s)`);
    const perType = new Map<string, number>();
    const lastVersion = new Map<string, number>();
    let folded = 0;
    const rebuildMs = await timed(async () => {
      // Pages of 10,000, as the scheduler reads them at start.
      for await (const page of store.readAllPages({ pageSize: 10_000 })) {
        for (const e of page) {
          perType.set(e.streamType, (perType.get(e.streamType) ?? 0) + 1);
          lastVersion.set(e.streamId, e.streamVersion);
        }
        folded += page.length;
      }
    });
    if (folded !== REBUILD_EVENTS) throw new Error(`rebuild folded ${folded} events, expected ${REBUILD_EVENTS}`);
    const rebuildPerSec = rate(folded, rebuildMs);
    console.log(`rebuild:       ${fmt(rebuildPerSec)} events/s (${fmt(folded)} events into ${fmt(lastVersion.size)} streams by id, type and version; payloads parsed on access only, ${Math.round(rebuildMs)} ms)`);

    // relay: a fresh log of N events, relayed from an empty stream (the relay starts from the
    // stream's tail), timed until every event is stored on JetStream (acked, file storage).
    const relayMs = await measureRelay(nc);
    const relayPerSec = rate(RELAY_EVENTS, relayMs);
    console.log(`relay:         ${fmt(relayPerSec)} events/s (${fmt(RELAY_EVENTS)} events Postgres → JetStream, file storage, acked, expected-last-sequence on every publish, ${Math.round(relayMs)} ms)`);

    const scheduler = await measureSchedulerStartup();
    console.log(`scheduler:     cold start ${fmt(scheduler.coldStartupMs)} ms, start from snapshot ${fmt(scheduler.startupMs)} ms, standby take-over ${fmt(scheduler.takeoverMs)} ms (${fmt(scheduler.liveInstances)} live instances over ${fmt(scheduler.historicalEvents)} events)`);

    console.log(
      JSON.stringify({
        bench: "eventstore",
        appendSinglePerSec,
        appendBatchedPerSec,
        rebuildPerSec,
        relayPerSec,
        takeoverMs: scheduler.takeoverMs,
        startupMs: scheduler.startupMs,
        coldStartupMs: scheduler.coldStartupMs,
        liveInstances: scheduler.liveInstances,
        historicalEvents: scheduler.historicalEvents,
        eventBytes,
        metadataBytes,
        synchronousCommit: sync,
        fsync,
        singleWriters: SINGLE_WRITERS,
        batchWriters: BATCH_WRITERS,
        batchSize: BATCH_SIZE,
        rebuildEvents: folded,
        relayEvents: RELAY_EVENTS,
      }),
    );
  } finally {
    await store.close();
    await nc.close();
    await pool.end();
    await db.drop();
  }
}

/** A pool whose idle clients may be ended by DROP DATABASE … WITH (FORCE) at the end without crashing the run. */
function quiet(pool: pg.Pool): pg.Pool {
  pool.on("error", () => undefined);
  return pool;
}

/** Milliseconds the relay takes to store RELAY_EVENTS events of a fresh log on a fresh stream. */
async function measureRelay(nc: Awaited<ReturnType<typeof connect>>): Promise<number> {
  const db: TestDatabase = await createTestDatabase("bench_relay");
  const pool = quiet(new pg.Pool({ connectionString: db.url, max: BATCH_WRITERS + 4 }));
  const store = new EventStore({ pool });
  const cluster = createTestCluster();
  try {
    await migrateEventStore(new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }));
    await appendBatches(store, BATCH_WRITERS, SEED_BATCH, RELAY_EVENTS, "relay");
    const controller = new AbortController();
    const jsm = await jetstreamManager(nc);
    const logger = createLogger("eventstore-bench", { level: "warn" });
    const ms = await timed(async () => {
      const relay = await startEventRelay({ store, nc, names: cluster.names, logger, signal: controller.signal });
      // The relay's lease adds one event (LeaseAcquired) to the log.
      while ((await jsm.streams.info(relay.stream)).state.messages < RELAY_EVENTS + 1) await new Promise((r) => setTimeout(r, 10));
      controller.abort();
      await relay.done;
    });
    const stored = (await jsm.streams.info(cluster.names.stream("EVENTS"))).state.messages;
    if (stored !== RELAY_EVENTS + 1) throw new Error(`relay stored ${stored} messages, expected ${RELAY_EVENTS + 1}`);
    return ms;
  } finally {
    await store.close();
    await cluster.cleanup(nc).catch(() => undefined);
    await pool.end();
    await db.drop();
  }
}

/** `total` events from `writers` concurrent writers, `size` events per transaction, each writer on its own streams. */
async function appendBatches(store: EventStore, writers: number, size: number, total: number, prefix: string): Promise<void> {
  const perWriter = Math.ceil(total / writers / size);
  let remaining = total;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let b = 0; b < perWriter && remaining > 0; b++) {
        const n = Math.min(size, remaining);
        remaining -= n;
        // A new stream per transaction, as a scheduler decision opens many task streams.
        await store.appendOrThrow(`task-${prefix}${w}.${b}`, "no_stream", Array.from({ length: n }, (_, i) => payload(b * size + i)));
      }
    }),
  );
}

await main();
