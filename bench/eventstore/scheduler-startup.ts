/**
 * The scheduler over a long history: a log of ~1,000,000 events in which 50,000 instances are
 * live (the rest placed, run and killed long ago), then
 *   coldStartupMs  a scheduler with no snapshot folds it all and leads,
 *   startupMs      a scheduler restarting from its snapshot (saved when the first one stopped) leads,
 *   takeoverMs     a warm standby leads after the leader's lease connection is cut (what a crash of
 *                  the leader's process does to it): lock, epoch, catch-up, first reconcile pass.
 * Its own database and cluster name; durability on.
 */
import { create, toJson, type JsonObject } from "@bufbuild/protobuf";
import { agentV1, eventsV1Agent, eventsV1App, eventsV1Instance, registryV1RunSpec, schedulerV1Model } from "@gantry/proto";
import {
  connectBus,
  createAuthenticator,
  createLogger,
  createTokenSigner,
  EventStore,
  generateSigningKey,
  infrastructureUrls,
  openClusterDatabase,
  type NewEvent,
  type StreamAppend,
} from "@gantry/platform";
import { createTestCluster, createTestDatabase } from "@gantry/platform/testing";
import { startScheduler, type RunningScheduler } from "@gantry/scheduler";

const AGENTS = 500;
const APPS = 100;
const LIVE_PER_APP = 500;
const ENDED_INSTANCES = 300_000;
const STREAMS_PER_TRANSACTION = 1_000;

/** The figures of one run. */
export interface SchedulerStartupFigures {
  historicalEvents: number;
  liveInstances: number;
  coldStartupMs: number;
  startupMs: number;
  takeoverMs: number;
}

const json = <S extends Parameters<typeof toJson>[0]>(schema: S, init: Parameters<typeof create<S>>[1]) => toJson(schema, create(schema, init)) as JsonObject;
const event = (type: string, data: JsonObject): NewEvent => ({ type, data, metadata: { principal: "svc:scheduler", leaderEpoch: "1" } });

/** The log a long-running cluster has: agents, apps, 50k live instances and 300k that ran and ended. */
async function seed(store: EventStore): Promise<number> {
  let events = 0;
  const write = async (appends: StreamAppend[]) => {
    await store.transaction((tx) => tx.appendMany(appends));
    events += appends.reduce((n, a) => n + a.events.length, 0);
  };
  await write(
    Array.from({ length: AGENTS }, (_, a) => ({
      streamId: `agent-sim-${a}`,
      expectedVersion: 0,
      events: [event("AgentRegistered", json(eventsV1Agent.AgentRegisteredSchema, { registration: create(agentV1.AgentRegistrationSchema, { agentId: `sim-${a}`, hostname: `sim-${a}`, resources: { cpus: 1_000, mem: 1_000_000, disk: 1_000_000 } }) }))],
    })),
  );
  const version = "2026-01-01T00:00:00.000Z";
  await write(
    Array.from({ length: APPS }, (_, p) => {
      const id = `/bench/app-${p}`;
      const runSpec = create(registryV1RunSpec.RunSpecSchema, {
        id,
        kind: registryV1RunSpec.RunSpecKind.APP,
        version,
        configVersion: version,
        instances: LIVE_PER_APP,
        containers: [{ name: `app-${p}`, command: { kind: { case: "shell", value: "sleep 1000" } }, resources: { cpus: 0.01, mem: 8 }, killGracePeriodSeconds: 3 }],
        placement: { acceptedResourceRoles: ["*"] },
        backoff: { backoffSeconds: 1, backoffFactor: 1.15, maxLaunchDelaySeconds: 3600 },
      });
      return { streamId: `app-${id}`, expectedVersion: 0, events: [event("AppCreated", json(eventsV1App.AppCreatedSchema, { app: { id, version, lastConfigChangeAt: version, runSpec }, deploymentId: "seed" }))] };
    }),
  );
  const instance = (n: number, ended: boolean): StreamAppend => {
    const appId = `/bench/app-${n % APPS}`;
    const instanceId = `bench_app-${n % APPS}.instance-${n}`;
    const taskId = `bench_app-${n % APPS}.${n}`;
    const agentId = `sim-${n % AGENTS}`;
    const status = (state: schedulerV1Model.TaskState, seq: number) =>
      event("TaskStatusChanged", json(eventsV1Instance.TaskStatusChangedSchema, { instanceId, taskId, appId, agentId, state, message: "", timestamp: version, exitCode: -1, statusSequence: BigInt(seq) }));
    const events = [
      event("InstancePlaced", json(eventsV1Instance.InstancePlacedSchema, { instanceId, taskId, appId, appVersion: version, agentId, host: agentId, resources: { cpus: 0.01, mem: 8 }, allocation: [{ role: "*", resources: { cpus: 0.01, mem: 8 } }], taskIds: [taskId] })),
      status(schedulerV1Model.TaskState.RUNNING, 2 * n + 1),
    ];
    if (ended) events.push(status(schedulerV1Model.TaskState.KILLED, 2 * n + 2));
    return { streamId: `instance-${instanceId}`, expectedVersion: 0, events };
  };
  const total = ENDED_INSTANCES + APPS * LIVE_PER_APP;
  for (let from = 0; from < total; from += STREAMS_PER_TRANSACTION) {
    await write(Array.from({ length: Math.min(STREAMS_PER_TRANSACTION, total - from) }, (_, i) => instance(from + i, from + i < ENDED_INSTANCES)));
  }
  return events;
}

export async function measureSchedulerStartup(): Promise<SchedulerStartupFigures> {
  const db = await createTestDatabase("bench_sched");
  const cluster = createTestCluster();
  const logger = createLogger("scheduler-bench", { level: "warn" });
  const authenticator = createAuthenticator(createTokenSigner(generateSigningKey()));
  const database = await openClusterDatabase(db.url, cluster.names.cluster);
  const store = new EventStore({ pool: database.pool });
  const running: RunningScheduler[] = [];
  // No agents heartbeat here: none is declared lost while the figures are taken.
  const start = async (holder: string) => {
    const s = await startScheduler({ databaseUrl: db.url, natsUrl: infrastructureUrls().natsUrl, names: cluster.names, host: "127.0.0.1", port: 0, authenticator, logger, holder, relay: false, settings: { missedHeartbeatsBeforeLost: 1_000_000 } });
    running.push(s);
    return s;
  };
  const leads = async (s: RunningScheduler) => {
    for (const deadline = Date.now() + 60_000; !s.scheduler.term; await new Promise((r) => setTimeout(r, 2))) {
      if (Date.now() > deadline) throw new Error("the scheduler did not lead within 60 s");
    }
    // Leading means acting: its first reconcile pass over every live instance is done.
    await s.scheduler.serial(() => undefined);
  };
  try {
    const t0 = performance.now();
    const historicalEvents = await seed(store);
    console.log(`(seeded ${historicalEvents.toLocaleString("en-US")} scheduler events in ${Math.round(performance.now() - t0)} ms: ${AGENTS} agents, ${APPS} apps, ${(APPS * LIVE_PER_APP).toLocaleString("en-US")} live and ${ENDED_INSTANCES.toLocaleString("en-US")} ended instances)`);

    let t = performance.now();
    const cold = await start("bench-cold");
    await leads(cold);
    const coldStartupMs = performance.now() - t;
    const liveInstances = cold.scheduler.state.instances.size;
    if (liveInstances !== APPS * LIVE_PER_APP) throw new Error(`${liveInstances} live instances folded, expected ${APPS * LIVE_PER_APP}`);
    await cold.stop(); // saves its snapshot
    running.length = 0;

    t = performance.now();
    const leader = await start("bench-leader");
    await leads(leader);
    const startupMs = performance.now() - t;
    if (!leader.roles.fromSnapshot) throw new Error("the restart did not use the snapshot");

    const standby = await start("bench-standby");
    const { rows } = await database.pool.query<{ backend_pid: number }>("SELECT backend_pid FROM leases WHERE name = 'scheduler'");
    t = performance.now();
    await database.pool.query("SELECT pg_terminate_backend($1)", [rows[0]!.backend_pid]);
    await leads(standby);
    const takeoverMs = performance.now() - t;
    return { historicalEvents, liveInstances, coldStartupMs: Math.round(coldStartupMs), startupMs: Math.round(startupMs), takeoverMs: Math.round(takeoverMs) };
  } finally {
    for (const s of running) await s.stop().catch(() => undefined);
    await store.close();
    await database.close();
    const bus = await connectBus(infrastructureUrls().natsUrl, cluster.names, "bench-cleanup");
    await cluster.cleanup(bus.nc).catch(() => undefined);
    await bus.close();
    await db.drop();
  }
}

