import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import { createLogger, GantryError, ListVersionWatch, type Authenticator } from "@gantry/platform";
import type { Backends } from "../backends.ts";
import { buildHttpApi } from "./http-api.ts";
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from "./json-body.ts";
import { createReads } from "./reads.ts";

// The HTTP layer in-process against recording fake backends: routing of ids with slashes and
// suffixes, query flags and their defaults, status codes, headers, and the credentials forwarded.

interface Call {
  method: string;
  request: Record<string, unknown>;
  metadata: Record<string, string>;
}

const calls: Call[] = [];
let overrides: Record<string, (request: Record<string, unknown>) => unknown> = {};

const APP = { id: "/shop/web", version: "2024-01-02T00:00:00.000Z", definition: { id: "/shop/web", cmd: "sleep 1", instances: 2 }, lastConfigChangeAt: "2024-01-01T00:00:00.000Z", lastScalingAt: "2024-01-02T00:00:00.000Z" };
const POD = { id: "/pods/p1", version: "2024-01-03T00:00:00.000Z", definition: { id: "/pods/p1", containers: [{ name: "c" }], scaling: { kind: "fixed", instances: 1 } }, lastConfigChangeAt: "", lastScalingAt: "" };
const DEPLOYMENT = {
  id: "dep-1",
  version: "2024-01-02T00:00:00.000Z",
  affectedApps: ["/shop/web"],
  affectedPods: [],
  steps: [{ actions: [{ action: "StartApplication", app: "/shop/web", pod: "" }] }, { actions: [{ action: "ScaleApplication", app: "/shop/web", pod: "" }] }],
  currentStep: 1,
  totalSteps: 2,
  currentActions: [{ action: "StartApplication", app: "/shop/web", pod: "" }],
};
const REF = { deploymentId: "dep-9", version: "2024-01-09T00:00:00.000Z" };
const QUEUED_APP = {
  runSpecId: "/shop/web",
  pod: false,
  waiting: 1,
  since: "2024-01-02T00:00:02.000Z",
  delaySecondsLeft: 4.5,
  overdue: false,
  agents: [
    { agentId: "a1", hostname: "h1", checkedAt: "2024-01-02T00:00:03.000Z", fits: false, dimensions: [{ dimension: 1, ok: false, code: "UnfulfilledRole", params: {}, message: "no role" }], agent: { agentId: "a1", hostname: "h1", attributes: { rack: "r1" }, free: { cpus: 1, mem: 0, disk: 0, gpus: 0 }, freeByRole: [], portRanges: [], portsInUse: [] } },
    { agentId: "a2", hostname: "h2", checkedAt: "2024-01-02T00:00:03.000Z", fits: true, dimensions: [] },
  ],
  rejectSummaryLastOffers: [{ reason: "UnfulfilledRole", declined: 1n, processed: 1n }],
  rejectSummaryLaunchAttempt: [{ reason: "UnfulfilledRole", declined: 4n, processed: 6n }],
  processedOffers: 6n,
  unusedOffers: 4n,
  lastUnusedOfferAt: "2024-01-02T00:00:03.000Z",
  lastUsedOfferAt: "",
};
const QUEUED_POD = { ...QUEUED_APP, runSpecId: "/pods/p1", pod: true, agents: [], rejectSummaryLastOffers: [], rejectSummaryLaunchAttempt: [] };

const FAILURE = { appId: "/shop/web", taskId: "shop_web.0", state: 5, message: "exited with 1", host: "h1", agentId: "a1", version: APP.version, timestamp: "2024-01-02T00:00:00.500Z" };

const DEFAULTS: Record<string, (request: Record<string, unknown>) => unknown> = {
  createApp: () => ({ app: APP, deploymentId: "dep-1" }),
  updateApp: () => ({ app: APP, deploymentId: "dep-2", created: false }),
  updateApps: () => ({ deployment: REF }),
  getApp: () => ({ app: APP }),
  listApps: () => ({ apps: [APP], deployments: [DEPLOYMENT] }),
  listAppVersions: () => ({ versions: ["v2", "v1"] }),
  getAppVersion: () => ({ app: APP }),
  deleteApp: () => REF,
  restartApp: () => ({ deployment: REF }),
  createPod: () => ({ pod: POD, deploymentId: "dep-3" }),
  updatePod: () => ({ pod: POD, deploymentId: "dep-4", created: false }),
  getPod: () => ({ pod: POD }),
  listPods: () => ({ pods: [POD] }),
  listPodVersions: () => ({ versions: ["p2", "p1"] }),
  getPodVersion: () => ({ pod: POD }),
  deletePod: () => ({ deployment: REF }),
  getGroup: () => ({ group: { id: "/", version: "g1", dependencies: [], apps: [APP.definition], pods: [], groups: [{ id: "/shop", apps: [], pods: [], groups: [] }] } }),
  createGroup: () => ({ deployment: REF }),
  updateGroup: () => ({ deployment: REF, plan: DEPLOYMENT }),
  deleteGroup: () => ({ deployment: REF }),
  listGroupVersions: () => ({ versions: ["g2", "g1"] }),
  getGroupVersion: () => ({ group: { id: "/shop", apps: [], pods: [], groups: [] } }),
  listDeployments: () => ({ deployments: [DEPLOYMENT] }),
  cancelDeployment: () => ({ rollback: REF }),
  listQueue: () => ({ items: [QUEUED_APP, QUEUED_POD] }),
  resetLaunchDelay: () => ({}),
  listTaskCounts: () => ({ counts: [{ appId: "/shop/web", staged: 1, running: 1, healthy: 0, unhealthy: 0 }], failures: [FAILURE] }),
  listTaskFailures: () => ({ failures: [FAILURE] }),
  listTasks: () => ({
    failures: [FAILURE],
    tasks: [
      { taskId: "shop_web.1", instanceId: "i1", appId: "/shop/web", appVersion: APP.version, agentId: "a1", host: "h1", state: 3, message: "", updatedAt: "2024-01-02T00:00:01.000Z", exitCode: -1, ports: [] },
      { taskId: "shop_web.2", instanceId: "i2", appId: "/shop/web", appVersion: APP.version, agentId: "a1", host: "h1", state: 1, message: "", updatedAt: "2024-01-02T00:00:01.000Z", exitCode: -1, ports: [] },
    ],
  }),
};

function recorder(): Record<string, unknown> {
  return new Proxy(
    {},
    {
      get(_t, method: string) {
        return async (request: Record<string, unknown>, options?: { metadata?: Record<string, string> }) => {
          calls.push({ method, request, metadata: options?.metadata ?? {} });
          const impl = overrides[method] ?? DEFAULTS[method];
          if (!impl) throw new Error(`unexpected call ${method}`);
          return impl(request);
        };
      },
    },
  );
}

const backends = { registry: recorder(), scheduler: recorder(), addressOf: () => "", close() {} } as unknown as Backends;
const authenticator: Authenticator = {
  authenticate: (h) => (h === "Bearer good" || h === "token=good" ? { name: "alice", roles: ["admin"] } : undefined),
};
const AUTH = { authorization: "Bearer good" };

let app: FastifyInstance;
/** The backends' announced list versions (nothing announced: every read asks, unless a test announces). */
const versions = new ListVersionWatch();

before(async () => {
  app = await buildHttpApi({ backends, authenticator, logger: createLogger("test", { level: "silent" }), info: { cluster: "c", version: "0", address: () => "127.0.0.1:1" },
    openEventFeed: () => Promise.reject(new Error("no event feed in this test")),
    reads: createReads(backends, versions),
  });
});
after(() => app.close());
beforeEach(() => {
  calls.length = 0;
  overrides = {};
  versions.forget();
});

function lastCall(method: string): Call {
  const found = calls.filter((c) => c.method === method).at(-1);
  assert.ok(found, `${method} was called`);
  return found;
}

async function send(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD", url: string, body?: unknown, headers: Record<string, string> = AUTH) {
  const res = await app.inject({ method, url, headers: { ...headers, ...(body !== undefined ? { "content-type": "application/json" } : {}) }, payload: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.statusCode, headers: res.headers, body: res.body === "" ? undefined : (res.json() as Record<string, unknown> & unknown[]) };
}

describe("authentication", () => {
  test("401 without a token; Bearer and DC/OS token= accepted; /ping is public; the caller's credentials reach the backend", async () => {
    assert.equal((await send("GET", "/v2/apps", undefined, {})).status, 401);
    assert.equal((await send("GET", "/v2/apps", undefined, { authorization: "Bearer bad" })).status, 401);
    assert.equal((await send("GET", "/v2/apps", undefined, { authorization: "token=good" })).status, 200);
    assert.equal(lastCall("listApps").metadata.authorization, "token=good");
    const ping = await app.inject({ method: "GET", url: "/ping" });
    assert.equal(ping.statusCode, 200);
    assert.equal(ping.body, "pong");
  });
});

describe("/v2/apps", () => {
  test("GET lists with filters, counts and deployments always; tasks only when embedded", async () => {
    const res = await send("GET", "/v2/apps?id=shop&cmd=sleep&label=tier==web");
    assert.equal(res.status, 200);
    assert.deepEqual(lastCall("listApps").request, { id: "shop", cmd: "sleep", label: "tier==web", knownVersion: "", withDeployments: true });
    assert.deepEqual(calls.map((c) => c.method).sort(), ["listApps", "listTaskCounts"], "one registry call (apps and deployments) and one scheduler call (counts and failures)");
    const [view] = res.body!.apps as Array<Record<string, unknown>>;
    assert.equal(view!.tasksRunning, 1);
    assert.equal(view!.tasksStaged, 1);
    assert.equal(view!.tasksHealthy, 0);
    assert.deepEqual(view!.deployments, [{ id: "dep-1" }]);
    assert.deepEqual(view!.versionInfo, { lastScalingAt: APP.lastScalingAt, lastConfigChangeAt: APP.lastConfigChangeAt });
    assert.equal(view!.tasks, undefined);
    assert.ok(calls.some((c) => c.method === "listTaskCounts") && !calls.some((c) => c.method === "listTasks"), "without tasks embedded, only their counts are asked for");
    const tag = res.headers.etag as string;
    assert.match(tag, /^"[^"]+"$/);
    const notModified = await app.inject({ method: "GET", url: "/v2/apps?id=shop&cmd=sleep&label=tier==web", headers: { ...AUTH, "if-none-match": tag } });
    assert.deepEqual([notModified.statusCode, notModified.body], [304, ""], "the same answer again: 304, no body");
    const embedded = await send("GET", "/v2/apps?embed=apps.tasks&embed=apps.readiness");
    assert.ok(calls.some((c) => c.method === "listTasks"), "with tasks embedded, the tasks");
    // The scheduler says the held list is current: it is used again, and asked for with its version.
    const listed = DEFAULTS.listTasks!({}) as { tasks: unknown[] };
    overrides.listTasks = () => ({ ...listed, version: "s1:7" });
    await send("GET", "/v2/apps?embed=apps.tasks");
    overrides.listTasks = () => ({ tasks: [], failures: [], version: "s1:7", unchanged: true });
    const again = await send("GET", "/v2/apps?embed=apps.tasks");
    assert.equal(lastCall("listTasks").request.knownVersion, "s1:7");
    assert.equal((((again.body!.apps as Record<string, unknown>[])[0]!).tasks as unknown[]).length, 2, "the held tasks");
    delete overrides.listTasks;
    // The registry's list the same way: an unchanged answer keeps the held apps.
    overrides.listApps = () => ({ apps: [APP], deployments: [DEPLOYMENT], version: "r1:3" });
    await send("GET", "/v2/apps?label=held");
    overrides.listApps = () => ({ apps: [], deployments: [], version: "r1:3", unchanged: true });
    const heldApps = await send("GET", "/v2/apps?label=held");
    assert.equal(lastCall("listApps").request.knownVersion, "r1:3");
    assert.deepEqual((heldApps.body!.apps as Record<string, unknown>[]).map((a) => a.id), ["/shop/web"], "the held apps");
    delete overrides.listApps;
    // And the task counts of a list without tasks.
    overrides.listTaskCounts = () => ({ ...(DEFAULTS.listTaskCounts!({}) as object), version: "s1:9" });
    await send("GET", "/v2/apps");
    overrides.listTaskCounts = () => ({ counts: [], failures: [], version: "s1:9", unchanged: true });
    const heldCounts = await send("GET", "/v2/apps");
    assert.equal(lastCall("listTaskCounts").request.knownVersion, "s1:9");
    assert.equal((heldCounts.body!.apps as Record<string, unknown>[])[0]!.tasksRunning, 1, "the held counts");
    delete overrides.listTaskCounts;
    const [e] = embedded.body!.apps as Array<Record<string, unknown>>;
    assert.equal((e!.tasks as unknown[]).length, 2);
    assert.deepEqual(e!.readinessCheckResults, []);
  });

  test("POST answers 201 with Location, Marathon-Deployment-Id and the app with deployments, tasks [] and zero counts; force is forwarded", async () => {
    const res = await send("POST", "/v2/apps?force=true", { id: "/shop/web", cmd: "sleep 1" });
    assert.equal(res.status, 201);
    assert.equal(res.headers.location, "/v2/apps/shop/web");
    assert.equal(res.headers["marathon-deployment-id"], "dep-1");
    assert.deepEqual(res.body!.deployments, [{ id: "dep-1" }]);
    assert.deepEqual(res.body!.tasks, []);
    assert.equal(res.body!.tasksRunning, 0);
    assert.equal(lastCall("createApp").request.force, true);
    assert.equal(lastCall("createApp").metadata.authorization, "Bearer good");
  });

  test("GET /v2/apps/{id} with slashes, and its /versions, /versions/{v}, /tasks and /* suffixes", async () => {
    const one = await send("GET", "/v2/apps/shop/web/");
    assert.equal(one.status, 200);
    assert.equal(lastCall("listApps").request.id, undefined, "found in the whole list (held for every app's GET: the caller may read every app)");
    assert.ok(!calls.some((c) => c.method === "getApp"), "no GetApp (and its run spec) for an app the list has");
    assert.deepEqual(calls.map((c) => c.method).sort(), ["listApps", "listTasks"], "one app costs one registry and one scheduler call");
    overrides.listApps = () => ({ apps: [], deployments: [] });
    assert.equal((await send("GET", "/v2/apps/shop/web")).status, 200);
    assert.equal(lastCall("getApp").request.id, "/shop/web", "GetApp when the list lacks it (its NotFound is Marathon's)");
    delete overrides.listApps;
    assert.equal(((one.body!.app as Record<string, unknown>).tasks as unknown[]).length, 2);
    assert.deepEqual((one.body!.app as Record<string, unknown>).lastTaskFailure, {
      appId: "/shop/web", host: "h1", message: "exited with 1", state: "TASK_FAILED", taskId: "shop_web.0", timestamp: "2024-01-02T00:00:00.500Z", version: APP.version, slaveId: "a1",
    });
    assert.equal(lastCall("listTasks").request.withFailures, true, "the last failures come with the tasks");
    assert.ok(!calls.some((c) => c.method === "listTaskFailures" || c.method === "listDeployments"), "no call of their own");
    const listed = await send("GET", "/v2/apps");
    assert.equal(((listed.body!.apps as Record<string, unknown>[])[0]!).lastTaskFailure, undefined, "only when embedded in lists");
    const embedded = await send("GET", "/v2/apps?embed=apps.lastTaskFailure");
    assert.equal((((embedded.body!.apps as Record<string, unknown>[])[0]!).lastTaskFailure as Record<string, unknown>).taskId, "shop_web.0");
    assert.deepEqual((await send("GET", "/v2/apps/shop/web/versions")).body, { versions: ["v2", "v1"] });
    assert.equal(lastCall("listAppVersions").request.id, "/shop/web");
    const atVersion = await send("GET", "/v2/apps/shop/web/versions/2024-01-02T00:00:00.000Z");
    assert.deepEqual(lastCall("getAppVersion").request, { id: "/shop/web", version: "2024-01-02T00:00:00.000Z" });
    assert.equal(atVersion.body!.id, "/shop/web");
    assert.equal(atVersion.body!.tasksRunning, undefined, "a stored version carries no runtime fields");
    const tasks = await send("GET", "/v2/apps/shop/web/tasks");
    assert.equal((tasks.body!.tasks as unknown[]).length, 2);
    const group = await send("GET", "/v2/apps/shop/*");
    assert.equal(lastCall("listApps").request.group, "/shop");
    assert.equal((group.body!["*"] as unknown[]).length, 1);
  });

  test("lists announced current are used without asking; after a write through the gateway they are asked for again", async () => {
    const listed = DEFAULTS.listTasks!({}) as object;
    overrides.listApps = () => ({ apps: [APP], deployments: [], version: "r9:1" });
    overrides.listTasks = () => ({ ...listed, version: "s9:1" });
    await send("GET", "/v2/apps/shop/web");
    versions.heard(JSON.stringify({ id: "registry", version: "r9:1" }));
    versions.heard(JSON.stringify({ id: "scheduler", version: "s9:1" }));
    calls.length = 0;
    const again = await send("GET", "/v2/apps/shop/web");
    assert.equal(again.status, 200);
    assert.equal((again.body!.app as Record<string, unknown>).id, "/shop/web");
    assert.equal(calls.length, 0, "no backend call");
    assert.equal((await send("POST", "/v2/apps", { id: "/other", cmd: "sleep 1" })).status, 201);
    calls.length = 0;
    await send("GET", "/v2/apps/shop/web");
    assert.deepEqual(calls.map((c) => c.method).sort(), ["listApps", "listTasks"], "asked again after the write");
    // A refused write counts as one too (it may have changed something before it failed).
    calls.length = 0;
    await send("GET", "/v2/apps/shop/web");
    assert.equal(calls.length, 0, "held again");
    overrides.deleteApp = () => {
      throw new GantryError("FailedPrecondition", "locked");
    };
    assert.equal((await send("DELETE", "/v2/apps/shop/web")).status, 409);
    calls.length = 0;
    await send("GET", "/v2/apps/shop/web");
    assert.deepEqual(calls.map((c) => c.method).sort(), ["listApps", "listTasks"], "asked again after the refused write");
  });

  test("PUT defaults to partialUpdate=true and answers 200 {deploymentId, version}, or 201 + Location when it created the app; PATCH is always partial", async () => {
    const res = await send("PUT", "/v2/apps/shop/web", { id: "/other", instances: 3 });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { version: APP.version, deploymentId: "dep-2" });
    assert.equal(res.headers["marathon-deployment-id"], "dep-2");
    const call = lastCall("updateApp").request;
    assert.equal(call.partial, true);
    assert.equal(call.id, "/shop/web");
    assert.equal((call.definition as Record<string, unknown>).id, "/shop/web", "the body's id is ignored");
    await send("PUT", "/v2/apps/shop/web?partialUpdate=false", { cmd: "x" });
    assert.equal(lastCall("updateApp").request.partial, false);
    await send("PATCH", "/v2/apps/shop/web?partialUpdate=false&force=true", { cmd: "x" });
    assert.equal(lastCall("updateApp").request.partial, true);
    assert.equal(lastCall("updateApp").request.force, true);
    overrides.updateApp = () => ({ app: APP, deploymentId: "dep-5", created: true });
    const created = await send("PUT", "/v2/apps/shop/web", { cmd: "x" });
    assert.equal(created.status, 201);
    assert.equal(created.headers.location, "/v2/apps/shop/web");
  });

  test("batch PUT/PATCH /v2/apps take an array, one deployment", async () => {
    const res = await send("PUT", "/v2/apps", [{ id: "/a", instances: 1 }, { id: "/b", instances: 2 }]);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { version: REF.version, deploymentId: REF.deploymentId });
    assert.equal((lastCall("updateApps").request.definitions as unknown[]).length, 2);
    assert.equal(lastCall("updateApps").request.partial, true);
    assert.equal((await send("PATCH", "/v2/apps", { id: "/a" })).status, 400, "a batch must be an array");
  });

  test("DELETE defaults to force=true; restart answers the deployment", async () => {
    const res = await send("DELETE", "/v2/apps/shop/web");
    assert.equal(res.status, 200);
    assert.equal(res.headers["marathon-deployment-id"], REF.deploymentId);
    assert.deepEqual(lastCall("deleteApp").request, { id: "/shop/web", force: true });
    await send("DELETE", "/v2/apps/shop/web?force=false");
    assert.equal(lastCall("deleteApp").request.force, false);
    const restart = await send("POST", "/v2/apps/shop/web/restart");
    assert.equal(restart.status, 200);
    assert.deepEqual(lastCall("restartApp").request, { id: "/shop/web", force: false });
    assert.equal((await send("POST", "/v2/apps/shop/web/nope", {})).status, 404);
  });
});

describe("errors leave in Marathon's shapes", () => {
  test("422 with details, 409 with deployments, 404 message", async () => {
    overrides.createApp = () => {
      throw new GantryError("InvalidArgument", "Object is not valid", { violations: [{ path: "/cpus", errors: ["error.min"] }] });
    };
    const invalid = await send("POST", "/v2/apps", { id: "/x", cpus: -1 });
    assert.equal(invalid.status, 422);
    assert.deepEqual(invalid.body, { message: "Object is not valid", details: [{ path: "/cpus", errors: ["error.min"] }] });
    overrides.updateApp = () => {
      throw new GantryError("FailedPrecondition", "App is locked", { details: { deployments: [{ id: "dep-1" }] } });
    };
    const locked = await send("PUT", "/v2/apps/x", { cmd: "y" });
    assert.equal(locked.status, 409);
    assert.deepEqual(locked.body!.deployments, [{ id: "dep-1" }]);
    overrides.getApp = () => {
      throw new GantryError("NotFound", "App '/x' does not exist");
    };
    const missing = await send("GET", "/v2/apps/x");
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { message: "App '/x' does not exist" });
  });

  test("malformed JSON, non-object bodies and deep nesting are 400 Invalid JSON; other media types 415; oversize 413; unknown paths 404 JSON", async () => {
    const bad = await app.inject({ method: "POST", url: "/v2/apps", headers: { ...AUTH, "content-type": "application/json" }, payload: '{"id": "/x", ' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().message, "Invalid JSON");
    const array = await send("POST", "/v2/apps", [1, 2]);
    assert.equal(array.status, 400);
    assert.deepEqual(array.body!.details, [{ path: "/", errors: ["error.expected.jsobject"] }]);
    const deep = await app.inject({ method: "POST", url: "/v2/groups", headers: { ...AUTH, "content-type": "application/json" }, payload: "[".repeat(MAX_JSON_DEPTH + 5) + "]".repeat(MAX_JSON_DEPTH + 5) });
    assert.equal(deep.statusCode, 400);
    const text = await app.inject({ method: "POST", url: "/v2/apps", headers: { ...AUTH, "content-type": "text/plain" }, payload: "id=x" });
    assert.equal(text.statusCode, 415);
    const big = await app.inject({ method: "POST", url: "/v2/apps", headers: { ...AUTH, "content-type": "application/json" }, payload: JSON.stringify({ id: "/x", cmd: "x".repeat(MAX_BODY_BYTES) }) });
    assert.equal(big.statusCode, 413);
    const unknown = await send("GET", "/v2/nothing");
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.body!.message), /not found/i);
    assert.equal(calls.filter((c) => c.method === "createApp").length, 0, "nothing reached the registry");
  });
});

describe("/v2/pods", () => {
  test("HEAD 200; POST 201 + header; GET list; PUT passes the body's id on; DELETE 202 + header", async () => {
    assert.equal((await app.inject({ method: "HEAD", url: "/v2/pods", headers: AUTH })).statusCode, 200);
    const created = await send("POST", "/v2/pods", { id: "/pods/p1", containers: [] });
    assert.equal(created.status, 201);
    assert.equal(created.headers["marathon-deployment-id"], "dep-3");
    assert.equal(created.body!.version, POD.version);
    const list = await send("GET", "/v2/pods");
    assert.ok(Array.isArray(list.body));
    // The body's id reaches the registry as given (it validates it, then compares it with the path's).
    await send("PUT", "/v2/pods/pods/p1", { id: "pods/p1/" });
    assert.deepEqual([lastCall("updatePod").request.id, (lastCall("updatePod").request.definition as { id: string }).id], ["/pods/p1", "pods/p1/"]);
    const put = await send("PUT", "/v2/pods/pods/p1", { containers: [] });
    assert.equal((lastCall("updatePod").request.definition as { id: string }).id, "/pods/p1", "a body without an id takes the path's");
    assert.equal(put.status, 200);
    assert.equal(put.headers["marathon-deployment-id"], "dep-4");
    const del = await send("DELETE", "/v2/pods/pods/p1");
    assert.equal(del.status, 202);
    assert.equal(del.headers["marathon-deployment-id"], REF.deploymentId);
  });

  test("::versions, ::versions/{v}, ::status and /::status", async () => {
    assert.deepEqual((await send("GET", "/v2/pods/pods/p1::versions")).body, ["p2", "p1"]);
    await send("GET", "/v2/pods/pods/p1::versions/p1");
    assert.deepEqual(lastCall("getPodVersion").request, { id: "/pods/p1", version: "p1" });
    const status = await send("GET", "/v2/pods/pods/p1::status");
    assert.equal(status.status, 200);
    assert.equal(status.body!.id, "/pods/p1");
    assert.equal(status.body!.status, "DEGRADED");
    assert.deepEqual(status.body!.instances, []);
    const all = await send("GET", "/v2/pods/::status");
    assert.equal((all.body as unknown[]).length, 1);
  });
});

describe("/v2/groups and /v2/deployments", () => {
  test("GET embeds apps, pods and groups by default and only the named ones otherwise", async () => {
    const all = await send("GET", "/v2/groups");
    assert.ok(Array.isArray(all.body!.apps) && Array.isArray(all.body!.groups) && Array.isArray(all.body!.pods));
    const onlyGroups = await send("GET", "/v2/groups/?embed=group.groups");
    assert.equal(onlyGroups.body!.apps, undefined);
    assert.ok(Array.isArray(onlyGroups.body!.groups));
    assert.deepEqual((await send("GET", "/v2/groups/shop/versions")).body, ["g2", "g1"]);
    assert.equal(lastCall("listGroupVersions").request.id, "/shop");
    await send("GET", "/v2/groups/shop/apps");
    assert.equal(lastCall("listApps").request.group, "/shop");
  });

  test("POST 201 + Location; PUT dryRun answers the plan's steps; scaleBy and version are forwarded; DELETE answers the deployment", async () => {
    const created = await send("POST", "/v2/groups/shop", { id: "backend" });
    assert.equal(created.status, 201);
    assert.equal(created.headers.location, "/v2/groups/shop/backend");
    assert.equal(lastCall("createGroup").request.parentId, "/shop");
    const dry = await send("PUT", "/v2/groups/shop?dryRun=true", { id: "/shop", apps: [] });
    assert.equal(dry.status, 200);
    assert.deepEqual(dry.body, { steps: [{ actions: [{ action: "StartApplication", app: "/shop/web" }] }, { actions: [{ action: "ScaleApplication", app: "/shop/web" }] }] });
    assert.equal(lastCall("updateGroup").request.dryRun, true);
    await send("PUT", "/v2/groups/shop", { scaleBy: 2 });
    assert.equal(lastCall("updateGroup").request.scaleBy, 2);
    await send("PUT", "/v2/groups/shop", { version: "g1" });
    assert.equal(lastCall("updateGroup").request.version, "g1");
    assert.equal((await send("PUT", "/v2/groups/shop", { scaleBy: "2" })).status, 400);
    const del = await send("DELETE", "/v2/groups/shop");
    assert.equal(del.status, 200);
    assert.equal(lastCall("deleteGroup").request.id, "/shop");
  });

  test("GET /v2/deployments in Marathon's shape; DELETE rolls back (200) or with force only stops (202)", async () => {
    const list = await send("GET", "/v2/deployments");
    const [d] = list.body as unknown as Array<Record<string, unknown>>;
    assert.deepEqual(d, {
      id: "dep-1",
      version: DEPLOYMENT.version,
      affectedApps: ["/shop/web"],
      affectedPods: [],
      steps: [{ actions: [{ action: "StartApplication", app: "/shop/web" }] }, { actions: [{ action: "ScaleApplication", app: "/shop/web" }] }],
      currentActions: [{ action: "StartApplication", app: "/shop/web", readinessCheckResults: [] }],
      currentStep: 1,
      totalSteps: 2,
    });
    // An app with a readiness check: each of its running tasks has a result.
    overrides.getApp = () => ({ app: { ...APP, definition: { ...APP.definition, readinessChecks: [{ name: "warm" }] } } });
    overrides.listTasks = () => ({ failures: [], tasks: [{ taskId: "shop_web.1", instanceId: "i1", appId: "/shop/web", appVersion: APP.version, agentId: "a1", host: "h1", state: 3, ports: [], ready: true }] });
    const withReadiness = (await send("GET", "/v2/deployments")).body as unknown as Array<{ currentActions: { readinessCheckResults: unknown[] }[] }>;
    assert.deepEqual(withReadiness[0]!.currentActions[0]!.readinessCheckResults, [{ name: "warm", taskId: "shop_web.1", ready: true, lastResponse: null }]);
    const rollback = await send("DELETE", "/v2/deployments/dep-1");
    assert.equal(rollback.status, 200);
    assert.equal(rollback.headers["marathon-deployment-id"], REF.deploymentId);
    const forced = await send("DELETE", "/v2/deployments/dep-1?force=true");
    assert.equal(forced.status, 202);
    assert.deepEqual(lastCall("cancelDeployment").request, { id: "dep-1", force: true });
  });
});

describe("/v2/queue", () => {
  test("GET lists apps (as GET /v2/apps/{id} shows them) and pods with Marathon's QueueItem fields; lastUnusedOffers only when embedded", async () => {
    const res = await send("GET", "/v2/queue");
    assert.equal(res.status, 200);
    assert.equal(lastCall("listQueue").metadata.authorization, "Bearer good");
    assert.deepEqual(lastCall("getApp").request, { id: "/shop/web" });
    assert.deepEqual(lastCall("getPod").request, { id: "/pods/p1" });
    const [app, pod] = res.body!.queue as Array<Record<string, any>>;
    const appView = (await send("GET", "/v2/apps/shop/web")).body!.app;
    assert.deepEqual(app!.app, appView);
    assert.equal(app!.count, 1);
    assert.deepEqual(app!.delay, { timeLeftSeconds: 5, overdue: false });
    assert.equal(app!.since, QUEUED_APP.since);
    assert.equal(app!.processedOffersSummary.processedOffersCount, 6);
    assert.equal(app!.processedOffersSummary.lastUsedOfferAt, undefined);
    assert.deepEqual(app!.processedOffersSummary.rejectSummaryLaunchAttempt[0], { reason: "UnfulfilledRole", declined: 4, processed: 6 });
    assert.equal(app!.processedOffersSummary.rejectSummaryLastOffers.length, 10);
    assert.equal(app!.lastUnusedOffers, undefined);
    assert.deepEqual(pod!.pod, { ...POD.definition, id: POD.id, version: POD.version });
    assert.equal(pod!.app, undefined);

    const embedded = await send("GET", "/v2/queue?embed=lastUnusedOffers");
    const [withOffers] = embedded.body!.queue as Array<Record<string, any>>;
    assert.deepEqual(withOffers!.lastUnusedOffers, [
      {
        offer: { id: "a1-2024-01-02T00:00:03.000Z", hostname: "h1", agentId: "a1", resources: [{ name: "cpus", role: "*", scalar: 1 }], attributes: [{ name: "rack", text: "r1" }] },
        reason: ["UnfulfilledRole"],
        timestamp: "2024-01-02T00:00:03.000Z",
      },
    ]);
  });

  test("GET leaves out run specs the registry no longer has, and is an empty queue when nothing waits", async () => {
    overrides.getApp = () => {
      throw new GantryError("NotFound", "App '/shop/web' does not exist");
    };
    const res = await send("GET", "/v2/queue");
    assert.deepEqual((res.body!.queue as Array<Record<string, unknown>>).map((i) => Object.keys(i)[0]), ["pod"]);
    overrides.listQueue = () => ({ items: [] });
    assert.deepEqual((await send("GET", "/v2/queue")).body, { queue: [] });
    assert.equal(calls.filter((c) => c.method === "listTasks").length, 1, "no app queued, no tasks fetched");
  });

  test("DELETE /v2/queue/{id}/delay answers 204; 404 in Marathon's words when not queued; other paths 404", async () => {
    const reset = await send("DELETE", "/v2/queue/shop/web/delay");
    assert.equal(reset.status, 204);
    assert.deepEqual(lastCall("resetLaunchDelay").request, { id: "/shop/web" });
    assert.equal(lastCall("resetLaunchDelay").metadata.authorization, "Bearer good");
    overrides.resetLaunchDelay = () => {
      throw new GantryError("NotFound", "nothing of /shop/web waits");
    };
    const missing = await send("DELETE", "/v2/queue/shop/web/delay");
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { message: "Application /shop/web not found in tasks queue." });
    assert.equal((await send("DELETE", "/v2/queue/shop/web")).status, 404);
    assert.equal((await send("DELETE", "/v2/queue/delay")).status, 404);
    assert.equal((await send("GET", "/v2/queue", undefined, {})).status, 401);
  });
});
