import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startComponentLogShipping, type ComponentLogShipping } from "@gantry/logs/shipping";
import {
  EventStore,
  connectNats,
  openClusterDatabase,
  createGrpcServer,
  startEventRelay,
  keepPlannerStatistics,
  directoryEntries,
  publishDirectory,
  recordDenials,
  serverCredentials,
  ListVersionAnnouncer,
  type EventRelay,
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
import { IamCommands } from "./iam/iam.commands.ts";
import { IamProjection } from "./iam/iam.projection.ts";
import { iamService } from "./iam/iam-service.grpc.ts";
import { SecretCommands } from "./secrets/secret.commands.ts";
import { secretService } from "./secrets/secret-service.grpc.ts";

/** What the registry needs to run, compiled by the caller (main.ts or `gantry up`). */
export interface RegistryOptions extends ServiceEnvironment {
  logger: Logger;
  /** Run the Postgres → JetStream relay in this process (default true; competing relays are safe). With false, NATS is not contacted. */
  relay?: boolean;
  /** How long a login's token lives (default 12 hours). */
  tokenTtlSeconds?: number;
  /** The cluster's secrets key (kept outside the database); without it, secrets are refused. */
  secretsKey?: Uint8Array;
}

/** A running registry. */
export interface RunningRegistry {
  /** The bound gRPC port. */
  port: number;
  stop(): Promise<void>;
}

/**
 * Publishes the principal directory (see `publishDirectory`) now and after every change folded
 * from the log (one publication at a time; the last change always gets one). Resolves to a
 * function that settles once the bucket holds the state folded so far.
 */
async function directoryPublisher(nc: NatsConnection, options: RegistryOptions, iam: IamProjection, logger: Logger): Promise<() => Promise<void>> {
  const publish = await publishDirectory(nc, options.names);
  let queue: Promise<void> = Promise.resolve();
  const publishNow = () => {
    queue = queue
      .then(() => publish(directoryEntries({ principals: new Set([...iam.principals.keys(), ...iam.notBefore.keys()]), lookup: (n) => iam.lookup(n), revokedTokens: iam.revokedTokens.keys() }), iam.position))
      .catch((err: unknown) => logger.error({ err }, "publishing the principal directory failed"));
    return queue;
  };
  iam.onChange = () => void publishNow();
  await publishNow();
  return () => queue;
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
  let nc: NatsConnection | undefined;
  let ownLogs: ComponentLogShipping | undefined;
  let listVersion: ListVersionAnnouncer | undefined;
  let statistics: Promise<void> | undefined;
  let relay: EventRelay | undefined;
  try {
    const projection = new RegistryProjection();
    const iam = new IamProjection();
    const follower = await followLog(store, { registry: projection, iam }, logger, stop.signal);
    // The log's planner statistics follow its growth (autovacuum may be off, and is slow to start).
    statistics = keepPlannerStatistics({ pool, logger, signal: stop.signal });
    // Tokens are looked up in the registry's own view of principals (grants, revocations).
    options.authenticator.useDirectory?.(iam);
    nc = options.relay === false ? undefined : await connectNats(options.natsUrl, `${options.names.cluster}/registry-relay`, options.tls);
    relay = nc ? await startEventRelay({ store, nc, names: options.names, logger, signal: stop.signal }) : undefined;
    // The registry's own log lines, shipped to the LOGS stream (bounded, never blocking).
    ownLogs = nc ? await startComponentLogShipping({ bus: { js: jetstream(nc), jsm: await jetstreamManager(nc), names: options.names }, component: "registry" }) : undefined;
    const publishIam = nc ? await directoryPublisher(nc, options, iam, logger) : async () => undefined;
    const runner = new ChangeRunner({ projection, writer: eventStoreWriter(store), catchUp: (conflicts) => follower.catchUpStreams(conflicts), refreshDeployments: (ids) => follower.refreshDeployments(ids), logger });
    const audit = recordDenials(store, logger);
    const queries = new RegistryQueries(projection);
    const service = registryService({
      apps: new AppCommands(runner),
      pods: new PodCommands(runner),
      groups: new GroupCommands(runner, projection),
      deployments: new DeploymentCommands(runner, projection),
      killAndScale: new KillAndScaleCommands(runner),
      queries,
    }, audit);
    // The apps lists' version, announced so that the gateway uses its held lists without asking.
    listVersion = nc ? new ListVersionAnnouncer(nc, options.names, () => queries.version()).start() : undefined;
    const iamCommands = new IamCommands({
      store,
      projection: iam,
      catchUp: async (streamId, version) => {
        await follower.catchUpStreams([{ streamId, actualVersion: version }]);
        await publishIam();
      },
      ...(options.signer ? { signer: options.signer } : {}),
      tokenTtlSeconds: options.tokenTtlSeconds ?? 12 * 3600,
    });
    const secretCommands = new SecretCommands({ store, projection, catchUp: (streamId, version) => follower.catchUpStreams([{ streamId, actualVersion: version }]), key: options.secretsKey });
    const services = [service, iamService(iamCommands, iam, audit), secretService(secretCommands, projection, audit)];
    const grpc = createGrpcServer({ logger, authenticator: options.authenticator, services, reflection: true, credentials: serverCredentials(options.tls) });
    const port = await grpc.listen(options.host, options.port);
    logger.info({ port }, "registry serving");
    return {
      port,
      async stop() {
        await grpc.shutdown(2_000);
        listVersion?.stop();
        stop.abort();
        await Promise.allSettled([follower.done, relay?.done, statistics]);
        await ownLogs?.stop();
        await nc?.drain().catch(() => undefined);
        await store.close();
        await database.close();
      },
    };
  } catch (err) {
    // Leave nothing open behind a failed start (a live NATS connection would keep the process up).
    listVersion?.stop();
    stop.abort();
    await Promise.allSettled([statistics, relay?.done]);
    await ownLogs?.stop().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw err;
  }
}
