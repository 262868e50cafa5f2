import { join } from "node:path";
import { homedir } from "node:os";
import { METRICS_STREAM } from "@gantry/proto";
import { attachControlMetrics, connectBus, createGrpcServer, ensureStream, followDirectory, serverCredentials, type Bus, type Logger, type ServiceEnvironment } from "@gantry/platform";
import type { SeriesStoreOptions } from "./domain/series-store.ts";
import { MetricsNode } from "./app/metrics-node.ts";
import { consumeMetricBatches } from "./adapters/metrics-input.nats.ts";
import { metricsService } from "./adapters/metrics.grpc.ts";
import { readSnapshot, writeSnapshot } from "./adapters/snapshot-file.fs.ts";

/** What the metrics service needs to run, compiled by the caller (main.ts or `gantry up`). */
export interface MetricsOptions extends Omit<ServiceEnvironment, "databaseUrl"> {
  logger: Logger;
  /** Where blocks are persisted (default `~/.gantry/<cluster>/metrics`). */
  dataDir?: string;
  /** How often ingested blocks are persisted (default 10 s). */
  persistIntervalMs?: number;
  /** How often old data is downsampled and dropped (default 60 s). */
  compactIntervalMs?: number;
  store?: Partial<SeriesStoreOptions>;
}

/** A running metrics service. */
export interface RunningMetrics {
  port: number;
  node: MetricsNode;
  /** Persists now (tests; a stop persists too). */
  persist(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the metrics service: loads the persisted blocks, reads the METRICS stream from after the
 * sequence they hold, persists every `persistIntervalMs`, compacts every `compactIntervalMs`, and
 * serves `gantry.metrics.v1.MetricsService`. A stop persists what was ingested. Never touches
 * PostgreSQL.
 */
export async function startMetrics(options: MetricsOptions): Promise<RunningMetrics> {
  const { logger } = options;
  const dataDir = options.dataDir ?? join(homedir(), ".gantry", options.names.cluster, "metrics");
  const stop = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const background: Promise<void>[] = [];
  let bus: Bus | undefined;
  const node = new MetricsNode(
    { snapshots: { read: (store) => readSnapshot(dataDir, store), write: (store, seq) => writeSnapshot(dataDir, store, seq) }, logger, now: Date.now },
    options.store,
  );
  try {
    const from = await node.restore();
    bus = await connectBus(options.natsUrl, options.names, "metrics", options.tls);
    const directory = await followDirectory(bus.nc, options.names);
    stop.signal.addEventListener("abort", () => directory.stop());
    options.authenticator.useDirectory?.(directory, { keepExisting: true });
    const stream = await ensureStream(bus, METRICS_STREAM);
    const controlMetrics = attachControlMetrics(bus, "metrics", logger);
    stop.signal.addEventListener("abort", () => void controlMetrics.stop());
    background.push(consumeMetricBatches(bus, stream, from, (batch, seq) => void node.ingest(batch, seq), logger.child({ component: "metrics-input" }), stop.signal));
    const persistLoop = () => node.persist().catch((err: unknown) => logger.error({ err, dataDir }, "persisting metric blocks failed; will retry"));
    timers.push(setInterval(persistLoop, options.persistIntervalMs ?? 10_000));
    timers.push(setInterval(() => node.compact(), options.compactIntervalMs ?? 60_000));
    const grpc = createGrpcServer({ logger, authenticator: options.authenticator, services: [metricsService(node.store, Date.now)], reflection: true, credentials: serverCredentials(options.tls) });
    const port = await grpc.listen(options.host, options.port);
    logger.info({ port, dataDir }, "metrics serving");
    return {
      port,
      node,
      persist: () => node.persist(),
      async stop() {
        await grpc.shutdown(2_000);
        for (const t of timers) clearInterval(t);
        stop.abort();
        await Promise.allSettled(background);
        await node.persist();
        await bus!.close();
      },
    };
  } catch (err) {
    for (const t of timers) clearInterval(t);
    stop.abort();
    await Promise.allSettled(background);
    await bus?.close().catch(() => undefined);
    throw err;
  }
}
