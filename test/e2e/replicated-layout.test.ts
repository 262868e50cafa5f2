/**
 * The replicated production layout (infra/replicated/README.md) on loopback: a 3-node NATS
 * cluster with every JetStream stream at 3 replicas (GANTRY_NATS_REPLICAS=3, NATS_URL listing the
 * three servers), and a PostgreSQL primary with a synchronous streaming replica behind one
 * address that follows the primary (a TCP relay standing where HAProxy stands). The registry, two
 * schedulers, the gateway and simulated agents run as processes.
 *
 * A 20-instance app is upgraded; mid-deployment the NATS server holding the leading scheduler's
 * status reader is killed with -9, a batch later the PostgreSQL primary crashes and its replica is
 * promoted. The deployment finishes, and then: every event appended before the fail-over is in the
 * promoted server's log, unchanged; every stream's versions run 1…n; JetStream holds the whole log
 * once, in commit order, with no gap; the app runs exactly 20 tasks of 20 distinct instances, all
 * at the new version, each placed once, never more than 20 live.
 *
 * Then, the killed server back: a reader whose ordered consumer's server dies (the reader being
 * connected to another) finds the consumer stuck and reads on with a new one.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerInfo } from "@nats-io/jetstream";
import { clusterNames, connectBus, createTokenSigner, ensureStream, generateSigningKey, watchConsumerStall, type Bus } from "@gantry/platform";
import {
  eventually,
  freePort,
  marathonHttp,
  startNatsCluster,
  startReplicatedPostgres,
  startServiceProcess,
  type Json,
  type NatsCluster,
  type ReplicatedPostgres,
  type ServiceProcess,
  withPostgresClient,
} from "../support/index.ts";

const APP = "/replicated/web";
const INSTANCES = 20;
const AGENTS = 5;
/** Instances replaced at a time (the upgrade keeps the rest running, with no over-capacity). */
const BATCH = 4;
const CLUSTER = "replicated";
const DATABASE = "gantry";
const TERMINAL = new Set(["FINISHED", "FAILED", "KILLED", "ERROR", "LOST", "DROPPED", "GONE", "GONE_BY_OPERATOR", "UNKNOWN"].map((s) => `TASK_STATE_${s}`));

const key = generateSigningKey();
const token = createTokenSigner(key).issue({ name: "admin", roles: ["admin"] }).token;
let nats: NatsCluster | undefined;
let postgres: ReplicatedPostgres | undefined;
let gatewayUrl = "";
const processes: ServiceProcess[] = [];
const { api, settled } = marathonHttp(() => ({ url: gatewayUrl, token }));

before(async () => {
  // One after the other: each picks free ports for its servers, and two pickers at once can be
  // handed the same port (a NATS route port taken by PostgreSQL leaves the cluster unformed).
  const [natsStart] = await Promise.allSettled([startNatsCluster({ size: 3 })]);
  const [postgresStart] = await Promise.allSettled([startReplicatedPostgres({ databases: [DATABASE] })]);
  // Whatever started is kept for `after` to stop, even when the other failed.
  if (natsStart.status === "fulfilled") nats = natsStart.value;
  if (postgresStart.status === "fulfilled") postgres = postgresStart.value;
  if (!nats || !postgres) throw [natsStart, postgresStart].find((r) => r.status === "rejected")!.reason;
  const env = { DATABASE_URL: postgres.url(DATABASE), NATS_URL: nats.url, GANTRY_NATS_REPLICAS: "3", GANTRY_CLUSTER: CLUSTER, GANTRY_AUTH_KEY: key.toString("base64"), GANTRY_LOG_LEVEL: "info" };
  const run = (name: string, entry: string, args: string[], extra: NodeJS.ProcessEnv = {}) => processes.push(startServiceProcess(name, entry, args, { ...env, ...extra }));
  const [registryPort, schedulerPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
  run("registry", "services/registry/src/main.ts", ["--port", String(registryPort)]);
  run("scheduler-1", "services/scheduler/src/main.ts", ["--port", String(schedulerPort)]);
  run("scheduler-2", "services/scheduler/src/main.ts", ["--port", String(await freePort())]);
  run("gateway", "services/gateway/src/main.ts", ["--port", String(gatewayPort)], { GANTRY_REGISTRY_ADDRESS: `127.0.0.1:${registryPort}`, GANTRY_SCHEDULER_ADDRESS: `127.0.0.1:${schedulerPort}` });
  run("agents", "services/agent/src/sim/main.ts", ["--count", String(AGENTS), "--cpus", "8", "--mem", "8192", "--launch-delay-ms", "1000-2500", "--seed", "14"]);
  gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
});

after(async () => {
  await Promise.all(processes.map((p) => p.stop(5_000)));
  await nats?.stop();
  await postgres?.stop();
});

/** One event as the log holds it, enough to tell that it is the same event. */
interface LoggedEvent {
  position: string;
  streamId: string;
  version: number;
  type: string;
  data: Json;
  digest: string;
}

/** The whole log at `url` in commit order (read on one server, not through the relay). */
async function readLog(url: string): Promise<LoggedEvent[]> {
  const { rows } = await withPostgresClient(url, (client) =>
    client.query<LoggedEvent>(
      `SELECT global_position::text AS position, stream_id AS "streamId", stream_version AS version, event_type AS type, data,
              md5(event_type || data::text || metadata::text || recorded_at::text) AS digest
         FROM events ORDER BY transaction_id, global_position`,
    ),
  );
  return rows;
}

/** The most instances of APP live at once (placed and not ended) from event `from` on, and how many were placed per instance id. */
function instanceHistory(events: LoggedEvent[], from = 0): { mostLive: number; placements: Map<string, number>; instanceOfTask: Map<string, string> } {
  const live = new Set<string>();
  const placements = new Map<string, number>();
  const instanceOfTask = new Map<string, string>();
  let mostLive = 0;
  for (const [index, { type, data }] of events.entries()) {
    if (data.appId !== APP) continue;
    if (type === "InstancePlaced") {
      live.add(data.instanceId);
      placements.set(data.instanceId, (placements.get(data.instanceId) ?? 0) + 1);
      for (const taskId of data.taskIds ?? [data.taskId]) instanceOfTask.set(taskId, data.instanceId);
    } else if (type === "TaskStatusChanged" && TERMINAL.has(data.state)) live.delete(instanceOfTask.get(data.taskId) ?? data.instanceId);
    if (index >= from) mostLive = Math.max(mostLive, live.size);
  }
  return { mostLive, placements, instanceOfTask };
}

async function runningTasks(): Promise<Json[]> {
  const answer = await api("GET", `/v2/apps${APP}/tasks`);
  assert.equal(answer.status, 200, answer.text);
  return (answer.json.tasks as Json[]).filter((t) => t.state === "TASK_RUNNING");
}

test(`a ${INSTANCES}-instance rolling upgrade survives kill -9 of a NATS server and a PostgreSQL fail-over: nothing lost, nothing doubled`, { timeout: 240_000 }, async (t) => {
  const started = Date.now();
  let finished = false;
  t.after(async () => {
    if (finished) return;
    for (const p of processes) console.error(p.output());
    console.error(nats?.output());
    console.error(await postgres?.logs());
  });
  assert.ok(nats && postgres);
  const cluster = nats;
  const database = postgres;

  await eventually("the gateway to answer with the registry behind it", async () => (await api("GET", "/v2/apps")).status === 200 || undefined, 60_000, 250);
  await eventually(`${AGENTS} agents registered`, async () => (await readLog(database.primary.url(DATABASE))).filter((e) => e.type === "AgentRegistered").length >= AGENTS || undefined, 60_000, 250);
  const created = await api("POST", "/v2/apps", { body: { id: APP, cmd: "sleep 1000", cpus: 0.1, mem: 16, instances: INSTANCES, upgradeStrategy: { minimumHealthCapacity: 1 - BATCH / INSTANCES, maximumOverCapacity: 0 } } });
  assert.equal(created.status, 201, created.text);
  await settled(APP, 60_000);
  const oldVersion = (await eventually(`${INSTANCES} tasks running`, async () => {
    const tasks = await runningTasks();
    return tasks.length === INSTANCES ? tasks : undefined;
  }, 30_000))[0]!.version as string;

  // Every stream of the cluster is kept by all three servers.
  const nc = await connect({ servers: cluster.url.split(","), maxReconnectAttempts: -1 });
  try {
    const jsm = await jetstreamManager(nc);
    const streams = [];
    for await (const info of jsm.streams.list()) if (info.config.name.includes("REPLICATED_")) streams.push(info);
    assert.ok(streams.some((s) => s.config.name === "REPLICATED_EVENTS") && streams.some((s) => s.config.name === "REPLICATED_AGENT_STATUS"), `the events and agent status streams exist: ${streams.map((s) => s.config.name)}`);
    for (const s of streams) assert.equal(s.config.num_replicas, 3, `${s.config.name} has 3 replicas`);

    const updated = await api("PUT", `/v2/apps${APP}`, { body: { cmd: "sleep 2000" } });
    assert.equal(updated.status, 200, updated.text);
    const deploymentId = updated.json.deploymentId as string;
    const newRunning = async () => (await runningTasks()).filter((task) => task.version !== oldVersion).length;

    // A fifth of the way: kill -9 the NATS server that holds the leading scheduler's reader of
    // agents' status reports (an ordered consumer lives on one server only: the hardest loss).
    await eventually("a fifth of the new version running", async () => (await newRunning()) >= INSTANCES / 5 || undefined, 60_000, 100);
    const statusReaders: ConsumerInfo[] = [];
    for await (const c of jsm.consumers.list("REPLICATED_AGENT_STATUS")) statusReaders.push(c);
    assert.equal(statusReaders.length, 1, "one reader of status reports: the leading scheduler's");
    const victim = cluster.nodes.find((n) => n.name === statusReaders[0]!.cluster?.leader);
    assert.ok(victim, `the status reader's server (${statusReaders[0]!.cluster?.leader}) is one of the cluster's`);
    const led = [];
    for await (const info of jsm.streams.list()) if (info.cluster?.leader === victim.name) led.push(info.config.name);
    await victim.crash();
    const natsKilledAt = Date.now();
    const runningAtKill = await newRunning();

    // The deployment goes on with two servers (agents' reports of new tasks reach the scheduler
    // again); a batch further, PostgreSQL fails over.
    await eventually("another batch of the new version running with a NATS server down", async () => (await newRunning()) >= runningAtKill + BATCH || undefined, 60_000, 100);
    assert.ok(await deploymentRunning(deploymentId), "the deployment is still running when PostgreSQL fails over");
    const beforeFailover = await readLog(database.primary.url(DATABASE));
    await replicaCaughtUp(database);
    const { outageMs } = await database.failOver();
    const failedOverAt = Date.now();

    await eventually(`deployment ${deploymentId} to finish`, async () => !(await deploymentRunning(deploymentId)), 150_000, 250);
    const tasks = await eventually(`${INSTANCES} tasks of the new version running`, async () => {
      const running = await runningTasks();
      return running.length === INSTANCES && running.every((task) => task.version !== oldVersion) ? running : undefined;
    }, 30_000, 250);
    const deploymentDoneAt = Date.now();

    // Nothing lost: every event of the old primary is in the promoted replica's log, unchanged.
    const events = await readLog(database.replica.url(DATABASE));
    const byPosition = new Map(events.map((e) => [e.position, e]));
    for (const e of beforeFailover) assert.deepEqual(byPosition.get(e.position), e, `event ${e.position} (${e.type} on ${e.streamId}) survived the fail-over`);
    const versions = new Map<string, number[]>();
    for (const e of events) versions.set(e.streamId, [...(versions.get(e.streamId) ?? []), e.version]);
    for (const [streamId, seen] of versions) assert.deepEqual([...seen].sort((a, b) => a - b), seen.map((_, i) => i + 1), `stream ${streamId} has versions 1…${seen.length}, no gap`);
    assert.equal(events.filter((e) => e.streamId === `rollout-${deploymentId}`).at(-1)?.type, "DeploymentSucceeded");

    // JetStream (with one server dead) holds the whole log once, in commit order, sequences 1…n.
    const stream = await eventually("the events stream to hold the whole log", async () => {
      const log = await readLog(database.replica.url(DATABASE));
      return (await jsm.streams.info("REPLICATED_EVENTS")).state.messages >= log.length ? log : undefined;
    }, 30_000, 250);
    // Read with an ordered consumer; with a server dead, NATS 2.9 may place it there and never
    // answer its creation or its fetch (as the scheduler's reader meets it): ask again.
    const relayed = await eventually("an ordered consumer that reads the whole events stream", async () => {
      const read: { seq: number; position: string }[] = [];
      const consumer = await jetstream(nc).consumers.get("REPLICATED_EVENTS");
      try {
        for await (const m of await consumer.fetch({ max_messages: stream.length, expires: 10_000 })) {
          read.push({ seq: m.seq, position: m.headers?.get("Nats-Msg-Id") ?? "" });
          if (read.length === stream.length) break;
        }
      } finally {
        await consumer.delete().catch(() => undefined);
      }
      return read.length === stream.length ? read : undefined;
    }, 90_000, 0);
    assert.deepEqual(relayed.map((r) => r.position), stream.map((e) => e.position), "JetStream holds every event once, in commit order");
    assert.deepEqual(relayed.map((r) => r.seq), stream.map((_, i) => i + 1), "JetStream's sequence has no gap");

    // Nothing doubled: 20 tasks of 20 distinct instances, each placed once, never more than 20 live.
    const planned = events.findIndex((e) => e.type === "DeploymentPlanned" && e.data.deployment?.id === deploymentId);
    const { mostLive, placements, instanceOfTask } = instanceHistory(events, planned);
    const instances = new Set(tasks.map((task) => instanceOfTask.get(task.id)));
    assert.equal(instances.size, INSTANCES, `the ${INSTANCES} running tasks belong to ${instances.size} distinct instances`);
    assert.ok(!instances.has(undefined), "every running task was placed in the log");
    assert.deepEqual([...placements].filter(([, n]) => n > 1), [], "no instance was placed twice");
    assert.ok(mostLive <= INSTANCES, `at most ${INSTANCES} instances live at once during the upgrade (saw ${mostLive})`);
    assert.equal(placements.size, 2 * INSTANCES, "20 instances before the upgrade and 20 new ones");

    console.log(
      `replicated layout: NATS ${victim.name} (leading ${led.join(", ") || "no stream"}) killed ${((failedOverAt - natsKilledAt) / 1000).toFixed(1)} s before the PostgreSQL fail-over ` +
        `(no primary for ${outageMs} ms); deployment done ${((deploymentDoneAt - failedOverAt) / 1000).toFixed(1)} s after it; ` +
        `${events.length} events (${beforeFailover.length} before the fail-over); whole test ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    finished = true;
  } finally {
    await nc.close();
  }
});

test("a reader whose ordered consumer's NATS server dies reads on: the consumer is found stuck and a new one starts where it stopped", { timeout: 150_000 }, async (t) => {
  assert.ok(nats);
  const cluster = nats;
  let finished = false;
  t.after(() => {
    if (!finished) console.error(cluster.output());
  });
  // The server killed above comes back: three again.
  for (const node of cluster.nodes) await node.start();
  const names = clusterNames("watch", 3);
  const admin = await connectBus(cluster.url, names, "watch-admin");
  const readers: Bus[] = [];
  try {
    const stream = await eventually("a 3-replica stream", () => ensureStream(admin, { name: "WATCH", subjects: ["watch.>"] }), 30_000, 500);
    const publish = () => admin.js.publish(names.subject("watch.tick"), new Uint8Array(0));
    await publish();
    // A reader connected to one server, its consumer on another (the cluster places it: ask until it lands elsewhere).
    const { reader, consumer, host } = await eventually("an ordered consumer on a server other than its reader's", async () => {
      const [home] = cluster.nodes;
      const bus = await connectBus(home!.url, names, "watch-reader");
      readers.push(bus);
      const candidate = await bus.js.consumers.get(stream);
      const placed = (await admin.jsm.consumers.info(stream, (await candidate.info(true)).name)).cluster?.leader;
      if (placed !== home!.name) return { reader: bus, consumer: candidate, host: cluster.nodes.find((n) => n.name === placed)! };
      await candidate.delete();
      return undefined;
    }, 30_000, 0);
    const messages = await consumer.consume({ max_messages: 100, expires: 2_000 });
    let stalled = false;
    const watch = watchConsumerStall(messages, 5_000, () => {
      stalled = true;
      void messages.close();
    });
    let last = 0;
    const reading = (async () => {
      for await (const m of messages) {
        watch.alive();
        last = m.seq;
      }
    })();
    await eventually("the first message", () => last === 1);
    await host.crash();
    const ticking = setInterval(() => void publish().catch(() => undefined), 500);
    try {
      // Either the consumer reads on, or it is found stuck and a new one takes over from `last`.
      await eventually(`the reader to read on or be found stuck (consumer on ${host.name}, reader on ${cluster.nodes[0]!.name})`, () => last > 1 || stalled, 30_000);
      watch.stop();
      await messages.close();
      await reading;
      const from = last;
      // Its creation may go unanswered, and a new consumer may land on the dead server and stay
      // silent, as the first did: like the status reader, give up on a silent one and ask again.
      const m = await eventually("a new consumer that reads", async () => {
        const next = await reader.js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from + 1 });
        const read = await next.next({ expires: 5_000 });
        if (!read) await next.delete().catch(() => undefined);
        return read ?? undefined;
      }, 60_000, 0);
      assert.equal(m.seq, from + 1, "the new consumer reads on from the message after the last one read");
      finished = true;
    } finally {
      clearInterval(ticking);
    }
  } finally {
    for (const bus of readers) await bus.close();
    await admin.close();
  }
});

async function deploymentRunning(id: string): Promise<boolean> {
  const answer = await api("GET", "/v2/deployments");
  assert.equal(answer.status, 200, answer.text);
  return (answer.json as unknown as Json[]).some((d) => d.id === id);
}

/**
 * Waits until the replica has flushed all the WAL the primary has written so far. A commit waits
 * for the synchronous replica before it is acknowledged, but other sessions see it a moment
 * before; so what the test just read on the primary is waited for too, and is then what the
 * fail-over must keep.
 */
async function replicaCaughtUp(database: ReplicatedPostgres): Promise<void> {
  await withPostgresClient(database.primary.url("postgres"), async (client) => {
    const { lsn } = (await client.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn")).rows[0]!;
    await eventually(`the replica to flush WAL up to ${lsn}`, async () => (await client.query("SELECT 1 FROM pg_stat_replication WHERE flush_lsn >= $1::pg_lsn", [lsn])).rowCount === 1, 10_000, 20);
  });
}
