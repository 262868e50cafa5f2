/**
 * API benchmark: Marathon's REST reads and writes at the gateway, against the real PostgreSQL and
 * NATS (durability on; the run refuses synchronous_commit or fsync off). The registry, the
 * scheduler, the gateway and 100 simulated agents (the real agent protocol, no processes run)
 * each run as their own process on a fresh database and cluster name; the benchmark is the
 * client, in this process, over loopback HTTP/1.1 with keep-alive (undici's pool, not `fetch`:
 * see http-client.ts):
 *
 *   createP99Ms               POST /v2/apps of 1,000 apps of 10 instances each, one at a time
 *                             (app JSON ~200 bytes; the answer is the created app, ~1.5 KB)
 *   appsListP99Ms             GET /v2/apps with 1,000 apps and 10,000 running tasks (counts and
 *                             deployments embedded, as Marathon always does; ~1.5 MB answer)
 *   appsListEmbedTasksP99Ms   GET /v2/apps?embed=apps.tasks (every task too; ~5 MB answer)
 *   appGetP99Ms               GET /v2/apps/{id} (tasks, counts, last failure), 500 random apps
 *   listRps                   GET /v2/apps answered per second with 8 requests outstanding
 *   createSteadyP99Ms         then, at 1,000 apps and 10,000 tasks, 500 more creates (10 instances
 *                             each), each after the last one's deployment ended: a create's own
 *                             latency, not queued behind the launches of the ones before it
 *   deploySteadyP99Ms         those creates, from POST to their deployment recorded as succeeded
 *                             (10 tasks placed, launched and RUNNING; polled in the log each 5 ms)
 *
 * Every p99 is taken over 100 samples or more (the lists: 100 each; one app: 500; creates: 1,000; steady creates: 500).
 *
 * Prints its figures, then one JSON line last.
 *   node bench/api/api.bench.ts [--apps 1000] [--instances 10]
 */
import { parseArgs } from "node:util";
import { generateSigningKey, createTokenSigner, infrastructureUrls, openClusterDatabase } from "@gantry/platform";
import { createTestCluster, createTestDatabase } from "@gantry/platform/testing";
import { freePort, startServiceProcess, type ServiceProcess } from "@gantry/test/support";
import { until } from "../service-wait.ts";
import type { Dispatcher } from "undici";
import { benchHttpClient, type BenchHttpClient } from "./http-client.ts";

const { values } = parseArgs({ options: { apps: { type: "string", default: "1000" }, instances: { type: "string", default: "10" } } });
const APPS = Number(values.apps);
const INSTANCES = Number(values.instances);
const AGENTS = 100;
const STEADY_CREATES = 500;

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

async function main(): Promise<void> {
  const db = await createTestDatabase("bench_api");
  const cluster = createTestCluster();
  const database = await openClusterDatabase(db.url, cluster.names.cluster, { max: 2 });
  const key = generateSigningKey();
  const token = createTokenSigner(key).issue({ name: "bench", roles: ["admin"] }).token;
  const env = { DATABASE_URL: db.url, NATS_URL: infrastructureUrls().natsUrl, GANTRY_CLUSTER: cluster.names.cluster, GANTRY_AUTH_KEY: key.toString("base64"), GANTRY_LOG_LEVEL: "error" };
  const processes: ServiceProcess[] = [];
  let http: BenchHttpClient | undefined;
  try {
    const sync = (await database.pool.query("SHOW synchronous_commit")).rows[0].synchronous_commit as string;
    const fsync = (await database.pool.query("SHOW fsync")).rows[0].fsync as string;
    if (sync !== "on" || fsync !== "on") throw new Error(`durability is off (synchronous_commit=${sync}, fsync=${fsync}); refusing to benchmark`);
    console.log(`API benchmark: ${APPS} apps × ${INSTANCES} instances on ${AGENTS} simulated agents; synchronous_commit=${sync}, fsync=${fsync}`);

    const [registryPort, schedulerPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
    processes.push(startServiceProcess("registry", "services/registry/src/main.ts", ["--port", String(registryPort)], env));
    processes.push(startServiceProcess("scheduler", "services/scheduler/src/main.ts", ["--port", String(schedulerPort)], env));
    processes.push(
      startServiceProcess("gateway", "services/gateway/src/main.ts", ["--port", String(gatewayPort)], {
        ...env,
        GANTRY_REGISTRY_ADDRESS: `127.0.0.1:${registryPort}`,
        GANTRY_SCHEDULER_ADDRESS: `127.0.0.1:${schedulerPort}`,
      }),
    );
    processes.push(startServiceProcess("agents", "services/agent/src/sim/main.ts", ["--count", String(AGENTS), "--cpus", "64", "--mem", "262144", "--launch-delay-ms", "5-20"], env));
    const OUTSTANDING = 8;
    const client = (http = benchHttpClient(`http://127.0.0.1:${gatewayPort}`, { authorization: `Bearer ${token}`, "content-type": "application/json" }, OUTSTANDING));
    const call = async (method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<{ status: number; bytes: number }> => {
      const res = await client.request(method, path, body);
      if (res.status >= 400) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
      return { status: res.status, bytes: res.text.length };
    };
    const timed = async (method: Dispatcher.HttpMethod, path: string, body?: unknown) => {
      const t = performance.now();
      const r = await call(method, path, body);
      return { ms: performance.now() - t, bytes: r.bytes };
    };
    await until("the gateway and a leading scheduler with every agent", async () => {
      const r = await client.request("GET", "/v2/info").catch(() => undefined);
      if (r?.status !== 200) return false;
      const n = await database.pool.query<{ n: number }>("SELECT count(DISTINCT stream_id)::int AS n FROM events WHERE event_type = 'AgentRegistered'");
      return n.rows[0]!.n >= AGENTS;
    }, 120_000, processes, 200);

    const creates: number[] = [];
    for (let i = 0; i < APPS; i++) {
      const app = { id: `/bench/group-${i % 20}/app-${i}`, cmd: "sleep 3600", cpus: 0.01, mem: 16, instances: INSTANCES, labels: { team: `t${i % 7}` } };
      creates.push((await timed("POST", "/v2/apps", app)).ms);
    }
    console.log(`create:        p99 ${fmt(percentile(creates, 99))} ms, p50 ${fmt(percentile(creates, 50))} ms (${APPS} apps, one at a time)`);
    const tasks = APPS * INSTANCES;
    await until(`${tasks} tasks running`, async () => {
      const r = await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE event_type = 'TaskStatusChanged' AND data->>'state' = 'TASK_STATE_RUNNING'");
      return r.rows[0]!.n >= tasks;
    }, 600_000, processes, 1_000);

    const sample = async (path: string, n: number) => {
      await timed("GET", path); // warm
      const ms: number[] = [];
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const r = await timed("GET", path);
        ms.push(r.ms);
        bytes = r.bytes;
      }
      return { p99: percentile(ms, 99), p50: percentile(ms, 50), bytes };
    };
    const list = await sample("/v2/apps", 100);
    console.log(`GET /v2/apps:  p99 ${fmt(list.p99)} ms, p50 ${fmt(list.p50)} ms (${fmt(list.bytes / 1024)} KB, ${APPS} apps, ${tasks} tasks)`);
    const embedTasks = await sample("/v2/apps?embed=apps.tasks", 100);
    console.log(`… embed tasks: p99 ${fmt(embedTasks.p99)} ms, p50 ${fmt(embedTasks.p50)} ms (${fmt(embedTasks.bytes / 1024)} KB)`);
    const gets: number[] = [];
    for (let i = 0; i < 500; i++) {
      const n = Math.floor(Math.random() * APPS);
      gets.push((await timed("GET", `/v2/apps/bench/group-${n % 20}/app-${n}`)).ms);
    }
    console.log(`GET one app:   p99 ${fmt(percentile(gets, 99))} ms, p50 ${fmt(percentile(gets, 50))} ms`);

    const until10s = performance.now() + 10_000;
    let answered = 0;
    await Promise.all(
      Array.from({ length: OUTSTANDING }, async () => {
        while (performance.now() < until10s) {
          await call("GET", "/v2/apps");
          answered++;
        }
      }),
    );
    const listRps = answered / 10;
    console.log(`list rate:     ${fmt(listRps)} GET /v2/apps per second (${OUTSTANDING} outstanding, 10 s)`);

    const steadyCreates: number[] = [];
    const steadyDeploys: number[] = [];
    for (let i = 0; i < STEADY_CREATES; i++) {
      const app = { id: `/bench/steady/app-${i}`, cmd: "sleep 3600", cpus: 0.01, mem: 16, instances: INSTANCES };
      const t = performance.now();
      const res = await client.request("POST", "/v2/apps", app);
      const deploymentId = res.headers["marathon-deployment-id"];
      steadyCreates.push(performance.now() - t);
      if (res.status !== 201 || typeof deploymentId !== "string" || deploymentId === "") throw new Error(`POST ${app.id}: HTTP ${res.status}, deployment ${deploymentId}`);
      await until(`the deployment of ${app.id} recorded as ended`, async () => {
        const r = await database.pool.query<{ event_type: string }>("SELECT event_type FROM events WHERE stream_id = $1 AND event_type IN ('DeploymentSucceeded', 'DeploymentFailed')", [`rollout-${deploymentId}`]);
        if (r.rows.length === 0) return false;
        if (r.rows[0]!.event_type !== "DeploymentSucceeded") throw new Error(`the deployment of ${app.id} ended with ${r.rows[0]!.event_type}`);
        return true;
      }, 60_000, processes, 5);
      steadyDeploys.push(performance.now() - t);
    }
    console.log(`steady create: p99 ${fmt(percentile(steadyCreates, 99))} ms, p50 ${fmt(percentile(steadyCreates, 50))} ms (${STEADY_CREATES} more apps, each after the last one's deployment ended)`);
    console.log(`… deployed:    p99 ${fmt(percentile(steadyDeploys, 99))} ms, p50 ${fmt(percentile(steadyDeploys, 50))} ms (POST → DeploymentSucceeded in the log, ${INSTANCES} tasks RUNNING)`);

    console.log(
      JSON.stringify({
        bench: "api",
        appsListP99Ms: Number(list.p99.toFixed(1)),
        appsListEmbedTasksP99Ms: Number(embedTasks.p99.toFixed(1)),
        appGetP99Ms: Number(percentile(gets, 99).toFixed(1)),
        createP99Ms: Number(percentile(creates, 99).toFixed(1)),
        listRps: Number(listRps.toFixed(1)),
        apps: APPS,
        tasks,
        appsListP50Ms: Number(list.p50.toFixed(1)),
        appGetP50Ms: Number(percentile(gets, 50).toFixed(1)),
        createP50Ms: Number(percentile(creates, 50).toFixed(1)),
        createSteadyP99Ms: Number(percentile(steadyCreates, 99).toFixed(1)),
        deploySteadyP99Ms: Number(percentile(steadyDeploys, 99).toFixed(1)),
        listBytes: list.bytes,
        synchronousCommit: sync,
        fsync,
      }),
    );
  } finally {
    await http?.destroy();
    for (const p of processes.reverse()) await p.stop(5_000);
    await database.close();
    const nc = await (await import("@nats-io/transport-node")).connect({ servers: infrastructureUrls().natsUrl });
    await cluster.cleanup(nc).catch(() => undefined);
    await nc.close();
    await db.drop();
  }
}

await main();
