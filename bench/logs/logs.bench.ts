/**
 * Logs benchmark: agents (each its own process, log-shipper.worker.ts) shipping ~110-byte lines
 * from sandbox files (the real LogShipper: inotify, offsets, batches ≤ 256 KiB packed with
 * Zstandard, JetStream acks) to the logs service (its own process: durable consumer → one chunk
 * row per batch chunk in time partitions, acknowledged after commit), stored and queryable; while
 * that runs, events are appended to the event log and the relay's lag is measured. Then follow
 * latency (a line written to a task's file → a FollowLogs client has it) and the last 1,000 lines
 * of a task (QueryLogs skip_prev=1000, from a client process of its own: tail-client.process.ts)
 * are measured: with the service's block cache as deployed (the same 8 tasks asked again and again
 * are answered from it), then from a restarted service without one (`tail1000UncachedP99Ms`). Fresh databases and cluster names, dropped at the end; synchronous_commit=on (the
 * run refuses otherwise). The machine is shared: figures are from a loaded machine. Prints figures, then one JSON line last:
 *
 *   npm run bench:logs      (node bench/logs/logs.bench.ts; LOGS_BENCH_LINES to change the volume, default 2,000,000,
 *                            LOGS_BENCH_SERVICE_NODE_OPTIONS e.g. "--cpu-prof" to profile the logs service)
 */
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fork } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { logsV1, readLogLines } from "@gantry/proto";
import { connectBus, createGrpcClient, createLogger, createTokenSigner, EventStore, generateSigningKey, infrastructureUrls, openClusterDatabase, startEventRelay } from "@gantry/platform";
import { createTestCluster, createTestDatabase } from "@gantry/platform/testing";
import { dropLogsDatabase, logsDatabaseUrlOf } from "@gantry/logs";
import { freePort, startServiceProcess } from "@gantry/test/support";
import { until } from "../service-wait.ts";

const AGENTS = 2;
const TASKS_PER_AGENT = 4;
const TOTAL_LINES = Number(process.env.LOGS_BENCH_LINES ?? 2_000_000);
const LINE_BYTES = 110;
const RELAY_EVENTS_PER_SEC = 100;
const FOLLOW_SAMPLES = 200;
const TAIL_SAMPLES = 1_000;
const TAIL_WARMUP = 20;

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic pseudo-random stream (xorshift32), so runs compare. */
let seed = 0x9e3779b9;
const random = (n: number) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};
const PATHS = ["/api/v1/orders", "/api/v1/items", "/api/v1/users", "/healthz", "/api/v1/cart", "/static/app.js"];
const LEVELS = ["INFO", "INFO", "INFO", "INFO", "WARN", "DEBUG"];

/**
 * An access-log-like line of LINE_BYTES: time, level, method and path with an id, status, size,
 * latency and a random request id (random fields keep the compression honest: real output is
 * not a run of one letter), padded with a random hex trace id.
 */
function line(task: number, i: number): string {
  const head = `${new Date().toISOString()} ${LEVELS[random(LEVELS.length)]} task-${task} GET ${PATHS[random(PATHS.length)]}/${random(100_000)} ${random(10) === 0 ? 404 : 200} ${random(50_000)}B ${random(900) / 10}ms req=${i.toString(36)}-${random(1 << 30).toString(16)}`;
  let pad = " trace=";
  while (head.length + pad.length < LINE_BYTES - 1) pad += random(16).toString(16);
  return `${head}${pad}`.slice(0, LINE_BYTES - 1) + "\n";
}

async function main(): Promise<void> {
  const key = generateSigningKey();
  const token = createTokenSigner(key).issue({ name: "bench", roles: ["admin"] }).token;
  const db = await createTestDatabase("logs_bench");
  const logsUrl = logsDatabaseUrlOf(db.url);
  const cluster = createTestCluster();
  const { natsUrl } = infrastructureUrls();
  const bus = await connectBus(natsUrl, cluster.names, "logs-bench");
  const workDir = mkdtempSync(path.join(tmpdir(), "gantry-logs-bench-"));
  const port = await freePort();
  const startLogsService = (env: Record<string, string> = {}) =>
    startServiceProcess("logs", "services/logs/src/main.ts", ["--port", String(port)], { DATABASE_URL: db.url, LOGS_DATABASE_URL: logsUrl, NATS_URL: natsUrl, GANTRY_CLUSTER: cluster.names.cluster, GANTRY_AUTH_KEY: key.toString("base64"), GANTRY_LOG_LEVEL: "info", GANTRY_LOGS_INGEST_REPORT_MS: "2000", ...(process.env.LOGS_BENCH_SERVICE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.LOGS_BENCH_SERVICE_NODE_OPTIONS } : {}), ...env });
  let logs = startLogsService();
  const logger = createLogger("logs-bench", { level: "warn" });
  const relayAbort = new AbortController();
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    cleanup.push(() => admin.end());
    const sync = (await admin.query("SHOW synchronous_commit")).rows[0].synchronous_commit as string;
    if (sync !== "on") throw new Error(`synchronous_commit is ${sync}: headline figures need it on`);

    // Event log + relay, as a control plane runs them, on the same PostgreSQL.
    const cdb = await openClusterDatabase(db.url, cluster.names.cluster, { max: 4 });
    cleanup.push(() => cdb.close());
    const store = new EventStore({ pool: cdb.pool });
    const relay = await startEventRelay({ store, nc: bus.nc, names: cluster.names, logger, signal: relayAbort.signal });
    cleanup.push(async () => {
      relayAbort.abort();
      await relay.done.catch(() => undefined);
    });
    const sentAt = new Map<string, number>();
    const relayLags: number[] = [];
    const sub = bus.nc.subscribe(cluster.names.subject("events.>"), {
      callback: (_err, m) => {
        const streamId = m.headers?.get("Gantry-Stream-Id");
        const t = streamId ? sentAt.get(streamId) : undefined;
        if (t !== undefined) {
          relayLags.push(performance.now() - t);
          sentAt.delete(streamId!);
        }
      },
    });
    cleanup.push(async () => sub.unsubscribe());

    const client = createGrpcClient(logsV1.LogsService, `127.0.0.1:${port}`, { token, deadlineMs: 30_000 });
    cleanup.push(async () => client.close());
    const serving = () => until("the logs service to answer", () => client.queryLogs({ limit: 1 }).then(() => true, () => false), 60_000, [logs], 250);
    await serving();

    // Sandboxes: one per task, output written before the shippers start (they ship as fast as they can).
    const perTask = Math.floor(TOTAL_LINES / (AGENTS * TASKS_PER_AGENT));
    const tasks: { agent: string; taskId: string }[] = [];
    for (let a = 0; a < AGENTS; a++) {
      for (let t = 0; t < TASKS_PER_AGENT; t++) {
        const agent = `bench-agent-${a}`;
        const taskId = `bench_app.task-${a}-${t}`;
        // Staged beside the sandboxes, moved in once the agents run (so start-up is not timed).
        const dir = path.join(workDir, agent, "staged", taskId);
        mkdirSync(path.join(dir, ".gantry"), { recursive: true });
        writeFileSync(path.join(dir, ".gantry", "checkpoint.json"), JSON.stringify({ version: 1, taskId, instanceId: taskId, appId: "/bench/app", appVersion: "v", agentId: agent, pid: 4242, pgid: 4242, startTicks: 1, startedAt: new Date().toISOString(), killGraceMs: 1000, gpuIndices: [], assignedPorts: [], cgroupDirs: [] }));
        let text = "";
        for (let i = 0; i < perTask; i++) text += line(t, i);
        writeFileSync(path.join(dir, "stdout"), text);
        tasks.push({ agent, taskId });
      }
    }
    const lines = perTask * tasks.length;
    console.log(`logs bench: ${fmt(lines)} lines of ${LINE_BYTES} bytes in ${tasks.length} tasks on ${AGENTS} agents; batches ≤ 256 KiB; synchronous_commit=${sync}; loaded shared machine`);

    const countStored = async () => {
      const c = new pg.Client({ connectionString: logsUrl });
      await c.connect();
      try {
        return Number((await c.query("SELECT coalesce(sum(line_count), 0) AS n FROM log_chunks")).rows[0].n);
      } finally {
        await c.end();
      }
    };
    const baseline = await countStored();

    // Event appends at a steady rate while the lines are ingested.
    let appending = true;
    let n = 0;
    const appender = (async () => {
      while (appending) {
        const id = `bench-${n++}`;
        sentAt.set(id, performance.now());
        await store.appendOrThrow(id, "any", [{ type: "BenchEvent", data: { n } }]);
        await sleep(1000 / RELAY_EVENTS_PER_SEC);
      }
    })();

    // Each agent in a process of its own, as agents run (the relay and the measurements stay here).
    const agents = Array.from({ length: AGENTS }, (_, a) =>
      startServiceProcess(`agent-${a}`, "bench/logs/log-shipper.worker.ts", [path.join(workDir, `bench-agent-${a}`), `bench-agent-${a}`], { NATS_URL: natsUrl, GANTRY_CLUSTER: cluster.names.cluster, GANTRY_LOG_LEVEL: "warn" }),
    );
    cleanup.push(async () => {
      for (const agent of agents) await agent.stop(5_000);
    });
    const agentsDeadline = Date.now() + 120_000;
    while (!agents.every((a) => a.wrote("shipping"))) {
      if (Date.now() > agentsDeadline) throw new Error(`the agents did not start:\n${agents.map((a) => a.output()).join("\n")}`);
      await sleep(100);
    }
    const t0 = performance.now();
    for (const { agent, taskId } of tasks) {
      mkdirSync(path.join(workDir, agent, "sandboxes"), { recursive: true });
      renameSync(path.join(workDir, agent, "staged", taskId), path.join(workDir, agent, "sandboxes", taskId));
    }
    let stored = 0;
    while (stored < lines) {
      await sleep(50);
      stored = (await countStored()) - baseline;
      if (performance.now() - t0 > 600_000) throw new Error(`only ${stored} of ${lines} lines stored in 10 minutes`);
    }
    const ingestMs = performance.now() - t0;
    appending = false;
    await appender;
    const ingestLinesPerSec = (lines * 1000) / ingestMs;
    console.log(`ingest:        ${fmt(ingestLinesPerSec)} lines/s (${fmt(lines)} lines file → JetStream → PostgreSQL chunks in ${fmt(ingestMs)} ms, ${((lines * LINE_BYTES) / 1048576 / (ingestMs / 1000)).toFixed(1)} MiB/s of text)`);
    // The service's own account of the ingest (every 2 s): rate, commit size, share of time in PostgreSQL.
    for (const l of logs.output().split("\n").filter((l) => l.includes('"msg":"log ingest"'))) {
      const r = JSON.parse(l.slice(l.indexOf("{"))) as { linesPerSec: number; linesPerCommit: number; storingPercent: number; waiting: number };
      console.log(`  ingest 2 s:  ${fmt(r.linesPerSec)} lines/s, ${fmt(r.linesPerCommit)} lines per commit, ${r.storingPercent}% of the time in PostgreSQL, ${r.waiting} batches waiting`);
    }
    console.log(`relay lag:     p50 ${p50(relayLags).toFixed(1)} ms, p99 ${p99(relayLags).toFixed(1)} ms (${relayLags.length} events appended at ${RELAY_EVENTS_PER_SEC}/s during ingest; append start → relayed on NATS)`);

    // Follow: a line appended to a task's file → a FollowLogs client has it.
    const follower = tasks[0]!;
    const followFile = path.join(workDir, follower.agent, "sandboxes", follower.taskId, "stdout");
    const followLags: number[] = [];
    const abort = new AbortController();
    const written = new Map<string, number>();
    const following = (async () => {
      try {
        for await (const r of client.followLogs({ filter: { taskId: follower.taskId } }, { signal: abort.signal, deadlineMs: 600_000 })) {
          const now = performance.now();
          const lines = readLogLines(r);
          for (let i = 0; i < lines.count; i++) {
            const t = written.get(lines.text(i));
            if (t !== undefined) followLags.push(now - t);
          }
        }
      } catch (err) {
        if (!abort.signal.aborted) throw err;
      }
    })();
    await sleep(500);
    for (let i = 0; i < FOLLOW_SAMPLES; i++) {
      const text = `follow probe ${i}`;
      written.set(text, performance.now());
      appendFileSync(followFile, `${text}\n`);
      await sleep(20);
    }
    const followDeadline = Date.now() + 20_000;
    while (followLags.length < FOLLOW_SAMPLES && Date.now() < followDeadline) await sleep(50);
    abort.abort();
    await following;
    console.log(`follow:        p50 ${p50(followLags).toFixed(1)} ms, p99 ${p99(followLags).toFixed(1)} ms (${followLags.length}/${FOLLOW_SAMPLES} lines: written to the file → shipper (inotify) → JetStream → FollowLogs client)`);

    // The last 1,000 lines of a task, in steady state, from a client process of its own (as a real
    // client is: in this process, or a worker thread of it, this heap's collections paused it).
    // The same 8 tasks over and over: after the warm-up their newest chunks are in the service's
    // block cache (64 MiB, as deployed). Then again from a service without one: every call reads
    // and unpacks its blocks from PostgreSQL, as the first read of a task does.
    const tailOptions = { target: `127.0.0.1:${port}`, token, taskIds: tasks.map((t) => t.taskId), samples: TAIL_SAMPLES, warmup: TAIL_WARMUP };
    const tailMs = await runTailClient(tailOptions);
    console.log(`tail 1000:     p50 ${p50(tailMs).toFixed(1)} ms, p99 ${p99(tailMs).toFixed(1)} ms (${TAIL_SAMPLES} QueryLogs skip_prev=1000 over gRPC, after ${TAIL_WARMUP} untimed; block cache on)`);
    await logs.stop(5_000);
    logs = startLogsService({ GANTRY_LOGS_BLOCK_CACHE_MB: "0" });
    await serving();
    const uncachedMs = await runTailClient(tailOptions);
    console.log(`  uncached:    p50 ${p50(uncachedMs).toFixed(1)} ms, p99 ${p99(uncachedMs).toFixed(1)} ms (the same from a service without a block cache: blocks read from PostgreSQL each call)`);

    const ldb = new pg.Client({ connectionString: logsUrl });
    await ldb.connect();
    const size = await ldb.query(`SELECT sum(pg_total_relation_size(c.oid))::int8 AS bytes FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'log_chunks'::regclass`);
    const count = await ldb.query("SELECT coalesce(sum(line_count), 0)::int8 AS n, count(*)::int8 AS chunks FROM log_chunks");
    await ldb.end();
    const bytesPerLineStored = Number(size.rows[0].bytes) / Number(count.rows[0].n);
    console.log(`storage:       ${bytesPerLineStored.toFixed(0)} bytes per line (table + indexes + TOAST, ${fmt(Number(count.rows[0].n))} lines in ${fmt(Number(count.rows[0].chunks))} chunks)`);

    console.log(JSON.stringify({ bench: "logs", ingestLinesPerSec: Math.round(ingestLinesPerSec), followLatencyP99Ms: Number(p99(followLags).toFixed(1)), tail1000P99Ms: Number(p99(tailMs).toFixed(1)), tail1000UncachedP99Ms: Number(p99(uncachedMs).toFixed(1)), relayLagP99Ms: Number(p99(relayLags).toFixed(1)), bytesPerLineStored: Math.round(bytesPerLineStored) }));
  } finally {
    await logs.stop(5_000);
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    await cluster.cleanup(bus.nc).catch(() => undefined);
    await bus.close();
    await dropLogsDatabase(logsUrl).catch(() => undefined);
    await db.drop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Runs tail-client.process.ts and gives its timings (ms per call); rejects with its error, or when it exits without an answer. */
function runTailClient(options: { target: string; token: string; taskIds: string[]; samples: number; warmup: number }): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL("./tail-client.process.ts", import.meta.url), [JSON.stringify(options)], { stdio: "inherit" });
    child.once("message", (m: { tailMs?: number[]; error?: string }) => (m.tailMs ? resolve(m.tailMs) : reject(new Error(m.error))));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the tail client exited (${code}) without an answer`)));
  });
}

await main();
