/**
 * Exec benchmark: a single-node cluster in this process (`gantry up`'s: registry, scheduler,
 * gateway, one agent, real processes and cgroups when root) with one `sleep` task of 1 cpu and
 * 256 MB (an exec joins the task's cgroups, so it shares those limits: a task of 0.1 cpu gives a
 * `cat` about 10 MiB/s); a client in a
 * worker thread (its own event loop) opens exec sessions through the gateway's gRPC port, so
 * every figure crosses client → gateway (authn, authz, ticket, audit) → agent (ticket check,
 * launcher join) → process and back, on loopback.
 *
 *   sessionSetupP99Ms  call → `started`, for N sessions of `true` one after another (includes
 *                      the ExecSessionStarted append, synchronous_commit=on, and the spawn)
 *   echoP50Ms/P99Ms    one keystroke (1-byte stdin message) → its echo (stdout message) through
 *                      a PTY running `cat` (the line discipline echoes), M keystrokes after 100 warm-up
 *   throughputMiBPerSec `cat` of a file of S MiB (zeros) without a PTY: bytes / (started → exited);
 *                      output messages are at most 1 MiB; a slow reader pauses the process (flow control)
 *
 * Prints its figures, then one JSON line last.
 *   node bench/exec/exec.bench.ts [--sessions 200] [--keystrokes 2000] [--mib 512]
 */
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { eventually, marathonHttp, startHarnessCluster, withPostgresClient, type Json } from "../../test/support/index.ts";

const { values } = parseArgs({ options: { sessions: { type: "string", default: "200" }, keystrokes: { type: "string", default: "2000" }, mib: { type: "string", default: "512" } } });
const SESSIONS = Number(values.sessions);
const KEYSTROKES = Number(values.keystrokes);
const MIB = Number(values.mib);

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};
const round = (x: number, digits = 2) => Number(x.toFixed(digits));
/** How many samples fall in each band at or above 5 ms (the tail that makes a p99). */
const slowest = (xs: number[]) => {
  const bands = [5, 10, 20, 35, 50, Infinity];
  const counts = bands.slice(0, -1).map((low, i) => `${low}–${bands[i + 1] === Infinity ? "" : bands[i + 1]} ms: ${xs.filter((x) => x >= low && x < bands[i + 1]!).length}`);
  return `slow samples (of ${xs.length}) ${counts.join(", ")}`;
};

const scratch = mkdtempSync(join(tmpdir(), "gantry-exec-bench-"));
// Removed however the run ends (a cluster that fails to start too): the payload is hundreds of MiB.
process.once("exit", () => rmSync(scratch, { recursive: true, force: true }));
const file = join(scratch, "payload");
execFileSync("sh", ["-c", `head -c ${MIB}M /dev/zero > '${file}'`]);
const cluster = await startHarnessCluster({ prefix: "bexec" });
try {
  const { api } = marathonHttp(cluster);
  const created = await api("POST", "/v2/apps", { body: { id: "/bench/exec", cmd: "sleep 100000", cpus: 1, mem: 256, instances: 1 } });
  if (created.status !== 201) throw new Error(`app not created: ${created.text}`);
  const task = await eventually("the task running", async () => ((await api("GET", "/v2/apps/bench/exec/tasks")).json.tasks as Json[]).find((t) => t.state === "TASK_RUNNING"), 60_000, 100);
  const { synchronous_commit } = await withPostgresClient(cluster.databaseUrl, async (c) => (await c.query("SHOW synchronous_commit")).rows[0] as { synchronous_commit: string });
  const result = await new Promise<{ setupMs: number[]; echoMs: number[]; cat: { bytes: number; seconds: number; messages: number }; error?: string }>((resolve, reject) => {
    const worker = new Worker(new URL("./exec-client.worker.ts", import.meta.url), { workerData: { target: new URL(cluster.url).host, token: cluster.token, taskId: task.id, sessions: SESSIONS, keystrokes: KEYSTROKES, file } });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  if (result.error) throw new Error(result.error);
  const mibPerSec = result.cat.bytes / (1 << 20) / result.cat.seconds;
  if (result.cat.bytes !== MIB << 20) throw new Error(`cat delivered ${result.cat.bytes} bytes, not ${MIB << 20}`);
  const figures = {
    bench: "exec",
    sessionSetupP99Ms: round(percentile(result.setupMs, 99)),
    echoP50Ms: round(percentile(result.echoMs, 50), 3),
    echoP99Ms: round(percentile(result.echoMs, 99), 3),
    throughputMiBPerSec: round(mibPerSec, 1),
  };
  console.log(`exec benchmark: client (worker thread) → gateway gRPC → agent endpoint → launcher join → process, loopback, ${process.getuid?.() === 0 ? "root (cgroups)" : "not root"}; audit appends with synchronous_commit=${synchronous_commit}; a shared, loaded machine`);
  console.log(`  session set-up    ${SESSIONS} sessions: p50 ${percentile(result.setupMs, 50).toFixed(1)} ms, p99 ${figures.sessionSetupP99Ms} ms`);
  console.log(`  keystroke echo    ${KEYSTROKES} × 1-byte stdin → echo through a PTY: p50 ${figures.echoP50Ms} ms, p99 ${figures.echoP99Ms} ms, p99.9 ${percentile(result.echoMs, 99.9).toFixed(3)} ms, max ${Math.max(...result.echoMs).toFixed(1)} ms`);
  // A delayed ACK (40 ms on Linux) behind a small write held by Nagle shows as a cluster of samples at 40-45 ms.
  console.log(`                    ${slowest(result.echoMs)}`);
  console.log(`  cat throughput    ${MIB} MiB in ${result.cat.seconds.toFixed(2)} s: ${figures.throughputMiBPerSec} MiB/s, ${result.cat.messages} messages of ${(result.cat.bytes / result.cat.messages / 1024).toFixed(0)} KiB on average (≤ 1 MiB: output that piled up is sent together)`);
  console.log(JSON.stringify(figures));
} finally {
  await cluster.destroy();
}
