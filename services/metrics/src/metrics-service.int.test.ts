/**
 * The metrics service against the real NATS: batches published on the METRICS stream are queried
 * over gRPC; what a caller may read is filtered by permission; and a service killed with -9 loses
 * no sample: on restart it loads its persisted blocks and reads the stream on from the sequence
 * they hold, including what was published while it was down.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { float64Column, metricsV1, METRICS_STREAM } from "@gantry/proto";
import { connectBus, createGrpcClient, createTokenSigner, ensureStream, generateSigningKey, onPath, publishDurable, RESOURCES, type Bus, type GrpcClient } from "@gantry/platform";
import { createTestCluster } from "@gantry/platform/testing";
import { eventually, freePort, startServiceProcess, type ServiceProcess } from "@gantry/test/support";

const key = generateSigningKey();
const signer = createTokenSigner(key);
const admin = signer.issue({ name: "alice", roles: ["admin"] }).token;
const teamA = signer.issue({ name: "ann", roles: [], grants: [onPath(RESOURCES.metrics, "read", "/team-a")] }).token;
const cluster = createTestCluster();
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const T0 = Math.floor((Date.now() - 600_000) / 10_000) * 10_000; // step buckets start at multiples of the step

let bus: Bus;
let dataDir: string;
let port: number;
let service: ServiceProcess | undefined;

function startService(): { proc: ServiceProcess; client: GrpcClient<typeof metricsV1.MetricsService> } {
  const proc = startServiceProcess("metrics", "services/metrics/src/main.ts", ["--port", String(port), "--cluster", cluster.names.cluster], {
    GANTRY_AUTH_KEY: key.toString("base64"),
    GANTRY_METRICS_DATA_DIR: dataDir,
    GANTRY_METRICS_PERSIST_MS: "300",
    NATS_URL: natsUrl,
    GANTRY_LOG_LEVEL: "info",
  });
  service = proc;
  return { proc, client: createGrpcClient(metricsV1.MetricsService, `127.0.0.1:${port}`, { token: admin, deadlineMs: 5_000 }) };
}

const dims = (task: string, app: string) => ({ agentId: "agent-1", hostname: "node-1", appId: app, instanceId: `inst-${task}`, taskId: task, containerName: "main", labels: { tier: "web" } });

/** Publishes the batch for tick `i`: one node gauge and one container gauge per task, value = i. */
async function publishTick(i: number): Promise<void> {
  const t = BigInt(T0 + i * 1000);
  const batch = create(metricsV1.MetricBatchSchema, {
    source: "agent-1",
    groups: [
      { dimensions: { agentId: "agent-1", hostname: "node-1" }, timestampMs: t, datapoints: [{ name: "load.1min", value: i, unit: "count", scope: metricsV1.Scope.NODE, kind: metricsV1.Kind.GAUGE }] },
      { dimensions: dims("task-a", "/team-a/web"), timestampMs: t, datapoints: [{ name: "mem.total", value: i, unit: "bytes", scope: metricsV1.Scope.CONTAINER, kind: metricsV1.Kind.GAUGE }] },
      { dimensions: dims("task-b", "/team-b/web"), timestampMs: t, datapoints: [{ name: "mem.total", value: i * 2, unit: "bytes", scope: metricsV1.Scope.CONTAINER, kind: metricsV1.Kind.GAUGE }] },
    ],
  });
  await publishDurable(bus, "metrics.agent-1", metricsV1.MetricBatchSchema, batch, { msgId: `agent-1:test:${i}` });
}

const taskPoints = async (client: GrpcClient<typeof metricsV1.MetricsService>) => {
  const r = await client.range({ selector: { taskId: "task-a" }, startMs: BigInt(T0 - 1), endMs: BigInt(T0 + 1_000_000) });
  return r.series[0] ? [...float64Column(r.series[0].values)] : [];
};

before(async () => {
  bus = await connectBus(natsUrl, cluster.names, "metrics-test");
  await ensureStream(bus, METRICS_STREAM);
  dataDir = await mkdtemp(join(tmpdir(), "gantry-metrics-"));
  port = await freePort();
});

after(async () => {
  await service?.crash();
  await cluster.cleanup(bus.nc);
  await bus.close();
  await rm(dataDir, { recursive: true, force: true });
});

test("serves what agents publish, filtered by what the caller may read, and loses no sample across kill -9", async () => {
  let { proc, client } = startService();
  try {
    for (let i = 0; i < 10; i++) await publishTick(i);
    await eventually("the first ten ticks ingested", async () => (await taskPoints(client)).length === 10, 20_000);
    const latest = await client.latest({ selector: { taskId: "task-a" } });
    assert.equal(latest.samples.length, 1);
    assert.equal(latest.samples[0]!.value, 9);
    assert.deepEqual({ ...latest.samples[0]!.series!.dimensions!, $typeName: undefined }, { ...dims("task-a", "/team-a/web"), $typeName: undefined });

    // A caller with metrics read on /team-a sees its task, not /team-b's, and no node metrics.
    const ann = createGrpcClient(metricsV1.MetricsService, `127.0.0.1:${port}`, { token: teamA, deadlineMs: 5_000 });
    const seen = await ann.latest({});
    assert.deepEqual(seen.samples.map((s) => s.series!.dimensions!.taskId), ["task-a"]);
    await assert.rejects(ann.latest({ selector: { appId: "/team-b/web" } }), (err: Error & { code?: string }) => err.code === "PermissionDenied");
    await assert.rejects(client.range({ selector: { taskId: "task-a" }, startMs: 10n, endMs: 5n }), /startMs/);
    const agg = await client.aggregateApp({ appId: "/team-a/web", startMs: BigInt(T0), endMs: BigInt(T0 + 9_999), stepMs: 10_000n, aggregation: metricsV1.Aggregation.MAX });
    assert.deepEqual(agg.series.map((s) => [s.name, [...float64Column(s.timestampsMs)], [...float64Column(s.values)]]), [["mem.total", [T0], [4.5]]]); // the step average of 0..9, max over the app's one task
    ann.close();

    // Blocks persisted, then more ingested, then kill -9 (what came after the last persist is only in the stream).
    await eventually("a snapshot on disk", () => stat(join(dataDir, "series.snapshot")).then(() => true), 10_000);
    for (let i = 10; i < 20; i++) await publishTick(i);
    await eventually("ticks 10-19 ingested", async () => (await taskPoints(client)).length === 20, 20_000);
    client.close();
    await proc.crash();

    // Published while the service is down.
    for (let i = 20; i < 30; i++) await publishTick(i);
    ({ proc, client } = startService());
    const expected = Array.from({ length: 30 }, (_, i) => i);
    await eventually("all 30 ticks after the restart", async () => {
      const got = await taskPoints(client);
      assert.deepEqual(got, expected);
      return true;
    }, 30_000);
    const node = await client.range({ selector: { agentId: "agent-1", scopes: [metricsV1.Scope.NODE] }, startMs: BigInt(T0 - 1), endMs: BigInt(T0 + 1_000_000) });
    assert.deepEqual([...float64Column(node.series[0]!.values)], expected);
    assert.deepEqual([...float64Column(node.series[0]!.timestampsMs)], expected.map((i) => T0 + i * 1000));
  } finally {
    client.close();
    if (!proc.child.killed) await proc.stop();
    if (proc.output().includes("\"level\":50")) console.log(proc.output());
  }
});
