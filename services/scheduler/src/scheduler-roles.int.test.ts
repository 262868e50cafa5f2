/**
 * Scheduler leadership against the real Postgres and NATS: a standby takes over warm when the
 * leader's lease connection dies, a deposed leader decides nothing more, and a placement whose
 * commit outcome is lost is resolved from Postgres instead of being planned twice. Desired state
 * is appended to the log directly, as the registry writes it; agents are simulated.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { create, toJson, type JsonObject } from "@bufbuild/protobuf";
import { eventsV1App, eventsV1Deployment, registryV1RunSpec } from "@gantry/proto";
import {
  connectBus,
  createAuthenticator,
  createLogger,
  createTokenSigner,
  EventStore,
  eventOf,
  generateSigningKey,
  infrastructureUrls,
  openDatabase,
  type Bus,
  type Database,
  type RecordedEvent,
} from "@gantry/platform";
import { createTestCluster, createTestDatabase, eventually, startPostgresFaultProxy, type TestDatabase } from "@gantry/platform/testing";
import { compileSimulatedAgentOptions, startSimulatedAgents, type SimulatedAgents } from "@gantry/agent";
import { startScheduler, type RunningScheduler } from "./start-scheduler.ts";

const logger = createLogger("scheduler-roles-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const authenticator = createAuthenticator(createTokenSigner(generateSigningKey()));

describe("scheduler leadership", () => {
  let testDb: TestDatabase;
  let database: Database;
  let store: EventStore;
  const cluster = createTestCluster();
  let bus: Bus;
  let agents: SimulatedAgents;
  const running: RunningScheduler[] = [];

  before(async () => {
    testDb = await createTestDatabase("sched_roles");
    database = openDatabase(testDb.url);
    store = new EventStore({ pool: database.pool });
    bus = await connectBus(infrastructureUrls().natsUrl, cluster.names, "sim-agents");
  });
  after(async () => {
    await agents?.stop();
    for (const s of running) await s.stop().catch(() => undefined);
    await bus.close();
    const nc = await connectBus(infrastructureUrls().natsUrl, cluster.names, "cleanup");
    await cluster.cleanup(nc.nc);
    await nc.close();
    await store.close();
    await database.close();
    await testDb.drop();
  });

  async function scheduler(holder: string, databaseUrl = testDb.url): Promise<RunningScheduler> {
    const s = await startScheduler({ databaseUrl, natsUrl: infrastructureUrls().natsUrl, names: cluster.names, host: "127.0.0.1", port: 0, authenticator, logger: logger.child({ holder }), holder, relay: false });
    running.push(s);
    return s;
  }

  /** What the registry appends for a new app: AppCreated and its deployment plan, in one transaction. */
  async function createApp(id: string, instances: number): Promise<string> {
    const version = new Date().toISOString();
    const deploymentId = `d-${id.replaceAll("/", "")}-${Date.now()}`;
    const runSpec = create(registryV1RunSpec.RunSpecSchema, {
      id,
      kind: registryV1RunSpec.RunSpecKind.APP,
      version,
      configVersion: version,
      instances,
      containers: [{ name: id.slice(1), command: { kind: { case: "shell", value: "sleep 1000" } }, resources: { cpus: 0.1, mem: 16 }, killGracePeriodSeconds: 3 }],
      placement: { acceptedResourceRoles: ["*"] },
      backoff: { backoffSeconds: 1, backoffFactor: 1.15, maxLaunchDelaySeconds: 3600 },
    });
    const app = create(eventsV1App.AppCreatedSchema, { app: { id, version, lastConfigChangeAt: version, runSpec }, deploymentId });
    const plan = create(eventsV1Deployment.DeploymentPlannedSchema, { deployment: { id: deploymentId, version, affectedApps: [id], totalSteps: 1, steps: [{ actions: [{ action: "StartApplication", app: id }] }] } });
    await store.appendManyOrThrow([
      { streamId: `app-${id}`, expectedVersion: "no_stream", events: [eventOf(eventsV1App.AppCreatedSchema, app)] },
      { streamId: `deployment-${deploymentId}`, expectedVersion: "no_stream", events: [eventOf(eventsV1Deployment.DeploymentPlannedSchema, plan)] },
    ]);
    return deploymentId;
  }

  async function log(): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    for await (const page of store.readAllPages()) out.push(...page);
    return out;
  }

  const leader = () => running.find((s) => s.scheduler.term !== undefined);

  test("a standby takes over when the leader's connection dies: warm, within 3 s, nothing placed twice", async () => {
    const a = await scheduler("scheduler-a");
    const b = await scheduler("scheduler-b");
    agents = await startSimulatedAgents(compileSimulatedAgentOptions({ count: 10, idPrefix: "sim", cpus: 8, mem: 8192, launchDelayMs: "200-2000" }), { bus, logger });
    const first = await eventually("a leader", () => leader(), 10_000);
    const standby = first === a ? b : a;
    await eventually("every agent registered", () => first.scheduler.state.agents.size === 10 || undefined, 15_000);
    const deploymentId = await createApp("/web", 100);
    await eventually("the first placements", () => first.scheduler.state.instances.size === 100 || undefined, 10_000);
    await eventually("the standby to be warm", () => standby.scheduler.state.instances.size === 100 || undefined, 10_000);

    const killedAt = Date.now();
    const { rows } = await database.pool.query("SELECT backend_pid FROM leases WHERE name = 'scheduler'");
    await database.pool.query("SELECT pg_terminate_backend($1)", [rows[0].backend_pid]);
    await eventually("the standby to lead", () => standby.scheduler.term, 5_000, 10);
    const takeoverMs = Date.now() - killedAt;
    assert.ok(takeoverMs <= 3_000, `took over in ${takeoverMs} ms`);
    await eventually("the old leader to stand by", () => first.scheduler.term === undefined || undefined, 5_000);

    await eventually(`deployment ${deploymentId} to succeed`, async () => (await store.readStream(`rollout-${deploymentId}`)).some((e) => e.type === "DeploymentSucceeded"), 30_000);
    const events = await log();
    const placed = events.filter((e) => e.type === "InstancePlaced" && e.data.appId === "/web");
    assert.equal(placed.length, 100, "every instance placed once, none again by the new leader");
    const epochs = new Set(events.filter((e) => e.metadata.principal === "svc:scheduler").map((e) => e.metadata.leaderEpoch));
    assert.deepEqual([...epochs].sort(), ["1", "2"], "both leaders wrote, each under its own epoch");
    assert.equal([...standby.scheduler.state.instances.values()].filter((i) => i.state === "TASK_RUNNING").length, 100);
  });

  test("a placement whose commit was lost on the wire is read back, not planned again under new ids", async () => {
    for (const s of running.splice(0)) await s.stop();
    const target = new URL(testDb.url);
    const proxy = await startPostgresFaultProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5432) });
    try {
      const s = await scheduler("scheduler-c", proxy.url(testDb.url));
      await eventually("a leader", () => s.scheduler.term, 10_000);
      await eventually("the agents known", () => s.scheduler.state.agents.size === 10 || undefined, 10_000);
      const before = (await log()).filter((e) => e.type === "InstancePlaced").length;
      // The next COMMIT through the proxy (the placement decision for /lost) happens, but its answer is lost.
      proxy.armCommitLoss();
      const deploymentId = await createApp("/lost", 20);
      await eventually(`deployment ${deploymentId} to succeed`, async () => (await store.readStream(`rollout-${deploymentId}`)).some((e) => e.type === "DeploymentSucceeded"), 30_000);
      assert.equal(proxy.stats.commitLossesFired, 1, "the commit's answer was lost");
      const placed = (await log()).filter((e) => e.type === "InstancePlaced");
      assert.equal(placed.length - before, 20, "exactly 20 placements for /lost: the lost commit counted as done");
    } finally {
      for (const s of running.splice(0)) await s.stop().catch(() => undefined);
      await proxy.close();
    }
  });
});
