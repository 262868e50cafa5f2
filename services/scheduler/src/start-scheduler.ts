import { randomUUID } from "node:crypto";
import {
  attachControlMetrics,
  EventStore,
  connectBus,
  followDirectory,
  recordDenials,
  serverCredentials,
  createGrpcServer,
  openClusterDatabase,
  startEventRelay,
  keepPlannerStatistics,
  ListVersionAnnouncer,
  type Logger,
  type ServiceEnvironment,
} from "@gantry/platform";
import { Scheduler, type SchedulerSettings } from "./app/scheduler.ts";
import { ensureAgentStatusStream, natsCommandSender } from "./adapters/agent-link.nats.ts";
import { eventStoreAppender } from "./adapters/event-store.appender.ts";
import { schedulerService } from "./adapters/scheduler.grpc.ts";
import { snapshotStore } from "./adapters/snapshot-store.postgres.ts";
import { DEFAULT_PLACEMENT_POLICY } from "./placement-policy.ts";
import { startSchedulerRoles, type SchedulerRoles } from "./scheduler-roles.ts";
import { startComponentLogShipping, type ComponentLogShipping } from "@gantry/logs/shipping";

/** What the scheduler needs to run, compiled by the caller (main.ts or `gantry up`). */
export interface SchedulerOptions extends ServiceEnvironment {
  logger: Logger;
  settings?: Partial<SchedulerSettings>;
  /** Compete to run the log → JetStream relay in this process too (default true). */
  relay?: boolean;
  /** Who this scheduler is in the lease records (default: this process). */
  holder?: string;
  /** The longest, in seconds, a state that changed goes without a snapshot (default 600; one is due sooner once enough events were folded). */
  snapshotIntervalSeconds?: number;
}

/** A running scheduler (leading or standing by). */
export interface RunningScheduler {
  port: number;
  scheduler: Scheduler;
  roles: SchedulerRoles;
  stop(): Promise<void>;
}

const DEFAULT_SETTINGS: SchedulerSettings = {
  heartbeatIntervalSeconds: 2,
  maxHeartbeatsPerSecond: 250,
  missedHeartbeatsBeforeLost: 5,
  relaunchAfterSeconds: 10,
  placement: DEFAULT_PLACEMENT_POLICY,
};

/**
 * Starts a scheduler process: restores its state (snapshot + log), competes for the relay and for
 * the scheduler lease (standing by warm until it wins, see scheduler-roles.ts), and serves
 * `gantry.scheduler.v1.SchedulerService` from its state in either role.
 */
export async function startScheduler(options: SchedulerOptions): Promise<RunningScheduler> {
  const { logger } = options;
  const database = await openClusterDatabase(options.databaseUrl, options.names.cluster, { applicationName: "gantry-scheduler" });
  const stop = new AbortController();
  const store = new EventStore({ pool: database.pool, logger });
  let bus: Awaited<ReturnType<typeof connectBus>> | undefined;
  let ownLogs: ComponentLogShipping | undefined;
  const background: Promise<void>[] = [];
  try {
    bus = await connectBus(options.natsUrl, options.names, "scheduler", options.tls);
    // The scheduler's own log lines, shipped to the LOGS stream (bounded, never blocking).
    ownLogs = await startComponentLogShipping({ bus, component: "scheduler" });
    // Placements, queue depth, append latency and relay lag, shipped to the metrics service.
    const controlMetrics = attachControlMetrics(bus, "scheduler", logger);
    stop.signal.addEventListener("abort", () => void controlMetrics.stop());
    // Tokens are looked up in the registry's principal directory (grants, revocations) as it changes.
    const directory = await followDirectory(bus.nc, options.names);
    stop.signal.addEventListener("abort", () => directory.stop());
    options.authenticator.useDirectory?.(directory, { keepExisting: true });
    // The log's planner statistics follow its growth (autovacuum may be off, and is slow to start).
    background.push(keepPlannerStatistics({ pool: database.pool, logger, signal: stop.signal }));
    if (options.relay !== false) {
      const relay = await startEventRelay({ store, nc: bus.nc, names: options.names, logger: logger.child({ component: "relay" }), signal: stop.signal, ...(options.holder ? { holder: options.holder } : {}) });
      background.push(relay.done);
    }
    const scheduler = new Scheduler(
      { events: eventStoreAppender(store), streams: store, commands: natsCommandSender(bus), logger, now: Date.now, newId: randomUUID },
      { ...DEFAULT_SETTINGS, ...options.settings },
    );
    const roles = await startSchedulerRoles({
      store,
      bus,
      scheduler,
      snapshots: snapshotStore(database.pool, "scheduler"),
      statusStream: await ensureAgentStatusStream(bus),
      logId: database.logId,
      logger,
      signal: stop.signal,
      ...(options.holder ? { holder: options.holder } : {}),
      ...(options.snapshotIntervalSeconds ? { snapshotIntervalMs: options.snapshotIntervalSeconds * 1000 } : {}),
    });
    background.push(roles.done);
    const grpc = createGrpcServer({ logger, authenticator: options.authenticator, services: [schedulerService(scheduler, bus, recordDenials(store, logger))], reflection: true, credentials: serverCredentials(options.tls) });
    // The live tasks' version, announced so that the gateway uses its held lists without asking.
    const listVersion = new ListVersionAnnouncer(bus.nc, options.names, () => scheduler.state.instancesVersion).start();
    stop.signal.addEventListener("abort", () => listVersion.stop());
    const port = await grpc.listen(options.host, options.port);
    logger.info({ port }, "scheduler serving");
    return {
      port,
      scheduler,
      roles,
      async stop() {
        await grpc.shutdown(2_000);
        stop.abort();
        await Promise.allSettled(background);
        await ownLogs?.stop();
        await bus!.close();
        await store.close();
        await database.close();
      },
    };
  } catch (err) {
    // Leave nothing open behind a failed start (a live NATS connection would keep the process up).
    stop.abort();
    await Promise.allSettled(background);
    await ownLogs?.stop().catch(() => undefined);
    await bus?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw err;
  }
}
