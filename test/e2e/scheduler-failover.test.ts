/**
 * Scheduler fail-over, proved from the log. Every part runs as its own process on the shared
 * PostgreSQL and NATS: the registry and two schedulers (each also competing to run the log →
 * JetStream relay) and 50 simulated agents. A 500-instance app deploys (tasks take 1-4 s to
 * start; 5% fail after running a while and are replaced); the leading scheduler is killed with
 * -9 three times mid-deployment (a fresh scheduler process is started after each kill, so one
 * always stands by), and the registry is killed too. Then, from the log alone: no instance is
 * ever placed beyond the 500 wanted, no event of a deposed epoch lands after its successor took
 * the lease, each take-over took ≤ 3 s, the deployment finished while the registry was down,
 * exactly 500 instances run at the end, and JetStream holds the log in commit order.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { registryV1 } from "@gantry/proto";
import { createGrpcClient, createTokenSigner, EventStore, generateSigningKey, infrastructureUrls, openDatabase, type Database, type RecordedEvent } from "@gantry/platform";
import { createTestCluster, createTestDatabase, eventually, type TestDatabase } from "@gantry/platform/testing";
import { freePort, startServiceProcess, type ServiceProcess } from "@gantry/test/support";

const APP = "/failover/web";
const INSTANCES = 500;
const KILLS = 3;

const key = generateSigningKey();
const token = createTokenSigner(key).issue({ name: "admin", roles: ["admin"] }).token;
const cluster = createTestCluster();
let testDb: TestDatabase;
let database: Database;
let store: EventStore;
let env: NodeJS.ProcessEnv;
/** The registry's gRPC port (the registry restarted after its kill keeps it). */
let registryPort = 0;
const processes: ServiceProcess[] = [];

before(async () => {
  testDb = await createTestDatabase("failover");
  database = openDatabase(testDb.url);
  store = new EventStore({ pool: database.pool });
  env = { DATABASE_URL: testDb.url, NATS_URL: infrastructureUrls().natsUrl, GANTRY_CLUSTER: cluster.names.cluster, GANTRY_AUTH_KEY: key.toString("base64"), GANTRY_LOG_LEVEL: "info" };
});

after(async () => {
  for (const p of processes) await p.stop(5_000);
  const nc = await connect({ servers: infrastructureUrls().natsUrl });
  await cluster.cleanup(nc).finally(() => nc.close());
  await store?.close();
  await database?.close();
  await testDb?.drop();
});

function run(name: string, entry: string, args: string[] = []): ServiceProcess {
  const p = startServiceProcess(name, entry, args, env);
  processes.push(p);
  return p;
}

async function startScheduler(n: number): Promise<ServiceProcess> {
  return run(`scheduler-${n}`, "services/scheduler/src/main.ts", ["--port", String(await freePort())]);
}

async function readLog(): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const page of store.readAllPages()) out.push(...page);
  return out;
}

async function schedulerLease(): Promise<{ epoch: number; pid: number }> {
  const { rows } = await database.pool.query("SELECT epoch::int AS epoch, holder FROM leases WHERE name = 'scheduler'");
  return { epoch: rows[0]?.epoch ?? 0, pid: Number(/:(\d+)$/.exec(rows[0]?.holder ?? "")?.[1] ?? 0) };
}

/**
 * Folds the app's instances from the log: live ones (placed, not ended), the most ever wanted at
 * once (live, not being killed), and the most live at once from event `countFrom` on.
 */
function foldInstances(events: RecordedEvent[], countFrom = 0) {
  const live = new Map<string, { state: string; killRequested: boolean }>();
  let mostWanted = 0;
  let mostLive = 0;
  for (const [index, e] of events.entries()) {
    if (index >= countFrom) mostLive = Math.max(mostLive, live.size);
    if (e.data.appId !== APP) continue;
    const id = String(e.data.instanceId);
    if (e.type === "InstancePlaced") live.set(id, { state: "TASK_STATE_STAGING", killRequested: false });
    else if (e.type === "InstanceKillRequested" && live.has(id)) live.get(id)!.killRequested = true;
    else if (e.type === "TaskStatusChanged" && live.has(id)) {
      const state = String(e.data.state);
      if (["TASK_STATE_FINISHED", "TASK_STATE_FAILED", "TASK_STATE_KILLED", "TASK_STATE_LOST", "TASK_STATE_ERROR"].includes(state)) live.delete(id);
      else live.get(id)!.state = state;
    }
    mostWanted = Math.max(mostWanted, [...live.values()].filter((i) => !i.killRequested).length);
  }
  return { live, mostWanted, mostLive: Math.max(mostLive, live.size) };
}

test(`a ${INSTANCES}-instance deployment survives ${KILLS} kill -9s of the leading scheduler and one of the registry`, { timeout: 240_000 }, async (t) => {
  registryPort = await freePort();
  let registry = run("registry", "services/registry/src/main.ts", ["--port", String(registryPort)]);
  let schedulers = 0;
  await startScheduler(++schedulers);
  await startScheduler(++schedulers);
  run("agents", "services/agent/src/sim/main.ts", ["--count", "50", "--cpus", "4", "--mem", "4096", "--launch-delay-ms", "1000-4000", "--failure-rate", "0.05", "--fail-after-ms", "500-3000", "--seed", "7"]);
  let finished = false;
  t.after(() => {
    // A failure shows what every process said last.
    if (!finished) for (const p of processes) console.error(p.output());
  });

  const client = createGrpcClient(registryV1.RegistryService, `127.0.0.1:${registryPort}`, { token, deadlineMs: 15_000 });
  await eventually("the registry to answer", async () => (await client.listApps({})) && true, 30_000);
  await eventually("a leading scheduler with 50 agents", async () => (await readLog()).filter((e) => e.type === "AgentRegistered").length >= 50 || undefined, 30_000);
  const created = await client.createApp({ definition: { id: APP, cmd: "sleep 1000", cpus: 0.1, mem: 16, instances: INSTANCES, backoffSeconds: 1, backoffFactor: 1 } });
  client.close();

  const takeovers: number[] = [];
  for (let kill = 1; kill <= KILLS; kill++) {
    // Mid-deployment: some of the instances run, not all.
    const target = Math.round((kill * INSTANCES) / (KILLS + 2));
    await eventually(`${target} instances running before kill ${kill}`, async () => [...foldInstances(await readLog()).live.values()].filter((i) => i.state === "TASK_STATE_RUNNING").length >= target || undefined, 60_000, 50);
    const before = await schedulerLease();
    const leader = processes.find((p) => p.pid === before.pid);
    assert.ok(leader, `the lease holder (pid ${before.pid}) is one of the scheduler processes`);
    const killedAt = Date.now();
    await leader.crash();
    const next = await eventually(`a new leader after kill ${kill}`, async () => {
      const now = await schedulerLease();
      return now.epoch > before.epoch ? now : undefined;
    }, 10_000, 20);
    // Leading means acting: the first event written under the new epoch.
    const acted = await eventually(`the new leader (epoch ${next.epoch}) to act`, async () => (await readLog()).find((e) => e.metadata.leaderEpoch === String(next.epoch)), 10_000, 20);
    takeovers.push(acted.recordedAt.getTime() - killedAt);
    if (kill === 2) await registry.crash();
    await startScheduler(++schedulers);
  }

  // The deployment finishes with the registry down: the scheduler does not need it.
  const succeeded = await eventually(`deployment ${created.deploymentId} to succeed`, async () => (await store.readStream(`rollout-${created.deploymentId}`)).find((e) => e.type === "DeploymentSucceeded"), 120_000, 100);
  assert.equal(registry.child.exitCode === null && registry.child.signalCode === null, false, "the registry was down when the deployment finished");
  assert.ok(succeeded);
  registry = run("registry-2", "services/registry/src/main.ts", ["--port", String(registryPort)]);

  // Settled: every live instance runs (the ones drawn to fail have failed and been replaced).
  await eventually(`exactly ${INSTANCES} instances running, none starting`, async () => {
    const { live } = foldInstances(await readLog());
    const states = [...live.values()];
    return states.length === INSTANCES && states.every((i) => i.state === "TASK_STATE_RUNNING" && !i.killRequested) ? true : undefined;
  }, 120_000, 250);

  const events = await readLog();
  const { live, mostWanted } = foldInstances(events);
  assert.equal(live.size, INSTANCES, "exactly 500 live instances at the end");
  assert.ok(mostWanted <= INSTANCES, `never more than ${INSTANCES} instances wanted at once (saw ${mostWanted}): no instance placed twice`);
  const placements = events.filter((e) => e.type === "InstancePlaced" && e.data.appId === APP);
  assert.equal(new Set(placements.map((e) => e.data.instanceId)).size, placements.length, "every placement is of a new instance");

  // The fence, from the log: in commit order, no event of an epoch lands after a newer epoch took the lease.
  let epoch = 0;
  for (const e of events) {
    if (e.type === "LeaseAcquired" && e.streamId === "lease-scheduler") epoch = Number(e.data.epoch);
    else if (e.metadata.leaderEpoch) assert.equal(Number(e.metadata.leaderEpoch), epoch, `${e.type} on ${e.streamId} written under epoch ${e.metadata.leaderEpoch} after epoch ${epoch} began`);
  }
  assert.equal(epoch, KILLS + 1, "one epoch per leader");
  for (const [i, ms] of takeovers.entries()) assert.ok(ms <= 3_000, `take-over ${i + 1} took ${ms} ms`);
  console.log(`take-overs (kill -9 → first act of the new leader): ${takeovers.map((ms) => `${ms} ms`).join(", ")}; ${placements.length} placements for ${INSTANCES} instances`);

  // The relay (run by whichever scheduler or registry holds its lease) kept JetStream in commit order.
  const nc = await connect({ servers: infrastructureUrls().natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const stream = cluster.names.stream("EVENTS");
    const all = await eventually("the stream to hold the whole log", async () => {
      const log = await readLog();
      return (await jsm.streams.info(stream)).state.messages >= log.length ? log : undefined;
    }, 60_000, 200);
    const consumer = await jetstream(nc).consumers.get(stream);
    const ids: string[] = [];
    for await (const m of await consumer.fetch({ max_messages: all.length, expires: 10_000 })) {
      ids.push(m.headers?.get("Nats-Msg-Id") ?? "");
      if (ids.length === all.length) break;
    }
    assert.deepEqual(ids, all.map((e) => e.globalPosition.toString()), "JetStream holds every event once, in commit order");
    finished = true;
  } finally {
    await nc.close();
  }
});

test(`a rolling upgrade of the ${INSTANCES} instances survives a kill -9 of the leading scheduler mid-rollout and ends in DeploymentSucceeded, within its bounds`, { timeout: 180_000 }, async (t) => {
  let finished = false;
  t.after(() => {
    if (!finished) for (const p of processes) console.error(p.output());
  });
  const client = createGrpcClient(registryV1.RegistryService, `127.0.0.1:${registryPort}`, { token, deadlineMs: 15_000 });
  await eventually("the registry to answer", async () => (await client.listApps({})) && true, 30_000);
  // At most 50 over (550 live), at least 250 running throughout (failures drawn by the agents aside).
  const updated = await client.updateApp({ id: APP, definition: { cmd: "sleep 2000", upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.1 } }, partial: true });
  client.close();
  const version = updated.app!.runSpec!.configVersion;
  const newRunning = (events: RecordedEvent[]) => {
    const placedNew = new Set(events.filter((e) => e.type === "InstancePlaced" && e.data.appId === APP && e.data.appVersion === version).map((e) => String(e.data.instanceId)));
    return [...foldInstances(events).live].filter(([id, i]) => placedNew.has(id) && i.state === "TASK_STATE_RUNNING").length;
  };
  await eventually("a fifth of the new version running", async () => (newRunning(await readLog()) >= INSTANCES / 5 ? true : undefined), 60_000, 50);
  const before = await schedulerLease();
  await processes.find((p) => p.pid === before.pid)!.crash();
  await eventually("a new leader", async () => ((await schedulerLease()).epoch > before.epoch ? true : undefined), 10_000, 20);
  const succeeded = await eventually(`deployment ${updated.deploymentId} to succeed`, async () => (await store.readStream(`rollout-${updated.deploymentId}`)).find((e) => e.type === "DeploymentSucceeded"), 120_000, 100);
  assert.ok(succeeded);
  // From the log: never more than 550 instances live at once after the update was planned.
  const events = await readLog();
  const planned = events.findIndex((e) => e.type === "DeploymentPlanned" && (e.data.deployment as { id?: string }).id === updated.deploymentId);
  const { mostLive } = foldInstances(events, planned);
  assert.ok(mostLive <= 550, `${mostLive} instances were live at once (at most 550)`);
  // The agents fail 5% of tasks 0.5-3 s after they run, new ones too: one that ran when the
  // deployment succeeded may have failed since, its replacement (of the new version) not yet running.
  await eventually("every instance to run the new version", async () => (newRunning(await readLog()) === INSTANCES ? true : undefined), 30_000, 100);
  console.log(`rolling upgrade of ${INSTANCES} under {0.5, 0.1} with a leader kill: at most ${mostLive} live at once (bound 550)`);
  finished = true;
});
