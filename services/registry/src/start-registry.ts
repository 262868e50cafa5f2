import { connect } from "@nats-io/transport-node";
import {
  EventStore,
  openClusterDatabase,
  createGrpcServer,
  startEventRelay,
  type Logger,
  type ServiceEnvironment,
} from "@gantry/platform";
import { AppCommands } from "./app/app.commands.ts";
import { ChangeRunner } from "./app/change-runner.ts";
import { DeploymentCommands } from "./app/deployment.commands.ts";
import { KillAndScaleCommands } from "./app/kill-and-scale.commands.ts";
import { GroupCommands } from "./app/group.commands.ts";
import { PodCommands } from "./app/pod.commands.ts";
import { RegistryProjection } from "./app/registry.projection.ts";
import { RegistryQueries } from "./app/registry.queries.ts";
import { eventStoreWriter } from "./adapters/event-store.writer.ts";
import { followLog } from "./adapters/log-follower.ts";
import { registryService } from "./adapters/registry-service.grpc.ts";

/** What the registry needs to run, compiled by the caller (main.ts or `gantry up`). */
export interface RegistryOptions extends ServiceEnvironment {
  logger: Logger;
  /** Run the Postgres → JetStream relay in this process (default true; competing relays are safe). With false, NATS is not contacted. */
  relay?: boolean;
}

/** A running registry. */
export interface RunningRegistry {
  /** The bound gRPC port. */
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts the registry: migrates the event store, rebuilds the projection (apps, pods, groups,
 * every version, deployments) from the log and follows its tail, starts the relay to JetStream
 * (unless `relay: false`), and serves `gantry.registry.v1.RegistryService` (with reflection).
 */
export async function startRegistry(options: RegistryOptions): Promise<RunningRegistry> {
  const { logger } = options;
  const database = await openClusterDatabase(options.databaseUrl, options.names.cluster, { applicationName: "gantry-registry" });
  const { pool } = database;
  const stop = new AbortController();
  const store = new EventStore({ pool, logger });
  let nc: Awaited<ReturnType<typeof connect>> | undefined;
  try {
    const projection = new RegistryProjection();
    const follower = await followLog(store, projection, logger, stop.signal);
    nc = options.relay === false ? undefined : await connect({ servers: options.natsUrl, name: `${options.names.cluster}/registry-relay` });
    const relay = nc ? await startEventRelay({ store, nc, names: options.names, logger, signal: stop.signal }) : undefined;
    const runner = new ChangeRunner({ projection, writer: eventStoreWriter(store), catchUp: (conflicts) => follower.catchUpStreams(conflicts), refreshDeployments: (ids) => follower.refreshDeployments(ids), logger });
    const service = registryService({
      apps: new AppCommands(runner),
      pods: new PodCommands(runner),
      groups: new GroupCommands(runner, projection),
      deployments: new DeploymentCommands(runner, projection),
      killAndScale: new KillAndScaleCommands(runner),
      queries: new RegistryQueries(projection),
    });
    const grpc = createGrpcServer({ logger, authenticator: options.authenticator, services: [service], reflection: true });
    const port = await grpc.listen(options.host, options.port);
    logger.info({ port }, "registry serving");
    return {
      port,
      async stop() {
        await grpc.shutdown(2_000);
        stop.abort();
        await Promise.allSettled([follower.done, relay?.done]);
        await nc?.drain().catch(() => undefined);
        await store.close();
        await database.close();
      },
    };
  } catch (err) {
    // Leave nothing open behind a failed start (a live NATS connection would keep the process up).
    stop.abort();
    await nc?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw err;
  }
}
