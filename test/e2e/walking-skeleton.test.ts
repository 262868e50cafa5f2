import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
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
    return tasks.length === 2 && tasks.every((t) => t.state === "TASK_STATE_RUNNING") ? tasks : undefined;
  });
  for (const t of running) {
    assert.equal((await pidsOfTask(t.taskId)).length > 0, true, `a process runs for ${t.taskId}`);
  }

  const listed = await runGantry(["app", "list"], cluster.clientEnv);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /\/e2e\/sleeper\s+2\/2/);

  const removed = await runGantry(["app", "remove", "/e2e/sleeper"], cluster.clientEnv);
  assert.equal(removed.code, 0, removed.stderr);

  await eventually("both tasks TASK_KILLED", async () => {
    const tasks = (await tasksOf("/e2e/sleeper")).filter((t) => running.some((r) => r.taskId === t.taskId));
    return tasks.length === 2 && tasks.every((t) => t.state === "TASK_STATE_KILLED") ? tasks : undefined;
  });
  for (const t of running) {
    assert.deepEqual(await pidsOfTask(t.taskId), [], `no process left for ${t.taskId}`);
  }
});
