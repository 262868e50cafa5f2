import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { eventually, marathonHttp, pidsOfTask, startHarnessCluster, type HarnessCluster, type Json } from "../support/index.ts";

// Marathon's task kills through the whole cluster with real processes: killed tasks are replaced,
// or with scale=true the app shrinks by exactly the tasks named.

let cluster: HarnessCluster;
const { api, settled } = marathonHttp(() => cluster);

before(async () => {
  cluster = await startHarnessCluster({ prefix: "kills" });
});

after(async () => {
  await cluster?.destroy();
});

const sleeper = (id: string, instances: number): Json => ({ id, cmd: "sleep 1000", cpus: 0.05, mem: 16, instances });

/** The app's live tasks once `count` of them run. */
async function running(appId: string, count: number): Promise<Json[]> {
  return eventually(`${count} running tasks of ${appId}`, async () => {
    const tasks = ((await api("GET", `/v2/apps${appId}/tasks`)).json.tasks ?? []) as Json[];
    const up = tasks.filter((t) => t.state === "TASK_RUNNING");
    return up.length === count && tasks.length === count ? up : undefined;
  }, 30_000);
}

test("DELETE /v2/apps/{id}/tasks/{taskId} kills that task (its process ends) and a replacement starts; unknown tasks are 404", async () => {
  assert.equal((await api("POST", "/v2/apps", { body: sleeper("/e2e/kill-one", 2) })).status, 201);
  const [victim, survivor] = await running("/e2e/kill-one", 2);
  const killed = await api("DELETE", `/v2/apps/e2e/kill-one/tasks/${victim!.id}`);
  assert.equal(killed.status, 200, killed.text);
  assert.equal(killed.json.task.id, victim!.id);
  const after = await eventually("a replacement running", async () => {
    const tasks = await running("/e2e/kill-one", 2);
    return tasks.some((t) => t.id === victim!.id) ? undefined : tasks;
  });
  assert.ok(after.some((t) => t.id === survivor!.id), "the other task was left alone");
  await eventually("the killed task's process gone", async () => ((await pidsOfTask(victim!.id)).length === 0 ? true : undefined));
  const unknown = await api("DELETE", `/v2/apps/e2e/kill-one/tasks/e2e_kill-one.nope`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.message, "Task 'e2e_kill-one.nope' does not exist");
  assert.equal((await api("DELETE", "/v2/apps/e2e/kill-one/tasks?scale=true&wipe=true")).status, 400, "scale and wipe together");
  assert.equal((await api("DELETE", "/v2/apps/e2e/kill-one")).status, 200);
});

test("POST /v2/tasks/delete?scale=true kills exactly the tasks named and scales their app down by as many, in one deployment", async () => {
  assert.equal((await api("POST", "/v2/apps", { body: sleeper("/e2e/kill-scale", 4) })).status, 201);
  const tasks = await running("/e2e/kill-scale", 4);
  // The two oldest: the default kill selection (YOUNGEST_FIRST) would never pick them.
  const named = tasks.slice().sort((a, b) => String(a.stagedAt).localeCompare(String(b.stagedAt))).slice(0, 2).map((t) => t.id as string);
  const answer = await api("POST", "/v2/tasks/delete?scale=true", { body: { ids: [...named, "nobody.1"] } });
  assert.equal(answer.status, 200, answer.text);
  assert.ok(answer.json.deploymentId, answer.text);
  assert.equal(answer.headers.get("marathon-deployment-id"), answer.json.deploymentId);
  await settled("/e2e/kill-scale", 30_000);
  const left = await running("/e2e/kill-scale", 2);
  assert.deepEqual(left.map((t) => t.id).sort(), tasks.map((t) => t.id as string).filter((id) => !named.includes(id)).sort());
  assert.equal((await api("GET", "/v2/apps/e2e/kill-scale")).json.app.instances, 2);
  assert.equal((await api("DELETE", "/v2/apps/e2e/kill-scale")).status, 200);
});

test("DELETE /v2/apps/{id}/tasks kills every task of the app (or those on ?host=) and answers them; POST /v2/tasks/delete without scale replaces", async () => {
  assert.equal((await api("POST", "/v2/apps", { body: sleeper("/e2e/kill-all", 2) })).status, 201);
  const tasks = await running("/e2e/kill-all", 2);
  const none = await api("DELETE", "/v2/apps/e2e/kill-all/tasks?host=elsewhere.example");
  assert.deepEqual(none.json, { tasks: [] });
  const all = await api("DELETE", "/v2/apps/e2e/kill-all/tasks");
  assert.equal(all.status, 200, all.text);
  assert.deepEqual((all.json.tasks as Json[]).map((t) => t.id).sort(), tasks.map((t) => t.id).sort());
  const replaced = await eventually("both replaced", async () => {
    const now = await running("/e2e/kill-all", 2);
    return now.every((t) => !tasks.some((o) => o.id === t.id)) ? now : undefined;
  });
  const viaDelete = await api("POST", "/v2/tasks/delete", { body: { ids: [replaced[0]!.id] } });
  assert.equal(viaDelete.status, 200, viaDelete.text);
  assert.deepEqual((viaDelete.json.tasks as Json[]).map((t) => t.id), [replaced[0]!.id]);
  assert.equal((await api("POST", "/v2/tasks/delete", { body: { ids: "x" } })).status, 400);
  assert.equal((await api("DELETE", "/v2/apps/e2e/kill-all")).status, 200);
});

test("DELETE /v2/pods/{id}::instances/{instance} kills that pod instance, which is replaced; an unknown instance is 404", async () => {
  const pod = { id: "/e2e/kill-pod", containers: [{ name: "main", exec: { command: { shell: "sleep 1000" } }, resources: { cpus: 0.05, mem: 16 } }], scaling: { kind: "fixed", instances: 1 }, networks: [{ mode: "host" }] };
  const created = await api("POST", "/v2/pods", { body: pod });
  assert.equal(created.status, 201, created.text);
  const instance = await eventually("the pod instance running", async () => {
    const status = (await api("GET", "/v2/pods/e2e/kill-pod::status")).json;
    return (status.instances as Json[] | undefined)?.find((i) => i.status === "STABLE");
  }, 30_000);
  const killed = await api("DELETE", `/v2/pods/e2e/kill-pod::instances/${instance.id}`);
  assert.equal(killed.status, 200, killed.text);
  assert.equal(killed.json.id, instance.id);
  await eventually("a new instance", async () => {
    const status = (await api("GET", "/v2/pods/e2e/kill-pod::status")).json;
    return (status.instances as Json[]).some((i) => i.id !== instance.id && i.status === "STABLE") ? true : undefined;
  }, 30_000);
  assert.equal((await api("DELETE", `/v2/pods/e2e/kill-pod::instances/${instance.id}`)).status, 404, "it is gone");
  assert.equal((await api("DELETE", "/v2/pods/e2e/kill-pod")).status, 202);
});
