import { connect } from "@nats-io/transport-node";
import {
  EventStore,
  openDatabase,
  createGrpcServer,
  migrateEventStore,
  startEventRelay,
  type Authenticator,
  type ClusterNames,
  type Logger,
} from "@gantry/platform";
import { AppCommands } from "./app/app-commands.ts";
import { AppsProjection } from "./app/apps.projection.ts";
import { followApps } from "./app/apps-follower.ts";
import { eventStoreWriter } from "./adapters/event-store.writer.ts";
import { registryService } from "./adapters/registry.grpc.ts";

/** What the registry needs to run, compiled by the caller (main.ts or `gantry up`). */
export interface RegistryOptions {
  databaseUrl: string;
  natsUrl: string;
  names: ClusterNames;
  host: string;
  /** gRPC port; 0 picks a free one. */
  port: number;
  authenticator: Authenticator;
  logger: Logger;
  /** Run the Postgres → JetStream relay in this process (default true; competing relays are safe). */
  relay?: boolean;
}

/** A running registry. */
export interface RunningRegistry {
  /** The bound gRPC port. */
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts the registry: migrates the event store, rebuilds the apps projection from the log,
 * starts the relay to JetStream, and serves `gantry.registry.v1.RegistryService` (with reflection).
 */
export async function startRegistry(options: RegistryOptions): Promise<RunningRegistry> {
  const { logger } = options;
  const database = openDatabase(options.databaseUrl, { applicationName: "gantry-registry" });
  const { pool } = database;
  const stop = new AbortController();
  try {
    await migrateEventStore(database.db);
    const store = new EventStore({ pool, logger });
    const apps = new AppsProjection();
    const follower = await followApps(store, apps, logger, stop.signal);
    const nc = await connect({ servers: options.natsUrl, name: `${options.names.cluster}/registry-relay` });
    const relay = options.relay === false ? undefined : await startEventRelay({ store, nc, names: options.names, logger, signal: stop.signal });
    const grpc = createGrpcServer({ logger, authenticator: options.authenticator, services: [registryService(new AppCommands(eventStoreWriter(store), apps), apps)], reflection: true });
    const port = await grpc.listen(options.host, options.port);
    logger.info({ port }, "registry serving");
    return {
      port,
      async stop() {
        await grpc.shutdown(2_000);
        stop.abort();
        await Promise.allSettled([follower.done, relay?.done]);
        await nc.drain().catch(() => undefined);
        await store.close();
        await database.close();
      },
    };
  } catch (err) {
    stop.abort();
    await database.close().catch(() => undefined);
    throw err;
  }
}
