import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { eventually, marathonHttp, pidsOfTask, runGantry, startHarnessCluster, type HarnessCluster, type Json } from "../support/index.ts";

// Marathon health checks through the whole cluster (registry → scheduler → agent → scheduler →
// gateway), with real task processes: an HTTP server on $PORT0 answering $CODE.

let cluster: HarnessCluster;
let server: string;
const { api, settled } = marathonHttp(() => cluster);

before(async () => {
  cluster = await startHarnessCluster({ prefix: "health" });
  server = path.join(cluster.gantryHome, "server.cjs");
  await writeFile(server, "require('node:http').createServer((q, s) => { s.statusCode = Number(process.env.CODE); s.end(); }).listen(Number(process.env.PORT0), '127.0.0.1');\n");
});

after(async () => {
  await cluster?.destroy();
});

/** An app serving `code` on its one port, checked over HTTP every second (3 s grace, killed after 2 failures in a row). */
function serving(id: string, code: number): Json {
  return {
    id,
    cmd: `exec "${process.execPath}" "${server}"`,
    env: { CODE: String(code) },
    cpus: 0.1,
    mem: 128,
    instances: 1,
    portDefinitions: [{ port: 0 }],
    healthChecks: [{ protocol: "HTTP", path: "/", portIndex: 0, gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2 }],
  };
}

test("an app passing its HTTP health check is counted healthy, its task carries the result, and its deployment finishes", async () => {
  const created = await api("POST", "/v2/apps", { body: serving("/e2e/healthy", 200) });
  assert.equal(created.status, 201, created.text);
  const app = await eventually("the app's task healthy", async () => {
    const answer = await api("GET", "/v2/apps/e2e/healthy");
    return answer.json.app?.tasksHealthy === 1 ? answer.json.app : undefined;
  }, 30_000);
  assert.equal(app.tasksUnhealthy, 0);
  const [task] = app.tasks as Json[];
  assert.equal(task!.healthCheckResults?.[0]?.alive, true, JSON.stringify(task));
  await settled("/e2e/healthy", 30_000);
  assert.equal((await api("DELETE", "/v2/apps/e2e/healthy")).status, 200);
});

test("an app failing its HTTP health check has its task killed by the agent and replaced", async () => {
  const created = await api("POST", "/v2/apps", { body: serving("/e2e/unhealthy", 500) });
  assert.equal(created.status, 201, created.text);
  const first = await eventually("the first task", async () => (await api("GET", "/v2/apps/e2e/unhealthy/tasks")).json.tasks?.[0] as Json | undefined, 30_000);
  const replacement = await eventually("a replacement task", async () => {
    const tasks = ((await api("GET", "/v2/apps/e2e/unhealthy/tasks")).json.tasks ?? []) as Json[];
    return tasks.find((t) => t.id !== first.id);
  }, 60_000);
  assert.notEqual(replacement.id, first.id);
  assert.deepEqual(await pidsOfTask(first.id as string), [], "the unhealthy task's server is gone");
  const ended = await eventually("the first task's end in the task list", async () => {
    const r = await runGantry(["task", "list", "--app", "/e2e/unhealthy", "--all", "--json"], cluster.clientEnv);
    return ((JSON.parse(r.stdout) as { tasks?: Json[] }).tasks ?? []).find((t) => t.taskId === first.id && t.state === "TASK_KILLED");
  });
  assert.match(String(ended.message), /^unhealthy: HTTP \/ on port \d+ failed 2 times in a row \(last: HTTP 500\)$/);
  assert.equal((await api("DELETE", "/v2/apps/e2e/unhealthy?force=true")).status, 200);
});
