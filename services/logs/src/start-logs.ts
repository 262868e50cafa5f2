import { connectBus, createGrpcServer, followDirectory, serverCredentials, type Logger, type ServiceEnvironment } from "@gantry/platform";
import type { Bus } from "@gantry/platform/bus";
import { openLogsDatabase } from "./adapters/logs-database.postgres.ts";
import { PartitionKeeper } from "./adapters/partition-keeper.postgres.ts";
import { LogStore } from "./adapters/log-store.postgres.ts";
import { startIngest, type IngestStats } from "./adapters/log-ingest.nats.ts";
import { logsService } from "./adapters/logs.grpc.ts";
import type { LogsSettings } from "./logs-options.ts";
import { BlockCache } from "./domain/block-cache.ts";
import { startComponentLogShipping, type ComponentLogShipping } from "./shipping/component-log-shipper.ts";

/** What the logs service needs, compiled by the caller (main.ts or `gantry up`). */
export interface LogsOptions extends ServiceEnvironment {
  logger: Logger;
  settings: LogsSettings;
  /** Run the ingest in this process (default true); a query-only replica sets false. */
  ingest?: boolean;
}

/** A running logs service. */
export interface RunningLogs {
  port: number;
  store: LogStore;
  partitions: PartitionKeeper;
  /** Ingest counters (zeros when ingest is off). */
  stats: IngestStats;
  stop(): Promise<void>;
}

/**
 * Starts the logs service: its database (created and migrated), the time partitions (created
 * ahead, expired ones dropped, then again every `maintenanceEveryMs`), the LOGS ingest (durable
 * consumer → one COPY of chunks per group of batches, acknowledged after commit) and
 * `gantry.logs.v1.LogsService` over gRPC.
 */
export async function startLogs(options: LogsOptions): Promise<RunningLogs> {
  const { logger, settings } = options;
  const stop = new AbortController();
  const database = await openLogsDatabase(settings.logsDatabaseUrl);
  let bus: Bus | undefined;
  const background: Promise<void>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let ownLogs: ComponentLogShipping | undefined;
  try {
    const partitions = new PartitionKeeper(database.pool, settings.partitions, logger);
    await partitions.maintain(Date.now());
    const store = new LogStore(database.pool, partitions, new BlockCache(settings.blockCacheBytes));
    timer = setInterval(() => {
      partitions.maintain(Date.now()).catch((err) => logger.warn({ err }, "log partition maintenance failed; will retry"));
    }, settings.maintenanceEveryMs);
    timer.unref();
    bus = await connectBus(options.natsUrl, options.names, "logs", options.tls);
    // Its own log lines go the way every service's do (and come back through its own ingest).
    ownLogs = await startComponentLogShipping({ bus, component: "logs" });
    const directory = await followDirectory(bus.nc, options.names);
    stop.signal.addEventListener("abort", () => directory.stop());
    options.authenticator.useDirectory?.(directory, { keepExisting: true });
    let stats: IngestStats = { lines: 0, batches: 0, commits: 0, duplicates: 0, expired: 0, parked: 0, storeMs: 0 };
    if (options.ingest !== false) {
      const ingest = await startIngest({ bus, store, logger: logger.child({ component: "logs-ingest" }), signal: stop.signal });
      stats = ingest.stats;
      background.push(ingest.done);
    }
    const grpc = createGrpcServer({ logger, authenticator: options.authenticator, services: [logsService(store, bus)], reflection: true, credentials: serverCredentials(options.tls) });
    const port = await grpc.listen(options.host, options.port);
    logger.info({ port, retentionMs: settings.partitions.retentionMs, partitionIntervalMs: settings.partitions.intervalMs }, "logs serving");
    return {
      port,
      store,
      partitions,
      stats,
      async stop() {
        clearInterval(timer);
        await grpc.shutdown(2_000);
        stop.abort();
        await Promise.allSettled(background);
        await ownLogs?.stop();
        await bus!.close();
        await database.close();
      },
    };
  } catch (err) {
    clearInterval(timer);
    stop.abort();
    await Promise.allSettled(background);
    await ownLogs?.stop().catch(() => undefined);
    await bus?.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw err;
  }
}
