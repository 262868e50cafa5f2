/**
 * Scheduler benchmark, against the real PostgreSQL and NATS (durability on; the run refuses
 * fsync/synchronous_commit off). A scheduler process and 5,000 simulated agents (one process,
 * the real agent protocol, no processes run) on a fresh database and cluster name:
 *
 *   placementsPerSec            jobs of 1,000 tasks (0.1 cpu, 32 MB, one host port, one attribute
 *                               constraint) appended as the registry writes them, 4 outstanding
 *                               at a time, until 50,000 tasks run: committed placements per second
 *                               from the first append to the last commit, and in the first and last
 *                               quarter of the jobs (the rate must not fall as the cluster fills)
 *   constrainedPlacementsPerSec the same with UNIQUE hostname + GROUP_BY zone (10 jobs)
 *   …CpuMicrosPerPlacement      CPU time per placement of the scheduler, the simulated agents, NATS
 *                               and Postgres over the first phase (/proc): they all share this
 *                               machine's cores, so the placement rate is the machine's, and the
 *                               scheduler's own capacity is 1 s / its CPU per placement
 *   decisionP99Micros           p99 of one placement decision in the pure core (placement stack
 *                               over 5,000 agents holding 50,000 instances), in this process
 *   createToRunningP99Ms        single-instance apps created one by one while other apps scale
 *                               up and down: append → TASK_RUNNING committed, p99
 *   schedulerRssMb              the scheduler process's resident memory with 50,000 tasks
 *
 * Prints its figures, then one JSON line last. SCHEDULER_LOG_LEVEL and SCHEDULER_LOG_FILE keep the
 * scheduler's own log; SCHEDULER_NODE_OPTIONS and AGENTS_NODE_OPTIONS pass flags to the Node of the
 * scheduler and of the simulated agents (a --cpu-prof, say).
 *   node bench/scheduler/scheduler.bench.ts [--agents 5000] [--tasks 50000]
 */
import { parseArgs } from "node:util";
import { createWriteStream, readFileSync } from "node:fs";
import pg from "pg";
import { create } from "@bufbuild/protobuf";
import { eventsV1App, registryV1RunSpec } from "@gantry/proto";
import { EventStore, eventOf, generateSigningKey, infrastructureUrls, openClusterDatabase, type NewEvent } from "@gantry/platform";
import { createTestCluster, createTestDatabase } from "@gantry/platform/testing";
import { startServiceProcess, freePort, type ServiceProcess } from "@gantry/test/support";
import { assertRunning, until } from "../service-wait.ts";
import { measureDecisionMicros } from "./decision-micros.ts";
import { PlacementCounter } from "./placement-counter.ts";
import { cpuMicrosPer, machineCores, sampleCpu } from "./process-cpu.ts";

const { values } = parseArgs({ options: { agents: { type: "string", default: "5000" }, tasks: { type: "string", default: "50000" } } });
const AGENTS = Number(values.agents);
const TASKS = Number(values.tasks);
const JOB = 1_000;
const CONSTRAINED_JOBS = 10;
const LATENCY_APPS = 200;
/** Jobs outstanding at once while placing. */
const WINDOW = 4;

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

type Constraint = { field: string; operator: registryV1RunSpec.ConstraintOperator; value: string };

/** An app's version as the registry writes it: AppCreated with its RunSpec. */
function appCreated(id: string, instances: number, constraints: Constraint[], version = new Date().toISOString()): NewEvent {
  const runSpec = create(registryV1RunSpec.RunSpecSchema, {
    id,
    kind: registryV1RunSpec.RunSpecKind.APP,
    version,
    configVersion: version,
    instances,
    containers: [{ name: id.split("/").pop()!, command: { kind: { case: "shell", value: "sleep 3600" } }, resources: { cpus: 0.1, mem: 32 }, endpoints: [{ name: "http", hostPort: 0, protocols: ["tcp"] }], killGracePeriodSeconds: 3 }],
    placement: { acceptedResourceRoles: ["*"], constraints },
    backoff: { backoffSeconds: 1, backoffFactor: 1.15, maxLaunchDelaySeconds: 3600 },
  });
  return eventOf(eventsV1App.AppCreatedSchema, create(eventsV1App.AppCreatedSchema, { app: { id, version, lastConfigChangeAt: version, runSpec }, deploymentId: `bench-${id}` }), { principal: "user:bench" });
}

async function main(): Promise<void> {
  const db = await createTestDatabase("bench_sched");
  const cluster = createTestCluster();
  const database = await openClusterDatabase(db.url, cluster.names.cluster, { max: 8 });
  const store = new EventStore({ pool: database.pool });
  const processes: ServiceProcess[] = [];
  const env = { DATABASE_URL: db.url, NATS_URL: infrastructureUrls().natsUrl, GANTRY_CLUSTER: cluster.names.cluster, GANTRY_AUTH_KEY: generateSigningKey().toString("base64"), GANTRY_LOG_LEVEL: "error" };
  try {
    const sync = (await database.pool.query("SHOW synchronous_commit")).rows[0].synchronous_commit as string;
    const fsync = (await database.pool.query("SHOW fsync")).rows[0].fsync as string;
    if (sync !== "on" || fsync !== "on") throw new Error(`durability is off (synchronous_commit=${sync}, fsync=${fsync}); refusing to benchmark`);
    console.log(`scheduler benchmark: ${fmt(AGENTS)} simulated agents, up to ${fmt(TASKS)} tasks; synchronous_commit=${sync}, fsync=${fsync}`);

    const decision = measureDecisionMicros(AGENTS, TASKS);
    console.log(`decision:      p99 ${decision.p99.toFixed(1)} µs, p50 ${decision.p50.toFixed(1)} µs (placement stack over ${fmt(AGENTS)} agents holding ${fmt(TASKS)} instances, in this process)`);
    console.log(`               a fixed loop as long as the median, timed the same way: p99 ${decision.fixedP99.toFixed(1)} µs, p50 ${decision.fixedP50.toFixed(1)} µs (this machine's own noise)`);

    const scheduler = startServiceProcess("scheduler", "services/scheduler/src/main.ts", ["--port", String(await freePort())], { ...env, GANTRY_LOG_LEVEL: process.env.SCHEDULER_LOG_LEVEL ?? "error", ...(process.env.SCHEDULER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SCHEDULER_NODE_OPTIONS } : {}) });
    processes.push(scheduler);
    if (process.env.SCHEDULER_LOG_FILE) {
      const file = createWriteStream(process.env.SCHEDULER_LOG_FILE);
      for (const output of [scheduler.child.stdout!, scheduler.child.stderr!]) output.pipe(file, { end: false });
    }
    const agents = startServiceProcess("agents", "services/agent/src/sim/main.ts", ["--count", String(AGENTS), "--cpus", "16", "--mem", "65536", "--ports", "31000-32000", "--attributes", "zone:z{n%5};rack:r{n%50}", "--launch-delay-ms", "5-20"], { ...env, ...(process.env.AGENTS_NODE_OPTIONS ? { NODE_OPTIONS: process.env.AGENTS_NODE_OPTIONS } : {}) });
    processes.push(agents);
    const t0 = performance.now();
    await until(`${AGENTS} agents registered`, async () => (await count(database.pool, "SELECT count(DISTINCT stream_id)::int AS n FROM events WHERE event_type = 'AgentRegistered'")) >= AGENTS, 300_000, processes);
    console.log(`(${fmt(AGENTS)} agents registered in ${fmt(performance.now() - t0)} ms)`);

    // Jobs of 1,000 tasks with one attribute constraint, until the cluster runs TASKS of them.
    const jobs = Math.ceil(TASKS / JOB);
    const cpuBefore = sampleCpu({ scheduler: scheduler.pid, agents: agents.pid });
    const plain = await placeJobs(store, database.pool, "job", jobs, [{ field: "zone", operator: registryV1RunSpec.ConstraintOperator.LIKE, value: "z[0-9]" }], processes);
    const cpu = cpuMicrosPer(cpuBefore, sampleCpu({ scheduler: scheduler.pid, agents: agents.pid }), plain.placed);
    console.log(`placements:    ${fmt(plain.perSec)}/s committed (${fmt(plain.placed)} tasks in jobs of ${fmt(JOB)}, ${WINDOW} jobs outstanding; first quarter ${fmt(plain.firstQuarterPerSec)}/s, last quarter ${fmt(plain.lastQuarterPerSec)}/s; a job placed in p50 ${fmt(plain.jobP50Ms)} ms)`);
    console.log(`CPU per placement: scheduler ${cpu.scheduler} µs, simulated agents ${cpu.agents} µs, NATS ${cpu.nats} µs, Postgres ${cpu.postgres} µs (${machineCores} cores shared by all of them and this benchmark)`);
    console.log(`               the scheduler alone: ${fmt(1e6 / cpu.scheduler!)} placements per second of its CPU`);
    await until(`${fmt(plain.placed)} tasks running`, async () => (await count(database.pool, "SELECT count(*)::int AS n FROM events WHERE event_type = 'TaskStatusChanged' AND data->>'state' = 'TASK_STATE_RUNNING'")) >= plain.placed, 300_000, processes, 1_000);
    const schedulerRssMb = rssMb(scheduler.pid);
    console.log(`scheduler RSS: ${fmt(schedulerRssMb)} MB with ${fmt(plain.placed)} tasks`);

    const constrained = await placeJobs(store, database.pool, "spread", CONSTRAINED_JOBS, [
      { field: "hostname", operator: registryV1RunSpec.ConstraintOperator.UNIQUE, value: "" },
      { field: "zone", operator: registryV1RunSpec.ConstraintOperator.GROUP_BY, value: "5" },
    ], processes);
    console.log(`constrained:   ${fmt(constrained.perSec)}/s committed (${fmt(constrained.placed)} tasks, UNIQUE hostname + GROUP_BY zone, ${WINDOW} jobs outstanding)`);

    const latencies = await createToRunning(store, database.pool, processes);
    const createToRunningP99Ms = percentile(latencies, 99);
    console.log(`create→running: p99 ${fmt(createToRunningP99Ms)} ms, p50 ${fmt(percentile(latencies, 50))} ms (${LATENCY_APPS} single-instance apps, one at a time, while another app scales 0↔200)`);

    console.log(
      JSON.stringify({
        bench: "scheduler",
        agents: AGENTS,
        tasks: plain.placed + constrained.placed,
        placementsPerSec: Math.round(plain.perSec),
        constrainedPlacementsPerSec: Math.round(constrained.perSec),
        decisionP99Micros: Number(decision.p99.toFixed(1)),
        decisionP50Micros: Number(decision.p50.toFixed(1)),
        fixedLoopP99Micros: Number(decision.fixedP99.toFixed(1)),
        createToRunningP99Ms: Math.round(createToRunningP99Ms),
        schedulerRssMb: Math.round(schedulerRssMb),
        firstQuarterPerSec: Math.round(plain.firstQuarterPerSec),
        lastQuarterPerSec: Math.round(plain.lastQuarterPerSec),
        schedulerCpuMicrosPerPlacement: cpu.scheduler,
        agentsCpuMicrosPerPlacement: cpu.agents,
        natsCpuMicrosPerPlacement: cpu.nats,
        postgresCpuMicrosPerPlacement: cpu.postgres,
        cores: machineCores,
        jobSize: JOB,
        jobsOutstanding: WINDOW,
        synchronousCommit: sync,
        fsync,
      }),
    );
  } finally {
    for (const p of processes.reverse()) await p.stop(10_000);
    await store.close();
    await database.close();
    const nc = await (await import("@nats-io/transport-node")).connect({ servers: infrastructureUrls().natsUrl });
    await cluster.cleanup(nc).catch(() => undefined);
    await nc.close();
    await db.drop();
  }
}

/** What one phase of jobs measured. */
interface JobsOutcome {
  placed: number;
  perSec: number;
  firstQuarterPerSec: number;
  lastQuarterPerSec: number;
  jobP50Ms: number;
}

/**
 * Submits `jobs` jobs of JOB tasks as the registry writes them, keeping WINDOW of them
 * outstanding (a new one is appended as soon as one is fully placed, as a busy cluster's
 * deployments arrive), until every placement is committed. The rate is placements over the time
 * from the first append to the last placement's commit; the quarters are the first and last
 * quarter of the jobs by completion (the rate must not fall as the cluster fills).
 */
async function placeJobs(store: EventStore, pool: pg.Pool, name: string, jobs: number, constraints: Constraint[], processes: ServiceProcess[]): Promise<JobsOutcome> {
  const ids = Array.from({ length: jobs }, (_, k) => `/bench/${name}-${k}`);
  const submittedAt: number[] = [];
  const doneAt: number[] = [];
  const jobMs: number[] = [];
  const open = new Set<number>();
  let counter: PlacementCounter | undefined;
  let next = 0;
  const t0 = performance.now();
  const deadline = Date.now() + 600_000;
  while (doneAt.length < jobs) {
    while (next < jobs && open.size < WINDOW) {
      const appended = await store.appendOrThrow(`app-${ids[next]}`, "no_stream", [appCreated(ids[next]!, JOB, constraints)]);
      if (!counter) {
        const { rows } = await pool.query("SELECT transaction_id::text AS x FROM events WHERE global_position = $1", [appended.firstPosition.toString()]);
        counter = new PlacementCounter(store, { transactionId: BigInt(rows[0].x), globalPosition: 0n });
      }
      submittedAt[next] = performance.now();
      open.add(next++);
    }
    await counter!.poll();
    for (const k of open) {
      if (counter!.placed(ids[k]!) < JOB) continue;
      open.delete(k);
      doneAt.push(performance.now());
      jobMs.push(performance.now() - submittedAt[k]!);
    }
    assertRunning(processes, `${name} jobs placed`);
    if (Date.now() > deadline) throw new Error(`timed out placing ${name} jobs (${doneAt.length} of ${jobs} done)\n${processes.map((p) => p.output()).join("\n")}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const quarter = Math.max(1, Math.floor(jobs / 4));
  const end = doneAt.at(-1)!;
  return {
    placed: jobs * JOB,
    perSec: (jobs * JOB * 1000) / (end - t0),
    firstQuarterPerSec: (quarter * JOB * 1000) / (doneAt[quarter - 1]! - t0),
    lastQuarterPerSec: jobs > quarter ? (quarter * JOB * 1000) / (end - doneAt[jobs - quarter - 1]!) : 0,
    jobP50Ms: percentile(jobMs, 50),
  };
}

const RUNNING_SINCE_SQL = `SELECT extract(epoch FROM recorded_at) * 1000 AS at FROM events WHERE (transaction_id, global_position) >= ($1::xid8, 0) AND event_type = 'TaskStatusChanged' AND data->>'appId' = $2 AND data->>'state' = 'TASK_STATE_RUNNING' LIMIT 1`;
const PLACED_SINCE_SQL = `SELECT count(*)::int AS n FROM events WHERE (transaction_id, global_position) >= ($1::xid8, 0) AND event_type = 'InstancePlaced' AND data->>'appId' = $2`;

/** Single-instance apps created one at a time while another app scales up and down; append → RUNNING committed, per app. */
async function createToRunning(store: EventStore, pool: pg.Pool, processes: ServiceProcess[]): Promise<number[]> {
  let churn = true;
  let version = 0;
  const churner = (async () => {
    await store.appendOrThrow("app-/bench/churn", "no_stream", [appCreated("/bench/churn", 0, [], new Date(Date.now() + version++).toISOString())]);
    while (churn) {
      for (const n of [200, 0]) {
        const stream = "app-/bench/churn";
        const at = await store.streamVersion(stream);
        await store.appendOrThrow(stream, at, [{ ...appCreated("/bench/churn", n, [], new Date(Date.now() + version++).toISOString()), type: "AppUpdated" }]);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  })();
  const latencies: number[] = [];
  try {
    for (let i = 0; i < LATENCY_APPS; i++) {
      const id = `/bench/latency-${i}`;
      const appended = await store.appendOrThrow(`app-${id}`, "no_stream", [appCreated(id, 1, [])]);
      const { rows } = await pool.query("SELECT extract(epoch FROM recorded_at) * 1000 AS at, transaction_id::text AS x FROM events WHERE global_position = $1", [appended.firstPosition.toString()]);
      const createdAt = Number(rows[0].at);
      const runningAt = await until(`${id} running`, async () => {
        const r = await pool.query(RUNNING_SINCE_SQL, [rows[0].x, id]);
        return r.rows[0] ? Number(r.rows[0].at) : undefined;
      }, 30_000, processes, 2);
      latencies.push(runningAt - createdAt);
    }
  } finally {
    churn = false;
    await churner;
  }
  return latencies;
}

async function count(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<number> {
  return (await pool.query<{ n: number }>(sql, params)).rows[0]!.n;
}

/** Resident memory of a process, in MB (Linux /proc). */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return line ? Number(line.replace(/\D+/g, "")) / 1024 : 0;
}

await main();
