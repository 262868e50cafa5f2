/**
 * Unified logging end to end, every part its own process (registry, scheduler, logs, gateway, an
 * agent) on the shared PostgreSQL and NATS:
 *
 * - `gantry task log --follow` prints a running task's new lines within a second of their writing;
 * - the logs service killed with SIGKILL while a task writes loses no line and stores none twice;
 * - restarted with `--retention 1d`, it drops the partitions of older lines;
 * - a task's output stays readable after the task finished and its agent was killed (SIGKILL)
 *   while the task wrote and then restarted: every line, once, in order.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { connect } from "@nats-io/transport-node";
import { logsComponentSubject, logsV1 } from "@gantry/proto";
import { createTokenSigner, generateSigningKey, infrastructureUrls } from "@gantry/platform";
import { createTestCluster, createTestDatabase, eventually, type TestDatabase } from "@gantry/platform/testing";
import { dropLogsDatabase } from "@gantry/logs";
import { freePort, runGantry, startServiceProcess, type ServiceProcess } from "@gantry/test/support";

const key = generateSigningKey();
const admin = createTokenSigner(key).issue({ name: "root", roles: ["admin"] }).token;
const cluster = createTestCluster();
const GANTRY_BIN = path.resolve(import.meta.dirname, "../../packages/cli/bin/gantry.js");
let testDb: TestDatabase;
let home = "";
let base = "";
let env: Record<string, string> = {};
let logsPort = 0;
const processes = new Map<string, ServiceProcess>();

const cli = () => ({ ...process.env, GANTRY_URL: base, GANTRY_TOKEN: admin, GANTRY_HOME: home });
const http = (method: string, url: string, body?: unknown) =>
  fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
const startLogsProcess = (args: string[] = []) => processes.set("logs", startServiceProcess("logs", "services/logs/src/main.ts", ["--port", String(logsPort), ...args], { ...env, LOGS_DATABASE_URL: `${testDb.url}_logs` }));
const startAgentProcess = () =>
  processes.set("agent", startServiceProcess("agent", "services/agent/src/main.ts", ["--cluster", cluster.names.cluster, "--agent-id", "log-agent", "--work-dir", path.join(home, "agent"), "--isolation", "none", "--cpus", "2", "--mem", "2048", "--kill-tasks-on-exit"], env));

/** The ids of an app's tasks (running or not) as Marathon lists them. */
async function taskIds(appId: string): Promise<string[]> {
  const r = await http("GET", `/v2/apps${appId}/tasks`);
  if (r.status !== 200) return [];
  return ((await r.json()) as { tasks: { id: string }[] }).tasks.map((t) => t.id);
}

/** `gantry task log` output lines (no --follow). */
async function taskLog(args: string[]): Promise<string[]> {
  const r = await runGantry(["task", "log", ...args], cli());
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split("\n").filter((l) => l !== "");
}

before(async () => {
  testDb = await createTestDatabase("logs_e2e");
  home = await mkdtemp(path.join(tmpdir(), "gantry-logs-e2e-"));
  env = { DATABASE_URL: testDb.url, NATS_URL: infrastructureUrls().natsUrl, GANTRY_CLUSTER: cluster.names.cluster, GANTRY_AUTH_KEY: key.toString("base64"), GANTRY_LOG_LEVEL: "info" };
  const [registryPort, schedulerPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
  logsPort = await freePort();
  processes.set("registry", startServiceProcess("registry", "services/registry/src/main.ts", ["--port", String(registryPort)], env));
  processes.set("scheduler", startServiceProcess("scheduler", "services/scheduler/src/main.ts", ["--port", String(schedulerPort)], env));
  startLogsProcess();
  processes.set("gateway", startServiceProcess("gateway", "services/gateway/src/main.ts", ["--port", String(gatewayPort)], { ...env, GANTRY_REGISTRY_ADDRESS: `127.0.0.1:${registryPort}`, GANTRY_SCHEDULER_ADDRESS: `127.0.0.1:${schedulerPort}`, GANTRY_LOGS_ADDRESS: `127.0.0.1:${logsPort}` }));
  startAgentProcess();
  base = `http://127.0.0.1:${gatewayPort}`;
  await eventually("the gateway, its backends and the agent", async () => {
    const r = await fetch(`${base}/system/v1/logs/v1/range/`, { headers: { authorization: `Bearer ${admin}` } }).catch(() => undefined);
    if (![200, 204].includes(r?.status ?? 0)) return false;
    return (await runGantry(["node", "list", "--json"], cli())).stdout.includes("log-agent");
  }, 90_000);
});

after(async () => {
  if (process.env.GANTRY_E2E_DUMP) for (const [name, p] of processes) console.error(`--- ${name}\n${p.output()}`);
  for (const p of [...processes.values()].reverse()) await p.stop(5_000);
  const nc = await connect({ servers: infrastructureUrls().natsUrl });
  await cluster.cleanup(nc).finally(() => nc.close());
  if (testDb) await dropLogsDatabase(`${testDb.url}_logs`);
  await testDb?.drop();
  await rm(home, { recursive: true, force: true });
});

test("gantry task log --follow prints a running task's new lines within a second", async () => {
  const created = await http("POST", "/v2/apps", { id: "/logs/ticker", cmd: 'i=0; while true; do echo "tick $i $(date +%s%3N)"; i=$((i+1)); sleep 0.1; done', cpus: 0.1, mem: 32, instances: 1 });
  assert.equal(created.status, 201, await created.text());
  const [taskId] = await eventually("the ticker's task", async () => {
    const ids = await taskIds("/logs/ticker");
    return ids.length > 0 && ids;
  }, 60_000);
  // A unique part of the id is enough.
  const partial = taskId!.slice(-12);
  const child = spawn(process.execPath, [GANTRY_BIN, "task", "log", partial, "--follow", "--lines", "0"], { env: cli(), stdio: ["ignore", "pipe", "pipe"] });
  const lags: number[] = [];
  let buf = "";
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no 20 lines from gantry task log --follow in 30 s (got ${lags.length}; stderr: ${stderr})`)), 30_000);
      child.stdout.on("data", (d: Buffer) => {
        const now = Date.now();
        buf += d.toString();
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = /^tick \d+ (\d+)$/.exec(line);
          if (m) lags.push(now - Number(m[1]));
        }
        if (lags.length >= 20) {
          clearTimeout(deadline);
          resolve();
        }
      });
    });
  } finally {
    child.kill("SIGINT");
  }
  assert.ok(Math.max(...lags) < 1_000, `every line printed within a second of its writing (lags ms: ${lags.join(", ")})`);
});

test("the logs service killed mid-stream loses no line and stores none twice; restarted with --retention 1d it drops older partitions", async () => {
  // A line of two days ago, as a component would ship it (kept by the default 7 days).
  const nc = await connect({ servers: infrastructureUrls().natsUrl });
  try {
    const js = (await import("@nats-io/jetstream")).jetstream(nc);
    const old = BigInt(Date.now() - 2 * 86_400_000) * 1000n;
    const batch = create(logsV1.LogBatchSchema, { agentId: "", hostname: "e2e", chunks: [{ component: "e2e-old", stream: "log", timesUnixMicros: [old], levels: [30], texts: ["two days old"] }] });
    await js.publish(cluster.names.subject(logsComponentSubject("e2e-old")), toBinary(logsV1.LogBatchSchema, batch), { msgID: "e2e-old-1" });
  } finally {
    await nc.close();
  }
  await eventually("the old line stored", async () => (await runGantry(["log", "--component", "e2e-old", "--lines", "10"], cli())).stdout.includes("two days old"), 60_000);

  const [taskId] = await taskIds("/logs/ticker");
  await processes.get("logs")!.crash();
  await new Promise((r) => setTimeout(r, 1_500)); // the ticker writes on, the lines wait in JetStream
  startLogsProcess(["--retention", "1d", "--partition-interval", "1h"]);
  const ticks = await eventually("lines written while the logs service was down, stored", async () => {
    const r = await runGantry(["task", "log", taskId!, "--lines", "10000"], cli());
    const seqs = r.stdout.split("\n").flatMap((l) => /^tick (\d+) /.exec(l)?.[1] ?? []).map(Number);
    return seqs.length > 40 && seqs;
  }, 60_000);
  const expected = Array.from({ length: ticks.length }, (_, i) => ticks[0]! + i);
  assert.deepEqual(ticks, expected, "every tick once, in order, across the crash");
  const old = await runGantry(["log", "--component", "e2e-old", "--lines", "10"], cli());
  assert.equal(old.code, 0, old.stderr);
  assert.ok(!old.stdout.includes("two days old"), "the partition of two days ago was dropped");
});

test("a finished task's output is readable after its agent was killed while it wrote and restarted", async () => {
  const created = await http("POST", "/v2/apps", { id: "/logs/once", cmd: 'for i in $(seq 1 200); do echo "line $i"; sleep 0.02; done; echo "the end" >&2; sleep 3600', cpus: 0.1, mem: 32, instances: 1 });
  assert.equal(created.status, 201, await created.text());
  const [taskId] = await eventually("the task", async () => {
    const ids = await taskIds("/logs/once");
    return ids.length > 0 && ids;
  }, 60_000);
  await eventually("its first lines shipped", async () => (await runGantry(["task", "log", taskId!, "--lines", "5"], cli())).stdout.includes("line "), 60_000);
  await processes.get("agent")!.crash();
  await new Promise((r) => setTimeout(r, 3_000)); // the task writes on with no agent
  startAgentProcess();
  await eventually("every line shipped", async () => (await runGantry(["task", "log", taskId!, "--stderr"], cli())).stdout.includes("the end"), 60_000);
  // The task is then scaled away: it ends, and its output stays.
  assert.equal((await http("PUT", "/v2/apps/logs/once?force=true", { instances: 0 })).status, 200);
  await eventually("the task ended", async () => (await taskIds("/logs/once")).length === 0, 60_000);
  assert.deepEqual(await taskLog([taskId!, "--lines", "1000"]), Array.from({ length: 200 }, (_, i) => `line ${i + 1}`));
  assert.deepEqual(await taskLog([taskId!, "--stderr"]), ["the end"]);
});
