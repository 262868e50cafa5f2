import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import pg from "pg";
import { marathonHttp, startHarnessCluster, within, type HarnessCluster, type Json, type MarathonAnswer } from "../support/index.ts";

// Marathon 1.4's REST API through the gateway of a real control plane (registry, scheduler,
// gateway; no agent, so deployments that need instances stay in progress, which is what makes
// the deployment lock, `force` and cancellation observable). Status codes, headers and body
// shapes as Marathon's clients parse them.


let cluster: HarnessCluster;

before(async () => {
  cluster = await startHarnessCluster({ prefix: "marathon_api", agent: false });
});

after(async () => {
  await cluster?.destroy();
});

type Answer = MarathonAnswer;
const { api, settled } = marathonHttp(() => cluster);

function expectStatus(answer: Answer, status: number, what: string): void {
  assert.equal(answer.status, status, `${what}: ${answer.status} ${answer.text.slice(0, 500)}`);
}

describe("authentication and misc endpoints", () => {
  test("401 without or with a bad token; Bearer and DC/OS `token=` both accepted; /ping public", async () => {
    expectStatus(await api("GET", "/v2/apps", { auth: null }), 401, "no token");
    const bad = await api("GET", "/v2/apps", { auth: "Bearer nope" });
    expectStatus(bad, 401, "bad token");
    assert.equal(typeof bad.json.message, "string");
    expectStatus(await api("GET", "/v2/apps", { auth: `token=${cluster.token}` }), 200, "token= form");
    const ping = await api("GET", "/ping", { auth: null });
    expectStatus(ping, 200, "ping");
    assert.equal(ping.text, "pong");
  });

  test("/v2/info, /v2/leader, /v2/schemas/app; unknown paths are 404 JSON", async () => {
    const info = await api("GET", "/v2/info");
    expectStatus(info, 200, "info");
    assert.equal(info.json.elected, true);
    assert.equal(typeof info.json.leader, "string");
    assert.ok(info.json.marathon_config && info.json.http_config);
    const leader = await api("GET", "/v2/leader");
    assert.equal(leader.json.leader, info.json.leader);
    const schema = await api("GET", "/v2/schemas/app");
    expectStatus(schema, 200, "app schema");
    assert.deepEqual(schema.json.required, ["id"]);
    const unknown = await api("GET", "/v2/nothing/here");
    expectStatus(unknown, 404, "unknown path");
    assert.equal(typeof unknown.json.message, "string");
  });

  test("refusals: malformed JSON 400 'Invalid JSON', non-JSON 415, deep nesting 400, oversize 413", async () => {
    const malformed = await api("POST", "/v2/apps", { raw: '{"id": "/x", "cmd": ' });
    expectStatus(malformed, 400, "malformed");
    assert.equal(malformed.json.message, "Invalid JSON");
    expectStatus(await api("POST", "/v2/apps", { raw: "id=/x", contentType: "text/plain" }), 415, "text/plain");
    const deep = await api("POST", "/v2/apps", { raw: '{"id":"/x","labels":' + "[".repeat(200) + "]".repeat(200) + "}" });
    expectStatus(deep, 400, "deep nesting");
    assert.equal(deep.json.message, "Invalid JSON");
    // Raw node:http so the early 413 is read even if the server stops reading the body.
    let req: ReturnType<typeof httpRequest> | undefined;
    const status = await within("an answer to POST /v2/apps with a 2 MiB body", new Promise<number>((resolve, reject) => {
      const url = new URL(cluster.url + "/v2/apps");
      req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { authorization: `Bearer ${cluster.token}`, "content-type": "application/json" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end(JSON.stringify({ id: "/big", cmd: "x".repeat(2 * 1024 * 1024) }));
    }), 20_000).finally(() => req?.destroy());
    assert.equal(status, 413);
  });
});

describe("/v2/apps", () => {
  test("POST 201 + Location + Marathon-Deployment-Id, body with deployments, tasks [] and zero counts; duplicate 409; missing 404", async () => {
    const created = await api("POST", "/v2/apps", { body: { id: "/api/one", cmd: "sleep 1000", cpus: 0.1, mem: 16, instances: 0 } });
    expectStatus(created, 201, "create");
    assert.equal(created.headers.get("location"), "/v2/apps/api/one");
    const deploymentId = created.headers.get("marathon-deployment-id");
    assert.ok(deploymentId);
    assert.equal(created.json.id, "/api/one");
    assert.deepEqual(created.json.deployments, [{ id: deploymentId }]);
    assert.deepEqual(created.json.tasks, []);
    for (const k of ["tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy"]) assert.equal(created.json[k], 0, k);
    assert.equal(typeof created.json.version, "string");
    assert.deepEqual(Object.keys(created.json.versionInfo).sort(), ["lastConfigChangeAt", "lastScalingAt"]);
    assert.equal(created.json.mem, 16);
    assert.equal(created.json.disk, 0, "defaults are filled in");

    const dup = await api("POST", "/v2/apps", { body: { id: "/api/one", cmd: "sleep 1" } });
    expectStatus(dup, 409, "duplicate");
    assert.equal(dup.json.message, "An app with id [/api/one] already exists.");

    const missing = await api("GET", "/v2/apps/api/none");
    expectStatus(missing, 404, "missing");
    assert.equal(missing.json.message, "App '/api/none' does not exist");
  });

  test("422 'Object is not valid' names the bad field's path", async () => {
    const invalid = await api("POST", "/v2/apps", { body: { id: "/api/bad", cmd: "x", cpus: -1 } });
    expectStatus(invalid, 422, "negative cpus");
    assert.equal(invalid.json.message, "Object is not valid");
    assert.ok(invalid.json.details.some((d: Json) => d.path === "/cpus" && d.errors.length > 0), JSON.stringify(invalid.json));
    const badId = await api("POST", "/v2/apps", { body: { id: "/API/Bad_Id", cmd: "x" } });
    expectStatus(badId, 422, "bad id");
    assert.ok(badId.json.details.some((d: Json) => d.path === "/id"), JSON.stringify(badId.json));
    const array = await api("POST", "/v2/apps", { body: [{ id: "/x" }] });
    expectStatus(array, 400, "array body");
    assert.equal(array.json.message, "Invalid JSON");
  });

  test("GET one and list (filters, embeds); PATCH/PUT change it, versions grow newest first, old versions stay readable", async () => {
    expectStatus(await api("POST", "/v2/apps", { body: { id: "/api/two", cmd: "sleep 1", instances: 0, labels: { tier: "web" } } }), 201, "create");
    const one = await api("GET", "/v2/apps/api/two");
    expectStatus(one, 200, "get");
    assert.equal(one.json.app.id, "/api/two");
    assert.ok(Array.isArray(one.json.app.tasks) && Array.isArray(one.json.app.deployments));
    assert.equal(one.json.app.tasksRunning, 0);

    const filtered = await api("GET", "/v2/apps?label=tier==web&embed=apps.tasks&embed=apps.readiness");
    expectStatus(filtered, 200, "list");
    assert.deepEqual(filtered.json.apps.map((a: Json) => a.id), ["/api/two"]);
    assert.deepEqual(filtered.json.apps[0].tasks, []);
    assert.deepEqual(filtered.json.apps[0].readinessCheckResults, []);
    assert.equal(filtered.json.apps[0].tasksStaged, 0, "counts are always embedded in the list");
    const byId = await api("GET", "/v2/apps?id=api/tw&cmd=sleep");
    assert.deepEqual(byId.json.apps.map((a: Json) => a.id), ["/api/two"]);

    await settled("/api/two");
    const patched = await api("PATCH", "/v2/apps/api/two", { body: { cmd: "sleep 2" } });
    expectStatus(patched, 200, "patch");
    assert.deepEqual(Object.keys(patched.json).sort(), ["deploymentId", "version"]);
    assert.equal(patched.headers.get("marathon-deployment-id"), patched.json.deploymentId);
    // PUT defaults to partialUpdate=true: `cmd` survives a body with only `instances`.
    await settled("/api/two");
    const put = await api("PUT", "/v2/apps/api/two", { body: { instances: 0, mem: 64 } });
    expectStatus(put, 200, "put");
    const after = (await api("GET", "/v2/apps/api/two")).json.app;
    assert.equal(after.cmd, "sleep 2");
    assert.equal(after.mem, 64);
    assert.equal(after.version, put.json.version);

    const versions = await api("GET", "/v2/apps/api/two/versions");
    expectStatus(versions, 200, "versions");
    assert.equal(versions.json.versions.length, 3);
    assert.equal(versions.json.versions[0], after.version, "newest first");
    const first = await api("GET", `/v2/apps/api/two/versions/${encodeURIComponent(versions.json.versions[2])}`);
    expectStatus(first, 200, "version");
    assert.equal(first.json.cmd, "sleep 1");
    assert.equal(first.json.id, "/api/two");

    const created = await api("PUT", "/v2/apps/api/three", { body: { id: "/ignored", cmd: "sleep 3", instances: 0 } });
    expectStatus(created, 201, "put creates");
    assert.ok(created.json.deploymentId);
    assert.equal((await api("GET", "/v2/apps/api/three")).json.app.cmd, "sleep 3");
    const group = await api("GET", "/v2/apps/api/*");
    expectStatus(group, 200, "group listing");
    assert.deepEqual(group.json["*"].map((a: Json) => a.id).sort(), ["/api/one", "/api/three", "/api/two"]);
  });

  test("a running deployment locks the app (409 with deployments) until force; restart and DELETE answer the deployment", async () => {
    const created = await api("POST", "/v2/apps", { body: { id: "/api/locked", cmd: "sleep 1000", cpus: 0.1, mem: 16, instances: 1 } });
    expectStatus(created, 201, "create");
    const deploymentId = created.headers.get("marathon-deployment-id");
    const listed = await api("GET", "/v2/deployments");
    expectStatus(listed, 200, "deployments");
    const mine = listed.json.find((d: Json) => d.id === deploymentId);
    assert.ok(mine, "no agent: the deployment is still running");
    assert.deepEqual(mine.affectedApps, ["/api/locked"]);
    assert.ok(mine.steps.every((s: Json) => Array.isArray(s.actions) && s.actions.every((a: Json) => a.app === "/api/locked" && typeof a.action === "string")));
    assert.equal(mine.totalSteps, mine.steps.length);
    assert.equal((await api("GET", "/v2/apps/api/locked")).json.app.deployments[0].id, deploymentId);

    const locked = await api("PUT", "/v2/apps/api/locked", { body: { instances: 2 } });
    expectStatus(locked, 409, "locked");
    assert.ok(locked.json.deployments.some((d: Json) => d.id === deploymentId), JSON.stringify(locked.json));
    expectStatus(await api("PUT", "/v2/apps/api/locked?force=true", { body: { instances: 2 } }), 200, "forced");

    const restarted = await api("POST", "/v2/apps/api/locked/restart?force=true");
    expectStatus(restarted, 200, "restart");
    assert.ok(restarted.json.deploymentId && restarted.json.version);
    const tasks = await api("GET", "/v2/apps/api/locked/tasks");
    expectStatus(tasks, 200, "tasks");
    assert.deepEqual(tasks.json.tasks, []);

    // DELETE defaults to force=true, so the running restart does not block it.
    const deleted = await api("DELETE", "/v2/apps/api/locked");
    expectStatus(deleted, 200, "delete");
    assert.equal(deleted.headers.get("marathon-deployment-id"), deleted.json.deploymentId);
    expectStatus(await api("GET", "/v2/apps/api/locked"), 404, "gone");
  });

  test("every change records the caller's principal in the event log", async () => {
    expectStatus(await api("POST", "/v2/apps", { body: { id: "/api/audited", cmd: "sleep 1", instances: 0 }, auth: `token=${cluster.token}` }), 201, "create");
    const db = new pg.Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    try {
      const rows = await db.query<{ metadata: { principal?: string } }>(`SELECT metadata FROM events WHERE stream_id = 'app-/api/audited'`);
      assert.equal(rows.rows.length, 1);
      assert.equal(rows.rows[0]!.metadata.principal, "admin");
    } finally {
      await db.end();
    }
  });
});

describe("/v2/deployments", () => {
  test("DELETE rolls back (200 + header), with force only stops (202); unknown ids 404", async () => {
    const a = await api("POST", "/v2/apps", { body: { id: "/dep/a", cmd: "sleep 1000", cpus: 0.1, mem: 16, instances: 1 } });
    expectStatus(a, 201, "create a");
    const rollback = await api("DELETE", `/v2/deployments/${a.headers.get("marathon-deployment-id")}`);
    expectStatus(rollback, 200, "rollback");
    assert.ok(rollback.json.deploymentId && rollback.json.version);
    assert.equal(rollback.headers.get("marathon-deployment-id"), rollback.json.deploymentId);

    const b = await api("POST", "/v2/apps", { body: { id: "/dep/b", cmd: "sleep 1000", cpus: 0.1, mem: 16, instances: 1 } });
    expectStatus(b, 201, "create b");
    const stopped = await api("DELETE", `/v2/deployments/${b.headers.get("marathon-deployment-id")}?force=true`);
    expectStatus(stopped, 202, "forced cancel");
    const ids = (await api("GET", "/v2/deployments")).json.map((d: Json) => d.id);
    assert.ok(!ids.includes(b.headers.get("marathon-deployment-id")));

    const unknown = await api("DELETE", "/v2/deployments/00000000-0000-0000-0000-000000000000");
    expectStatus(unknown, 404, "unknown");
    assert.equal(unknown.json.message, "DeploymentPlan 00000000-0000-0000-0000-000000000000 does not exist");
  });
});

describe("/v2/groups", () => {
  test("POST 201 + Location; GET with embeds; dryRun answers the plan and changes nothing; scaleBy; versions; apps; DELETE", async () => {
    const created = await api("POST", "/v2/groups", { body: { id: "/shop", apps: [{ id: "/shop/web", cmd: "sleep 1", instances: 0 }] } });
    expectStatus(created, 201, "create");
    assert.equal(created.headers.get("location"), "/v2/groups/shop");
    assert.ok(created.json.deploymentId && created.json.version);
    expectStatus(await api("POST", "/v2/groups", { body: { id: "/shop" } }), 409, "duplicate group");

    const group = await api("GET", "/v2/groups/shop");
    expectStatus(group, 200, "get");
    assert.equal(group.json.id, "/shop");
    assert.deepEqual(group.json.apps.map((a: Json) => a.id), ["/shop/web"]);
    assert.ok(Array.isArray(group.json.groups) && Array.isArray(group.json.pods));
    const onlyApps = await api("GET", "/v2/groups/shop?embed=group.apps");
    assert.equal(onlyApps.json.groups, undefined);
    assert.equal(onlyApps.json.apps.length, 1);
    const root = await api("GET", "/v2/groups");
    assert.ok(root.json.groups.some((g: Json) => g.id === "/shop"));

    const versionsBefore = (await api("GET", "/v2/groups/shop/versions")).json;
    assert.ok(Array.isArray(versionsBefore) && versionsBefore.length >= 1);
    const dry = await api("PUT", "/v2/groups/shop?dryRun=true", { body: { id: "/shop", apps: [{ id: "/shop/web", cmd: "sleep 1", instances: 0 }, { id: "/shop/api", cmd: "sleep 1", instances: 1 }] } });
    expectStatus(dry, 200, "dry run");
    assert.deepEqual(Object.keys(dry.json), ["steps"]);
    const actions = dry.json.steps.flatMap((s: Json) => s.actions);
    assert.ok(actions.some((a: Json) => a.action === "StartApplication" && a.app === "/shop/api"), JSON.stringify(dry.json));
    expectStatus(await api("GET", "/v2/apps/shop/api"), 404, "a dry run changes nothing");
    assert.deepEqual((await api("GET", "/v2/groups/shop/versions")).json, versionsBefore);

    const scaled = await api("PUT", "/v2/groups/shop", { body: { scaleBy: 2 } });
    expectStatus(scaled, 200, "scaleBy");
    assert.equal(scaled.headers.get("marathon-deployment-id"), scaled.json.deploymentId);
    const apps = await api("GET", "/v2/groups/shop/apps");
    expectStatus(apps, 200, "group apps");
    assert.deepEqual(apps.json.map((a: Json) => a.id), ["/shop/web"]);

    const atVersion = await api("GET", `/v2/groups/shop/versions/${encodeURIComponent(versionsBefore[0])}`);
    expectStatus(atVersion, 200, "group version");
    assert.equal(atVersion.json.id, "/shop");

    const deleted = await api("DELETE", "/v2/groups/shop?force=true");
    expectStatus(deleted, 200, "delete");
    assert.ok(deleted.json.deploymentId);
    expectStatus(await api("GET", "/v2/apps/shop/web"), 404, "its apps are gone");
    expectStatus(await api("GET", "/v2/groups/shop"), 404, "group gone");
  });
});

describe("/v2/pods", () => {
  const pod = (id: string, extra: Json = {}) => ({
    id,
    containers: [{ name: "web", resources: { cpus: 0.1, mem: 32 }, exec: { command: { shell: "sleep 1000" } } }],
    networks: [{ mode: "host" }],
    scaling: { kind: "fixed", instances: 1 },
    ...extra,
  });

  test("HEAD; POST 201 + header; GET one/list; PUT (400 on id mismatch); ::versions; ::status; DELETE 202 + header; 404 after", async () => {
    expectStatus(await api("HEAD", "/v2/pods"), 200, "head");
    const created = await api("POST", "/v2/pods", { body: pod("/pods/one") });
    expectStatus(created, 201, "create");
    assert.ok(created.headers.get("marathon-deployment-id"));
    assert.equal(created.json.id, "/pods/one");
    assert.equal(typeof created.json.version, "string");
    expectStatus(await api("POST", "/v2/pods", { body: pod("/pods/one") }), 409, "duplicate");
    const invalid = await api("POST", "/v2/pods", { body: pod("/pods/bad", { containers: [] }) });
    expectStatus(invalid, 422, "no containers");
    assert.equal(invalid.json.message, "Object is not valid");

    const one = await api("GET", "/v2/pods/pods/one");
    expectStatus(one, 200, "get");
    assert.equal(one.json.id, "/pods/one");
    const list = await api("GET", "/v2/pods");
    assert.deepEqual(list.json.map((p: Json) => p.id), ["/pods/one"]);

    const mismatch = await api("PUT", "/v2/pods/pods/one", { body: pod("/pods/other") });
    expectStatus(mismatch, 400, "id mismatch");
    const updated = await api("PUT", "/v2/pods/pods/one?force=true", { body: pod("/pods/one", { labels: { v: "2" } }) });
    expectStatus(updated, 200, "update");
    assert.ok(updated.headers.get("marathon-deployment-id"));
    assert.deepEqual(updated.json.labels, { v: "2" });

    const versions = await api("GET", "/v2/pods/pods/one::versions");
    expectStatus(versions, 200, "versions");
    assert.equal(versions.json.length, 2);
    const old = await api("GET", `/v2/pods/pods/one::versions/${encodeURIComponent(versions.json[1])}`);
    expectStatus(old, 200, "old version");
    assert.equal(old.json.labels?.v, undefined);

    const status = await api("GET", "/v2/pods/pods/one::status");
    expectStatus(status, 200, "status");
    assert.equal(status.json.id, "/pods/one");
    assert.equal(status.json.spec.id, "/pods/one");
    assert.equal(status.json.status, "DEGRADED", "no agent: no instance runs");
    assert.deepEqual(status.json.instances, []);
    for (const k of ["statusSince", "lastUpdated", "lastChanged"]) assert.equal(typeof status.json[k], "string", k);
    const all = await api("GET", "/v2/pods/::status");
    assert.deepEqual(all.json.map((s: Json) => s.id), ["/pods/one"]);

    const deleted = await api("DELETE", "/v2/pods/pods/one?force=true");
    expectStatus(deleted, 202, "delete");
    assert.ok(deleted.headers.get("marathon-deployment-id"));
    expectStatus(await api("GET", "/v2/pods/pods/one"), 404, "gone");
  });
});
