/**
 * Metrics benchmark: the metrics service's ingest and query path in one process, on batches shaped
 * like the agents' (encoded `MetricBatch` protobufs, decoded and stored as the service does).
 * NATS transport is not in the figures (JetStream's own throughput bounds it separately).
 *
 * Workload: TASKS tasks × 16 container metrics (cpu user/system seconds and throttling counters,
 * memory usage/limit/rss/cache, pids, threads, ...) + 24 node metrics, one batch per 10 s tick with
 * timestamps on the tick (as the agent stamps them), values evolving like real ones (counters
 * growing by jittered amounts, memory moving by pages, constants). A batch of 100 tasks is ~60 KB.
 *
 *   ingestSamplesPerSec     samples decoded + stored per second over TICKS ticks (1 h at 10 s)
 *   bytesPerSample          bytes of Gorilla blocks (closed blocks; heads trimmed) / samples held
 *   queryP99Ms              p99 of "one task's last hour" as a client sees it: Range over gRPC on
 *                           loopback (the service in this process, the client in a worker thread:
 *                           its own heap), every series of one task over 1 h as raw points, decoded
 *                           by the client (1000 queries after 50 of warm-up, after a GC)
 *   rssMbPerMillionSeries   RSS growth per series × 1e6, in a fresh child process, on SERIES_FOR_RSS
 *                           series holding one hour of samples at 60 s each (blocks, indexes,
 *                           metadata; RSS keeps heap pages V8 has not returned, so live heap +
 *                           buffers after a GC is printed beside it)
 *
 * Durability: none involved (in-memory store; the snapshot write is not timed here).
 * Prints its figures, then one JSON line last.
 *   node --expose-gc --max-semi-space-size=16 bench/metrics/metrics.bench.ts [--tasks 1000] [--ticks 360] [--rss-series 200000]
 * (`npm run bench:metrics`). The young-generation flag is the metrics service's own (see
 * services/metrics/README.md, "Figures"): with Node's default 32 MB semi-spaces V8 restarts
 * incremental marking ~70 ms after every full GC of a ~55 MB heap, whatever the allocation rate,
 * and those full GCs are the p99.
 */
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { metricsV1 } from "@gantry/proto";
import { createAuthenticator, createGrpcServer, createLogger, createTokenSigner, generateSigningKey } from "@gantry/platform";
import { SeriesStore } from "../../services/metrics/src/domain/series-store.ts";
import { ingestBatch } from "../../services/metrics/src/app/metrics-ingest.ts";
import { metricsService } from "../../services/metrics/src/adapters/metrics.grpc.ts";
import { dimensionsKey, type Dimensions } from "../../services/metrics/src/domain/sample.ts";
import { METRICS_NODE_FLAGS } from "../../services/metrics/src/metrics-node-flags.ts";

const { values } = parseArgs({ options: { tasks: { type: "string", default: "1000" }, ticks: { type: "string", default: "360" }, "rss-series": { type: "string", default: "200000" }, "rss-only": { type: "string" } } });
const TASKS = Number(values.tasks);
const TICKS = Number(values.ticks);
const SERIES_FOR_RSS = Number(values["rss-series"]);

if (values["rss-only"]) {
  // Child mode: only the memory figure, printed as one JSON line.
  const n = Number(values["rss-only"]);
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const big = new SeriesStore();
  const dims: Dimensions[] = Array.from({ length: n / 10 }, (_, i) => ({ agentId: `a${i % 500}`, hostname: `h${i % 500}`, appId: `/rss/app-${i % 1000}`, instanceId: `i${i}`, taskId: `t${i}`, containerName: "main", labels: {} }));
  const keys = dims.map(dimensionsKey);
  for (let minute = 0; minute < 60; minute++) {
    for (let d = 0; d < dims.length; d++) {
      for (let m = 0; m < 10; m++) big.append(dims[d]!, keys[d]!, { name: `m${m}`, unit: "", kind: "gauge", scope: "container", tags: {}, t: t0 + minute * 60_000, v: m < 5 ? 1 : minute * m }, t0);
    }
  }
  globalThis.gc?.();
  const mb = (b: number) => Math.round(b / 1024 / 1024);
  const after = process.memoryUsage();
  console.log(JSON.stringify({ series: big.stats.series, rssBeforeMb: mb(rssBefore), rssAfterMb: mb(after.rss), liveMb: mb(after.heapUsed + after.arrayBuffers - heapBefore), blockBytes: big.blockBytes() }));
  process.exit(0);
}

// The service's own Node flags (METRICS_NODE_FLAGS): the query figure is the service's as deployed.
const missingFlags = METRICS_NODE_FLAGS.filter((f) => !process.execArgv.includes(f));
if (missingFlags.length > 0) throw new Error(`run as the metrics service runs, with Node's ${missingFlags.join(" ")} (npm run bench:metrics does)`);
const STEP = 10_000;
const T0 = Math.floor((Date.now() - TICKS * STEP) / STEP) * STEP;
const { Scope, Kind } = metricsV1;

let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

interface TaskState {
  dims: metricsV1.Dimensions;
  user: number;
  system: number;
  throttled: number;
  mem: number;
  rss: number;
  cache: number;
  pids: number;
}
const tasks: TaskState[] = Array.from({ length: TASKS }, (_, i) => ({
  dims: create(metricsV1.DimensionsSchema, { agentId: `agent-${i % 50}`, hostname: `node-${i % 50}`, appId: `/bench/app-${i % 100}`, instanceId: `inst-${i}`, taskId: `task-${i}`, containerName: "main", labels: { team: "bench" } }),
  user: 0,
  system: 0,
  throttled: 0,
  mem: 100 * 1024 * 1024 + Math.floor(rnd() * 1e6) * 4096,
  rss: 80 * 1024 * 1024,
  cache: 20 * 1024 * 1024,
  pids: 1 + Math.floor(rnd() * 8),
}));

function containerPoints(s: TaskState): Array<[string, number, metricsV1.Kind]> {
  // CPU seconds with cgroup nanosecond resolution (cpuacct.usage_user is in USER_HZ ticks: 10 ms).
  s.user += Math.round(rnd() * 50) / 100;
  s.system += Math.round(rnd() * 10) / 100;
  if (rnd() < 0.05) s.throttled++;
  if (rnd() < 0.3) s.mem += Math.floor((rnd() - 0.5) * 64) * 4096;
  if (rnd() < 0.2) s.rss += Math.floor((rnd() - 0.5) * 16) * 4096;
  if (rnd() < 0.1) s.cache += Math.floor(rnd() * 8) * 4096;
  return [
    ["cpus.user.time", s.user, Kind.COUNTER],
    ["cpus.system.time", s.system, Kind.COUNTER],
    ["cpus.throttled.periods", s.throttled, Kind.COUNTER],
    ["cpus.throttled.time", s.throttled * 0.1, Kind.COUNTER],
    ["cpus.nr_periods", 0, Kind.COUNTER],
    ["cpus.limit", 0.5, Kind.GAUGE],
    ["mem.total", s.mem, Kind.GAUGE],
    ["mem.limit", 512 * 1024 * 1024, Kind.GAUGE],
    ["mem.rss", s.rss, Kind.GAUGE],
    ["mem.cache", s.cache, Kind.GAUGE],
    ["mem.swap", 0, Kind.GAUGE],
    ["mem.failcnt", 0, Kind.COUNTER],
    ["processes", s.pids, Kind.GAUGE],
    ["threads", s.pids * 2, Kind.GAUGE],
    ["disk.used", 4096 * 100, Kind.GAUGE],
    ["oom.kills", 0, Kind.COUNTER],
  ];
}

function nodePoints(agent: number, tick: number): Array<[string, number, metricsV1.Kind]> {
  const out: Array<[string, number, metricsV1.Kind]> = [];
  for (let i = 0; i < 24; i++) out.push([`node.metric.${i}`, i < 8 ? Math.round(rnd() * 100) / 100 : i < 16 ? (agent + tick) * 1000 + i : 1e9, i >= 8 && i < 16 ? Kind.COUNTER : Kind.GAUGE]);
  return out;
}

function batchAt(tick: number): Uint8Array[] {
  const t = BigInt(T0 + tick * STEP);
  const perAgent = new Map<string, metricsV1.MetricGroup[]>();
  for (const s of tasks) {
    const groups = perAgent.get(s.dims.agentId) ?? [];
    perAgent.set(s.dims.agentId, groups);
    groups.push(create(metricsV1.MetricGroupSchema, { dimensions: s.dims, timestampMs: t, datapoints: containerPoints(s).map(([name, value, kind]) => ({ name, value, kind, scope: Scope.CONTAINER, unit: "" })) }));
  }
  let agent = 0;
  return [...perAgent.entries()].map(([agentId, groups]) => {
    groups.push(create(metricsV1.MetricGroupSchema, { dimensions: { agentId, hostname: agentId }, timestampMs: t, datapoints: nodePoints(agent++, tick).map(([name, value, kind]) => ({ name, value, kind, scope: Scope.NODE, unit: "" })) }));
    return toBinary(metricsV1.MetricBatchSchema, create(metricsV1.MetricBatchSchema, { source: agentId, groups }));
  });
}

// --- ingest --------------------------------------------------------------------------------------
const store = new SeriesStore();
let samples = 0;
let ingestMs = 0;
let batchBytes = 0;
let batches = 0;
for (let tick = 0; tick < TICKS; tick++) {
  const encoded = batchAt(tick); // generation is not timed
  const now = T0 + tick * STEP;
  const started = performance.now();
  for (const bytes of encoded) {
    const c = ingestBatch(store, fromBinary(metricsV1.MetricBatchSchema, bytes), now);
    samples += c.stored;
  }
  ingestMs += performance.now() - started;
  for (const b of encoded) batchBytes += b.length;
  batches += encoded.length;
}
const ingestSamplesPerSec = Math.round(samples / (ingestMs / 1000));

// --- bytes per sample ----------------------------------------------------------------------------
let closedBytes = 0;
let closedSamples = 0;
let headBytes = 0;
let headSamples = 0;
for (const s of store.all()) {
  for (const c of s.raw) {
    closedBytes += c.bytes.length;
    closedSamples += c.count;
  }
  if (s.head) {
    headBytes += s.head.bytes().length;
    headSamples += s.head.count;
  }
}
const bytesPerSample = (closedBytes + headBytes) / (closedSamples + headSamples);

// --- query: one task's last hour -----------------------------------------------------------------
// As a client sees it: MetricsService served by grpc-js on loopback in this process (token check,
// permissions, handler, encode, HTTP/2) and called through Gantry's client (HTTP/2, decode) from a
// worker thread, with its own heap and event loop, as a remote dashboard or CLI would be.
const end = T0 + (TICKS - 1) * STEP;
const signer = createTokenSigner(generateSigningKey());
const grpcServer = createGrpcServer({ logger: createLogger("metrics-bench", { level: "warn" }), authenticator: createAuthenticator(signer), services: [metricsService(store, () => end)] });
const port = await grpcServer.listen("127.0.0.1", 0);
const seriesPerTask = store.select({ taskId: "task-0" }).length;
globalThis.gc?.(); // the ingest's garbage is not the queries' cost
const queried = await new Promise<{ durations?: number[]; pointsPerQuery?: number; error?: string }>((resolve, reject) => {
  const worker = new Worker(new URL("./metrics-query-client.worker.ts", import.meta.url), {
    workerData: { target: `127.0.0.1:${port}`, token: signer.issue({ name: "bench", roles: ["admin"] }).token, tasks: TASKS, seriesPerTask, startMs: end - 3_600_000, endMs: end, warmup: 50, queries: 1000 },
  });
  worker.once("message", resolve);
  worker.once("error", reject);
});
await grpcServer.shutdown(1_000);
if (queried.error) throw new Error(queried.error);
const durations = queried.durations!;
const pointsPerQuery = queried.pointsPerQuery!;
durations.sort((a, b) => a - b);
const queryP99Ms = durations[Math.ceil(durations.length * 0.99) - 1]!;
const queryP50Ms = durations[Math.floor(durations.length * 0.5)]!;

// --- RSS per million series (in a fresh child process: nothing else on its heap) ---------------
const storeSeries = store.stats.series;
const storeSamples = store.sampleCount();
const child = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--rss-only", String(SERIES_FOR_RSS)], { encoding: "utf8" });
if (child.status !== 0) throw new Error(`the RSS child failed: ${child.stderr}`);
const rss = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as { series: number; rssBeforeMb: number; rssAfterMb: number; liveMb: number; blockBytes: number };
const rssMbPerMillionSeries = Math.round(((rss.rssAfterMb - rss.rssBeforeMb) * 1_000_000) / rss.series);

console.log(`metrics bench (loaded shared machine: 2 cores, five engineers' builds and tests running)`);
console.log(`  workload: ${TASKS} tasks × 16 container metrics + ${Math.ceil(TASKS / 20)} nodes × 24, ${TICKS} ticks of 10 s; ${batches} batches, ${(batchBytes / batches / 1024).toFixed(1)} KB each on average`);
console.log(`  ingest: ${samples} samples in ${ingestMs.toFixed(0)} ms → ${ingestSamplesPerSec} samples/s (decode + store, one core)`);
console.log(`  storage: ${storeSeries} series, ${storeSamples} samples, ${bytesPerSample.toFixed(3)} bytes/sample (closed ${closedSamples} in ${closedBytes} B, heads ${headSamples} in ${headBytes} B)`);
console.log(`  query one task's last hour over gRPC (${seriesPerTask} series, ${pointsPerQuery} points; client in a worker thread): p50 ${queryP50Ms.toFixed(2)} ms, p99 ${queryP99Ms.toFixed(2)} ms`);
console.log(`  memory: ${rss.series} series × 60 samples (one hour at 60 s) in a fresh process: RSS ${rss.rssBeforeMb} → ${rss.rssAfterMb} MB (live heap + buffers after GC +${rss.liveMb} MB, of which blocks ${(rss.blockBytes / 1024 / 1024).toFixed(0)} MB) → ${rssMbPerMillionSeries} MB RSS per million series (${Math.round((rss.liveMb * 1_000_000) / rss.series)} MB live)`);
console.log(JSON.stringify({ bench: "metrics", ingestSamplesPerSec, queryP99Ms: Number(queryP99Ms.toFixed(2)), bytesPerSample: Number(bytesPerSample.toFixed(3)), rssMbPerMillionSeries }));
