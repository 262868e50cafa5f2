import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { eventually, marathonHttp, startHarnessCluster, type HarnessCluster, type Json } from "../support/index.ts";

// Marathon's rolling upgrade through the whole cluster with real task processes: an app of 4
// HTTP servers, health-checked, moves to a new version within its upgradeStrategy. The bounds
// are checked against the event log itself: every placement, status, health verdict and kill,
// replayed in commit order.

let cluster: HarnessCluster;
let server: string;
let db: pg.Client;
const { api, settled } = marathonHttp(() => cluster);

before(async () => {
  cluster = await startHarnessCluster({ prefix: "rolling", agent: { cpus: 8, mem: 8192 } });
  server = path.join(cluster.gantryHome, "server.cjs");
  await writeFile(server, "require('node:http').createServer((q, s) => { s.statusCode = Number(process.env.CODE); s.end(process.env.TAG); }).listen(Number(process.env.PORT0), '127.0.0.1');\n");
  db = new pg.Client({ connectionString: cluster.databaseUrl });
  await db.connect();
});

after(async () => {
  await db?.end();
  await cluster?.destroy();
});

interface Strategy {
  minimumHealthCapacity: number;
  maximumOverCapacity: number;
}

/** 4 servers answering `code` with body `tag` on their one port, checked over HTTP every second (128 MB: a Node server near 32 MB is OOM-killed). */
function servers(id: string, strategy: Strategy, code: number, tag: string): Json {
  return {
    id,
    cmd: `exec "${process.execPath}" "${server}"`,
    env: { CODE: String(code), TAG: tag },
    cpus: 0.1,
    mem: 128,
    instances: 4,
    portDefinitions: [{ port: 0 }],
    healthChecks: [{ protocol: "HTTP", path: "/", portIndex: 0, gracePeriodSeconds: 4, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 3 }],
    upgradeStrategy: strategy,
  };
}

const TERMINAL = new Set(["FINISHED", "FAILED", "KILLED", "ERROR", "LOST", "DROPPED", "GONE", "GONE_BY_OPERATOR", "UNKNOWN"].map((s) => `TASK_STATE_${s}`));

interface Timeline {
  /** Fewest instances serving healthy (running, healthy, not being killed) at any point after the deployment was planned. */
  minServing: number;
  /** Most instances live (placed and not ended, old, new or stopping) at any point after it was planned. */
  maxLive: number;
  /** Instances placed after it was planned. */
  placedAfter: number;
  /** What happened after it was planned, one line per event (for a failure's message). */
  story: string[];
}

/** Replays the app's events from the log in commit order and measures its capacity from `deploymentId`'s plan on. */
async function timeline(appId: string, deploymentId: string): Promise<Timeline> {
  const { rows } = await db.query<{ event_type: string; data: Json }>(
    `SELECT event_type, data FROM events
      WHERE data->>'appId' = $1 OR (event_type = 'DeploymentPlanned' AND data->'deployment'->>'id' = $2)
      ORDER BY transaction_id, global_position`,
    [appId, deploymentId],
  );
  const instances = new Map<string, { running: boolean; healthy: boolean; killed: boolean; ended: boolean }>();
  const byTask = new Map<string, string>();
  let planned = false;
  const result: Timeline = { minServing: Infinity, maxLive: 0, placedAfter: 0, story: [] };
  for (const { event_type: type, data } of rows) {
    const inst = instances.get(String(data.instanceId ?? byTask.get(String(data.taskId))));
    if (type === "DeploymentPlanned") planned = true;
    else if (type === "InstancePlaced") {
      instances.set(data.instanceId, { running: false, healthy: false, killed: false, ended: false });
      for (const t of data.taskIds ?? [data.taskId]) byTask.set(t, data.instanceId);
      if (planned) result.placedAfter++;
    } else if (type === "TaskStatusChanged" && inst) {
      inst.running = data.state === "TASK_STATE_RUNNING";
      inst.ended ||= TERMINAL.has(data.state);
    } else if (type === "TaskHealthChanged" && inst) inst.healthy = data.healthy === true;
    else if (type === "InstanceKillRequested" && inst) inst.killed = true;
    if (!planned) continue;
    const all = [...instances.values()];
    result.minServing = Math.min(result.minServing, all.filter((i) => i.running && i.healthy && !i.killed && !i.ended).length);
    result.maxLive = Math.max(result.maxLive, all.filter((i) => !i.ended).length);
    const serving = all.filter((i) => i.running && i.healthy && !i.killed && !i.ended).length;
    result.story.push(`${type} ${String(data.instanceId ?? data.taskId ?? "").slice(-8)} ${data.state ?? data.healthy ?? data.reason ?? ""}${data.message ? ` (${data.message})` : ""} → serving ${serving}, live ${all.filter((i) => !i.ended).length}`);
  }
  return result;
}

/** The app's tasks once its deployment is over: every one healthy and answering `tag`. */
async function servingTasks(appId: string, tag: string): Promise<Json[]> {
  await settled(appId, 90_000);
  const tasks = (await api("GET", `/v2/apps${appId}/tasks`)).json.tasks as Json[];
  for (const t of tasks) {
    assert.equal(t.healthCheckResults?.[0]?.alive, true, JSON.stringify(t));
    const answer = await fetch(`http://127.0.0.1:${t.ports[0]}/`);
    assert.equal(await answer.text(), tag, `task ${t.id} serves ${tag}`);
  }
  return tasks;
}

for (const [strategy, minHealthy, maxCapacity] of [
  [{ minimumHealthCapacity: 0.5, maximumOverCapacity: 0 }, 2, 4],
  [{ minimumHealthCapacity: 1, maximumOverCapacity: 1 }, 4, 8],
] as const) {
  test(`an update under ${JSON.stringify(strategy)} never has fewer than ${minHealthy} healthy nor more than ${maxCapacity} live, per the log`, async () => {
    const id = `/e2e/rolling-${minHealthy}-${maxCapacity}`;
    const created = await api("POST", "/v2/apps", { body: servers(id, strategy, 200, "v1") });
    assert.equal(created.status, 201, created.text);
    const before = await servingTasks(id, "v1");
    assert.equal(before.length, 4);
    const updated = await api("PUT", `/v2/apps${id}`, { body: servers(id, strategy, 200, "v2") });
    assert.equal(updated.status, 200, updated.text);
    const after = await servingTasks(id, "v2");
    assert.equal(after.length, 4);
    assert.ok(after.every((t) => !before.some((b) => b.id === t.id)), "every task was replaced");
    const seen = await timeline(id, updated.json.deploymentId);
    assert.equal(seen.placedAfter, 4, JSON.stringify(seen));
    assert.ok(seen.minServing >= minHealthy, `healthy capacity fell to ${seen.minServing} (minimum ${minHealthy}):\n${seen.story.join("\n")}`);
    assert.ok(seen.maxLive <= maxCapacity, `${seen.maxLive} instances were live (maximum ${maxCapacity}):\n${seen.story.join("\n")}`);
    if (maxCapacity > 4) assert.ok(seen.maxLive > 4, `the over-capacity was used: ${seen.maxLive} live at most`);
    assert.equal((await api("DELETE", `/v2/apps${id}`)).status, 200);
  });
}

test("a version whose health check never passes holds its deployment; cancelling it rolls back and the old tasks keep serving throughout", async () => {
  const id = "/e2e/rolling-bad";
  const strategy = { minimumHealthCapacity: 1, maximumOverCapacity: 1 };
  const created = await api("POST", "/v2/apps", { body: servers(id, strategy, 200, "v1") });
  assert.equal(created.status, 201, created.text);
  const before = await servingTasks(id, "v1");
  const updated = await api("PUT", `/v2/apps${id}`, { body: servers(id, strategy, 500, "v2") });
  assert.equal(updated.status, 200, updated.text);
  const deploymentId = updated.json.deploymentId as string;
  await eventually("new tasks started and found unhealthy", async () => {
    const tasks = (await api("GET", `/v2/apps${id}/tasks`)).json.tasks as Json[];
    return tasks.some((t) => t.healthCheckResults?.[0]?.alive === false) ? true : undefined;
  }, 30_000);
  assert.ok((await api("GET", "/v2/deployments")).json.some((d: Json) => d.id === deploymentId), "the deployment is still running");
  const cancelled = await api("DELETE", `/v2/deployments/${deploymentId}`);
  assert.equal(cancelled.status, 200, cancelled.text);
  const rollbackId = cancelled.json.deploymentId as string;
  const after = await servingTasks(id, "v1");
  assert.deepEqual(after.map((t) => t.id).sort(), before.map((t) => t.id).sort(), "the old tasks were never replaced");
  const kills = await db.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE event_type = 'InstanceKillRequested' AND data->>'taskId' = ANY($1)`, [before.map((t) => t.id)]);
  assert.equal(Number(kills.rows[0]!.n), 0, "no old task was ever asked to stop");
  const rollout = await db.query<{ event_type: string }>(`SELECT event_type FROM events WHERE stream_id = $1 ORDER BY stream_version`, [`rollout-${rollbackId}`]);
  assert.equal(rollout.rows.at(-1)?.event_type, "DeploymentSucceeded");
  assert.equal((await api("DELETE", `/v2/apps${id}`)).status, 200);
});

test("an update of an app with readiness checks kills an old task only after a new one is ready", async () => {
  const id = "/e2e/rolling-ready";
  // Ready (200 on /ready) two seconds after it starts; healthy (200 on /) at once.
  const readyServer = path.join(cluster.gantryHome, "ready-server.cjs");
  await writeFile(readyServer, "const t0 = Date.now(); require('node:http').createServer((q, s) => { s.statusCode = q.url === '/ready' && Date.now() - t0 < 2000 ? 503 : 200; s.end(process.env.TAG); }).listen(Number(process.env.PORT0), '127.0.0.1');\n");
  const app = (tag: string): Json => ({
    ...servers(id, { minimumHealthCapacity: 1, maximumOverCapacity: 1 }, 200, tag),
    cmd: `exec "${process.execPath}" "${readyServer}"`,
    instances: 2,
    portDefinitions: [{ port: 0, name: "http" }],
    readinessChecks: [{ name: "ready", protocol: "HTTP", path: "/ready", portName: "http", intervalSeconds: 2, timeoutSeconds: 1, httpStatusCodesForReady: [200] }],
  });
  const created = await api("POST", "/v2/apps", { body: app("v1") });
  assert.equal(created.status, 201, created.text);
  await servingTasks(id, "v1");
  const updated = await api("PUT", `/v2/apps${id}`, { body: app("v2") });
  assert.equal(updated.status, 200, updated.text);
  const after = await servingTasks(id, "v2");
  assert.equal(after.length, 2);
  const shown = (await api("GET", `/v2/apps${id}?embed=apps.readiness`)).json.app as Json;
  assert.deepEqual((shown.readinessCheckResults as Json[]).map((r) => [r.name, r.ready]).sort(), [["ready", true], ["ready", true]]);
  const { rows } = await db.query<{ event_type: string; data: Json }>(
    `SELECT event_type, data FROM events WHERE data->>'appId' = $1 AND event_type IN ('InstancePlaced', 'TaskReady', 'InstanceKillRequested') ORDER BY transaction_id, global_position`,
    [id],
  );
  const newInstances = new Set(rows.filter((r) => r.event_type === "InstancePlaced").slice(2).map((r) => r.data.instanceId));
  let ready = 0;
  let killed = 0;
  for (const r of rows) {
    if (r.event_type === "TaskReady" && newInstances.has(r.data.instanceId)) ready++;
    if (r.event_type === "InstanceKillRequested" && !newInstances.has(r.data.instanceId)) {
      killed++;
      assert.ok(ready >= killed, `old instance ${killed} killed with only ${ready} new one(s) ready`);
    }
  }
  assert.deepEqual([ready, killed], [2, 2]);
  assert.equal((await api("DELETE", `/v2/apps${id}`)).status, 200);
});
