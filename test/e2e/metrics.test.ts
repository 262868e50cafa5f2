/**
 * Metrics end to end on a single-node cluster (agent sampling every second): a real task's memory
 * and cpu with its app/instance/task dimensions through gRPC (MetricsService at the gateway),
 * HTTP (dcos-metrics v0) and the Prometheus exposition (accepted by parse-prometheus-text-format);
 * a StatsD counter the task sends appears tagged with the task; and a metrics service killed with
 * -9 and restarted has every sample the agent published, including those sent while it was down.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { float64Column, metricsV1 } from "@gantry/proto";
import { createGrpcClient, type GrpcClient } from "@gantry/platform";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { eventually, freePort, marathonHttp, runGantry, startHarnessCluster, startServiceProcess, type HarnessCluster, type ServiceProcess } from "../support/index.ts";

const APP = "/e2e-metrics/web";
const { api } = marathonHttp(() => cluster);
let cluster: HarnessCluster;
let grpc: GrpcClient<typeof metricsV1.MetricsService>;
let taskId = "";
let instanceId = "";
let extra: ServiceProcess | undefined;

// Sends one StatsD counter increment every 200 ms to the address in its environment, and holds 24 MB.
const TASK_SCRIPT = [
  "const s = require('dgram').createSocket('udp4');",
  "setInterval(() => s.send('e2e.requests:1|c|#route:home', Number(process.env.STATSD_UDP_PORT), process.env.STATSD_UDP_HOST), 200);",
  "globalThis.held = Buffer.alloc(24 * 1024 * 1024, 1);",
].join(" ");

before(async () => {
  process.env.GANTRY_AGENT_METRICS_INTERVAL_MS = "1000";
  process.env.GANTRY_CONTROL_METRICS_INTERVAL_MS = "1000";
  cluster = await startHarnessCluster({ prefix: "metrics" });
  grpc = createGrpcClient(metricsV1.MetricsService, new URL(cluster.url).host, { token: cluster.token, deadlineMs: 10_000 });
  const created = await api("POST", "/v2/apps", { body: { id: APP, cmd: `${JSON.stringify(process.execPath)} -e ${JSON.stringify(TASK_SCRIPT)}`, cpus: 0.2, mem: 128, instances: 1, labels: { team: "e2e" } } });
  assert.equal(created.status, 201, created.text);
  const task = await eventually("the task TASK_RUNNING", async () => {
    const r = await api("GET", `/v2/apps${APP}/tasks`);
    const t = (r.json as { tasks?: Array<{ id: string; state: string }> }).tasks?.[0];
    return t?.state === "TASK_RUNNING" ? t : undefined;
  }, 60_000);
  taskId = task.id;
});

after(async () => {
  grpc?.close();
  await extra?.crash();
  await cluster?.destroy();
});

test("gRPC: the task's memory and cpu with its app, instance and task dimensions", async () => {
  const samples = await eventually("container metrics of the task", async () => {
    const r = await grpc.latest({ selector: { taskId, scopes: [metricsV1.Scope.CONTAINER] } });
    const byName = new Map(r.samples.map((s) => [s.series!.name, s]));
    return byName.get("mem.total") && byName.get("cpus.user.time") && byName.get("mem.total")!.value > 20 * 1024 * 1024 ? byName : undefined;
  }, 30_000);
  const d = samples.get("mem.total")!.series!.dimensions!;
  assert.equal(d.appId, APP);
  assert.equal(d.taskId, taskId);
  assert.ok(d.instanceId, "an instance id");
  assert.ok(d.agentId && d.hostname, "agent id and hostname");
  assert.equal(d.labels.team, "e2e");
  instanceId = d.instanceId;
  assert.ok(samples.get("cpus.user.time")!.value >= 0);
  const range = await grpc.range({ selector: { taskId, names: ["mem.total"] }, startMs: BigInt(Date.now() - 600_000) });
  const times = float64Column(range.series[0]!.timestampsMs);
  const values = float64Column(range.series[0]!.values);
  assert.ok(values.length >= 1 && times.length === values.length, "one timestamp per value");
  assert.ok(times.every((t, i) => t > Date.now() - 700_000 && (i === 0 || t > times[i - 1]!)), `epoch milliseconds, ascending: ${times.join(",")}`);
  assert.ok(values.every((v) => v > 0), `memory in bytes: ${values.join(",")}`);
});

test("HTTP (dcos-metrics v0): the node, the containers, the task's container and app metrics", async () => {
  const container = await eventually("the container's MetricsMessage", async () => {
    const r = await api("GET", `/system/v1/metrics/v0/containers/${taskId}`);
    return r.status === 200 ? (r.json as { datapoints: Array<{ name: string; value: number; unit: string }>; dimensions: Record<string, unknown> }) : undefined;
  });
  const mem = container.datapoints.find((p) => p.name === "mem.total");
  assert.ok(mem && mem.value > 20 * 1024 * 1024 && mem.unit === "bytes", JSON.stringify(container.datapoints));
  assert.ok(container.datapoints.some((p) => p.name === "cpus.user.time"));
  assert.equal(container.dimensions.task_id, taskId);
  assert.equal(container.dimensions.app_id, APP);
  assert.ok(container.dimensions.instance_id);
  assert.deepEqual((await api("GET", "/system/v1/metrics/v0/containers")).json, [taskId]);
  const node = await api("GET", "/system/v1/metrics/v0/node");
  assert.equal(node.status, 200, node.text);
  const nodeNames = (node.json as { datapoints: Array<{ name: string }> }).datapoints.map((p) => p.name);
  for (const n of ["load.1min", "memory.total", "cpu.cores", "process.count", "system.uptime"]) assert.ok(nodeNames.includes(n), n);
  const agentId = (node.json as { dimensions: { agent_id: string } }).dimensions.agent_id;
  assert.equal((await api("GET", `/system/v1/agent/${agentId}/metrics/v0/containers/${taskId}`)).status, 200);
  assert.equal((await api("GET", "/system/v1/metrics/v0/containers/no-such-task")).status, 404);
});

test("a StatsD counter sent by the task appears tagged with the task", async () => {
  const app = await eventually("the task's StatsD counter", async () => {
    const r = await api("GET", `/system/v1/metrics/v0/containers/${taskId}/app`);
    const points = r.status === 200 ? (r.json as { datapoints: Array<{ name: string; value: number; tags?: Record<string, string> }>; dimensions: Record<string, unknown> }) : undefined;
    return points?.datapoints.find((p) => p.name === "e2e.requests" && p.value >= 2) ? points : undefined;
  }, 30_000);
  assert.equal(app.dimensions.task_id, taskId);
  assert.equal(app.datapoints.find((p) => p.name === "e2e.requests")!.tags?.route, "home");
  const one = await api("GET", `/system/v1/metrics/v0/containers/${taskId}/app/e2e.requests`);
  assert.equal(one.status, 200);
});

test("Prometheus: the exposition parses, with the task's series labelled by its dimensions", async () => {
  const r = await api("GET", "/metrics");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type") ?? "", /text\/plain/);
  const families = new Map(parsePrometheusTextFormat(r.text).map((f) => [f.name, f]));
  const mem = families.get("gantry_mem_total")?.metrics.find((m) => m.labels?.task_id === taskId);
  assert.ok(mem, "gantry_mem_total of the task");
  assert.equal(mem.labels!.app_id, APP);
  assert.equal(mem.labels!.instance_id, instanceId);
  assert.equal(mem.labels!.label_team, "e2e");
  assert.ok(Number(mem.value) > 20 * 1024 * 1024);
  assert.ok(families.get("gantry_cpus_user_time")?.metrics.some((m) => m.labels?.task_id === taskId));
  assert.equal(families.get("gantry_e2e_requests")?.metrics.find((m) => m.labels?.task_id === taskId)?.labels?.route, "home");
  assert.ok(families.get("gantry_load_1min"), "node metrics too");
  assert.equal((await api("GET", "/metrics", { auth: null })).status, 401);
});

test("Prometheus: the control plane's own metrics (OpenTelemetry) are in the same exposition", async () => {
  const families = await eventually("control-plane series in the exposition", async () => {
    const f = new Map(parsePrometheusTextFormat((await api("GET", "/metrics")).text).map((x) => [x.name, x]));
    return f.has("gantry_scheduler_placements") && f.has("gantry_api_request_duration_bucket") && f.has("gantry_relay_lag") ? f : undefined;
  }, 30_000);
  assert.ok(Number(families.get("gantry_scheduler_placements")!.metrics[0]!.value) >= 1, "the app's placement was counted");
  assert.equal(families.get("gantry_scheduler_placements")!.metrics[0]!.labels!.scope, "control");
  assert.ok(families.get("gantry_scheduler_queue_depth"), "queue depth");
  assert.ok(families.get("gantry_eventstore_append_duration_count"), "event-store append latency");
  const apps = families.get("gantry_api_request_duration_bucket")!.metrics.filter((m) => m.labels?.route === "/v2/apps" && m.labels?.method === "POST");
  assert.ok(apps.some((m) => m.labels?.le === "+Inf" && Number(m.value) >= 1), "the POST /v2/apps of this test, by route");
});

test("CLI: gantry task/node/app metrics print a summary with sparklines, and every datapoint with --json", async () => {
  const task = await runGantry(["task", "metrics", taskId, "--since", "5m", "--step", "1s"], cluster.clientEnv);
  assert.equal(task.code, 0, task.stderr);
  assert.ok(task.stdout.startsWith(`task ${taskId}, last 5 min\n`), task.stdout);
  assert.match(task.stdout, /^METRIC\s+TAGS\s+LAST\s+MIN\s+MAX\s+TREND$/m);
  assert.match(task.stdout, /\nmem\.total\s+-\s+\d+(\.\d)? MiB\s+.*[▁▂▃▄▅▆▇█]+\n/);
  assert.match(task.stdout, /\ne2e\.requests\s+route=home\s+\d+/);
  const json = await runGantry(["task", "metrics", taskId, "--json", "--name", "mem.total", "--step", "1s"], cluster.clientEnv);
  assert.equal(json.code, 0, json.stderr);
  const series = (JSON.parse(json.stdout) as { series: Array<{ series: { name: string; dimensions: { taskId: string; agentId: string } }; timestampsMs: number[]; values: number[] }> }).series;
  assert.deepEqual(series.map((s) => [s.series.name, s.series.dimensions.taskId]), [["mem.total", taskId]]);
  assert.ok(series[0]!.values.length >= 2 && series[0]!.timestampsMs.length === series[0]!.values.length);
  assert.ok(series[0]!.timestampsMs.every((t) => Number.isInteger(t) && t > 1.7e12), "epoch milliseconds as JSON numbers");
  const agentId = series[0]!.series.dimensions.agentId;
  const node = await runGantry(["node", "metrics", agentId, "--name", "load.1min"], cluster.clientEnv);
  assert.equal(node.code, 0, node.stderr);
  assert.match(node.stdout, /\nload\.1min\s+-\s+[\d.]+/);
  const app = await runGantry(["app", "metrics", APP, "--aggregate", "max", "--name", "mem.total"], cluster.clientEnv);
  assert.equal(app.code, 0, app.stderr);
  assert.ok(app.stdout.startsWith(`${APP}: max over 1 task(s), last 15 min\n`), app.stdout);
  assert.match(app.stdout, /\nmem\.total\s+-\s+\d/);
  const bad = await runGantry(["task", "metrics", taskId, "--since", "yesterday"], cluster.clientEnv);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"yesterday" is not a duration/);
});

test("a metrics service killed with -9 and restarted has every sample, including those sent while it was down", async () => {
  const port = await freePort();
  const dataDir = path.join(cluster.gantryHome, "metrics-extra");
  const authKeyFile = path.join(cluster.gantryHome, cluster.cluster, "auth.key");
  const start = () =>
    (extra = startServiceProcess("metrics-extra", "services/metrics/src/main.ts", ["--port", String(port), "--cluster", cluster.cluster, "--auth-key-file", authKeyFile], {
      GANTRY_METRICS_DATA_DIR: dataDir,
      GANTRY_METRICS_PERSIST_MS: "1000",
    }));
  const client = createGrpcClient(metricsV1.MetricsService, `127.0.0.1:${port}`, { token: cluster.token, deadlineMs: 5_000 });
  const points = async (c: GrpcClient<typeof metricsV1.MetricsService>, from: number, to: number) => {
    const column = (await c.range({ selector: { taskId, names: ["mem.total"] }, startMs: BigInt(from), endMs: BigInt(to) })).series[0]?.timestampsMs;
    return column ? [...float64Column(column)] : [];
  };
  try {
    start();
    await eventually("the second metrics service holds the task's samples", async () => (await points(client, 1, Date.now())).length >= 3, 30_000);
    await new Promise((r) => setTimeout(r, 2_500)); // a persist (every 1 s) and more samples after it
    await extra!.crash();
    await new Promise((r) => setTimeout(r, 3_000)); // the agent keeps publishing while it is down
    start();
    const from = (await points(grpc, 1, Date.now()))[0]!;
    const until = Date.now() - 2_000;
    const expected = await points(grpc, from, until);
    assert.ok(expected.length >= 8, `the cluster's own service saw ${expected.length} samples`);
    await eventually("the restarted service has every sample the cluster's own service has", async () => {
      assert.deepEqual(await points(client, from, until), expected);
      return true;
    }, 30_000);
  } finally {
    client.close();
    if (extra && extra.output().includes('"level":50')) console.log(extra.output());
    await extra?.crash();
    extra = undefined;
  }
});
