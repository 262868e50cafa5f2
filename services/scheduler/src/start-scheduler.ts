import { randomUUID } from "node:crypto";
import { EVENTS_STREAM } from "@gantry/proto";
import {
  EventStore,
  connectBus,
  createGrpcServer,
  ensureStream,
  openClusterDatabase,
  type Logger,
  type ServiceEnvironment,
} from "@gantry/platform";
import { Scheduler, type SchedulerSettings } from "./app/scheduler.ts";
import { linkAgents, natsCommandSender } from "./adapters/agent-link.nats.ts";
import { consumeLogEvents } from "./adapters/log-events.consumer.ts";
import { eventStoreAppender } from "./adapters/event-store.appender.ts";
import { schedulerService } from "./adapters/scheduler.grpc.ts";

/** What the scheduler needs to run, compiled by the caller (main.ts or `gantry up`). */
export interface SchedulerOptions extends ServiceEnvironment {
  logger: Logger;
  settings?: Partial<SchedulerSettings>;
}

/** A running scheduler. */
export interface RunningScheduler {
  port: number;
  scheduler: Scheduler;
  stop(): Promise<void>;
}

const DEFAULT_SETTINGS: SchedulerSettings = { heartbeatIntervalSeconds: 2, missedHeartbeatsBeforeLost: 5, relaunchAfterSeconds: 10 };

/**
 * Starts the scheduler: folds its state from the event log, follows relayed app events and
 * agents' registrations, heartbeats and status reports over NATS, reconciles every second, and
 * serves `gantry.scheduler.v1.SchedulerService`.
 */
export async function startScheduler(options: SchedulerOptions): Promise<RunningScheduler> {
  const { logger } = options;
  const database = await openClusterDatabase(options.databaseUrl, options.names.cluster, { applicationName: "gantry-scheduler" });
  const stop = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const store = new EventStore({ pool: database.pool, logger });
  let bus: Awaited<ReturnType<typeof connectBus>> | undefined;
  try {
    bus = await connectBus(options.natsUrl, options.names, "scheduler");
    const scheduler = new Scheduler(
      { events: eventStoreAppender(store), commands: natsCommandSender(bus), logger, now: Date.now, newId: randomUUID },
      { ...DEFAULT_SETTINGS, ...options.settings },
    );
    let folded = 0;
    for await (const page of store.readAllPages()) {
      for (const e of page) scheduler.foldHistory(e);
      folded += page.length;
    }
    logger.info({ events: folded, apps: scheduler.state.apps.size, instances: scheduler.state.instances.size }, "scheduler state folded from the log");
    const eventsStream = await ensureStream(bus, EVENTS_STREAM);
    const logEvents = consumeLogEvents(bus, eventsStream, scheduler, logger, stop.signal);
    const { statusConsumer } = await linkAgents(bus, scheduler, logger, stop.signal);
    timers.push(setInterval(() => void scheduler.checkAgents().catch((err) => logger.error({ err }, "agent check failed")), 1_000));
    timers.push(setInterval(() => scheduler.reconcileSoon(), 1_000));
    scheduler.reconcileSoon();
    const grpc = createGrpcServer({ logger, authenticator: options.authenticator, services: [schedulerService(scheduler)], reflection: true });
    const port = await grpc.listen(options.host, options.port);
    logger.info({ port }, "scheduler serving");
    return {
      port,
      scheduler,
      async stop() {
        for (const t of timers) clearInterval(t);
        await grpc.shutdown(2_000);
        stop.abort();
        await Promise.allSettled([logEvents, statusConsumer]);
        await bus!.close();
        await store.close();
        await database.close();
      },
    };
  } catch (err) {
    // Leave nothing open behind a failed start (a live NATS connection would keep the process up).
    for (const t of timers) clearInterval(t);
    stop.abort();
    await bus?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw err;
  }
}
