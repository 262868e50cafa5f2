import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { eventually, pidsOfTask, runGantry, startHarnessCluster, type HarnessCluster } from "../support/index.ts";

interface TaskJson {
  taskId: string;
  appId: string;
  state: string;
}

let cluster: HarnessCluster;

before(async () => {
  cluster = await startHarnessCluster({ prefix: "skeleton" });
});

after(async () => {
  await cluster?.destroy();
});

/** Waits until no deployment is running: the scheduler has recorded every one as finished. */
async function deploymentsFinished(): Promise<void> {
  await eventually("every deployment finished", async () => {
    const r = await runGantry(["deployment", "list", "--json"], cluster.clientEnv);
    assert.equal(r.code, 0, r.stderr);
    return ((JSON.parse(r.stdout) as { deployments?: unknown[] }).deployments ?? []).length === 0 ? true : undefined;
  });
}

async function tasksOf(appId: string, all = true): Promise<TaskJson[]> {
  const r = await runGantry(["task", "list", "--app", appId, "--json", ...(all ? ["--all"] : [])], cluster.clientEnv);
  assert.equal(r.code, 0, r.stderr);
  return ((JSON.parse(r.stdout) as { tasks?: TaskJson[] }).tasks ?? []);
}

test("an app of 2 × `sleep 1000` added through the CLI runs, and deleting it kills both processes", async () => {
  const file = path.join(cluster.gantryHome, "sleeper.json");
  await writeFile(file, JSON.stringify({ id: "/e2e/sleeper", cmd: "sleep 1000", cpus: 0.1, mem: 32, instances: 2 }));

  const added = await runGantry(["app", "add", file, "--json"], cluster.clientEnv);
  assert.equal(added.code, 0, added.stderr);
  assert.equal(JSON.parse(added.stdout).app.id, "/e2e/sleeper");

  const running = await eventually("both tasks TASK_RUNNING", async () => {
    const tasks = await tasksOf("/e2e/sleeper", false);
    return tasks.length === 2 && tasks.every((t) => t.state === "TASK_RUNNING") ? tasks : undefined;
  });
  for (const t of running) {
    assert.equal((await pidsOfTask(t.taskId)).length > 0, true, `a process runs for ${t.taskId}`);
  }

  await deploymentsFinished();
  const listed = await runGantry(["app", "list"], cluster.clientEnv);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /\/e2e\/sleeper\s+2\/2/);

  const removed = await runGantry(["app", "remove", "/e2e/sleeper"], cluster.clientEnv);
  assert.equal(removed.code, 0, removed.stderr);

  await eventually("both tasks TASK_KILLED", async () => {
    const tasks = (await tasksOf("/e2e/sleeper")).filter((t) => running.some((r) => r.taskId === t.taskId));
    return tasks.length === 2 && tasks.every((t) => t.state === "TASK_KILLED") ? tasks : undefined;
  });
  for (const t of running) {
    assert.deepEqual(await pidsOfTask(t.taskId), [], `no process left for ${t.taskId}`);
  }
});

test("one deployment can be followed through the log: the scheduler's events carry the app change's trace and deployment id", async () => {
  const file = path.join(cluster.gantryHome, "traced.json");
  await writeFile(file, JSON.stringify({ id: "/e2e/traced", cmd: "sleep 1000", cpus: 0.1, mem: 16, instances: 1 }));
  const added = await runGantry(["app", "add", file, "--json"], cluster.clientEnv);
  assert.equal(added.code, 0, added.stderr);
  const deploymentId = JSON.parse(added.stdout).deploymentId as string;

  const db = new pg.Client({ connectionString: cluster.databaseUrl });
  await db.connect();
  try {
    const rows = await eventually("the instance placed and running", async () => {
      const r = await db.query<{ event_type: string; metadata: { traceparent?: string; correlationId?: string; principal?: string } }>(
        `SELECT event_type, metadata FROM events
          WHERE stream_id = 'app-/e2e/traced' OR data->>'appId' = '/e2e/traced'
          ORDER BY transaction_id, global_position`,
      );
      return r.rows.some((e) => e.event_type === "TaskStatusChanged") ? r.rows : undefined;
    });
    const traceId = (e: (typeof rows)[number]) => e.metadata.traceparent?.split("-")[1];
    const created = rows.find((e) => e.event_type === "AppCreated")!;
    assert.equal(created.metadata.principal, "admin");
    assert.match(traceId(created) ?? "", /^[0-9a-f]{32}$/);
    for (const e of rows.filter((r) => r.event_type === "InstancePlaced" || r.event_type === "TaskStatusChanged")) {
      assert.equal(traceId(e), traceId(created), `${e.event_type} joins the app change's trace`);
      assert.equal(e.metadata.correlationId, deploymentId, `${e.event_type} is correlated with the deployment`);
      assert.equal(e.metadata.principal, "svc:scheduler");
    }
  } finally {
    await db.end();
  }
  await deploymentsFinished();
  const removed = await runGantry(["app", "remove", "/e2e/traced"], cluster.clientEnv);
  assert.equal(removed.code, 0, removed.stderr);
});
