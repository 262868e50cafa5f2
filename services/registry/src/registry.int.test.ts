/**
 * The registry end to end over gRPC against a real Postgres (its own database): apps, pods,
 * groups, versions, deployment locks, cancellation, concurrency between replicas, and rebuilding
 * the same state from the log. The relay is off (no NATS needed); the scheduler's rollout
 * progress is simulated by appending to `rollout-<id>` streams.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Writable } from "node:stream";
import { create } from "@bufbuild/protobuf";
import { eventsV1Deployment, registryV1 } from "@gantry/proto";
import {
  createAuthenticator,
  createGrpcClient,
  createLogger,
  createTokenSigner,
  eventOf,
  EventStore,
  GantryError,
  generateSigningKey,
  openDatabase,
  type Database,
  type GrpcClient,
  type JsonObject,
  type Logger,
  type RecordedEvent,
} from "@gantry/platform";
import { createTestCluster, createTestDatabase, type TestDatabase } from "@gantry/platform/testing";
import { eventually } from "@gantry/test/support";
import { startRegistry, type RunningRegistry } from "./start-registry.ts";

const signer = createTokenSigner(generateSigningKey());
const authenticator = createAuthenticator(signer);
const admin = signer.issue({ name: "alice", roles: ["admin"] }).token;
const viewer = signer.issue({ name: "victor", roles: ["viewer"] }).token;
const logger = createLogger("registry-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const cluster = createTestCluster();
/** Every call's deadline: a registry that stops answering fails the test (DEADLINE_EXCEEDED) instead of hanging it. */
const CALL_DEADLINE_MS = 15_000;

let testDb: TestDatabase;
let database: Database;
let store: EventStore;
let registry: RunningRegistry;
let client: GrpcClient<typeof registryV1.RegistryService>;

async function start(log: Logger = logger): Promise<{ registry: RunningRegistry; client: GrpcClient<typeof registryV1.RegistryService> }> {
  const r = await startRegistry({ databaseUrl: testDb.url, natsUrl: "nats://127.0.0.1:1", names: cluster.names, host: "127.0.0.1", port: 0, authenticator, logger: log, relay: false });
  return { registry: r, client: createGrpcClient(registryV1.RegistryService, `127.0.0.1:${r.port}`, { token: admin, deadlineMs: CALL_DEADLINE_MS }) };
}

async function allEvents(): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const page of store.readAllPages()) out.push(...page);
  return out;
}

async function rejects(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<GantryError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GantryError, `expected a GantryError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (typeof message === "string") assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

/** What the scheduler would write: the deployment finished (waits until every given replica stopped listing it). */
async function finishDeployment(id: string, replicas: (typeof client)[] = [client]): Promise<void> {
  await store.appendOrThrow(`rollout-${id}`, "any", [eventOf(eventsV1Deployment.DeploymentSucceededSchema, create(eventsV1Deployment.DeploymentSucceededSchema, { deploymentId: id }))]);
  for (const [i, replica] of replicas.entries()) {
    await eventually(`deployment ${id} no longer listed by replica ${i + 1}`, async () => !(await replica.listDeployments({})).deployments.some((d) => d.id === id), 5_000);
  }
}

const app = (id: string, extra: JsonObject = {}): JsonObject => ({ id, cmd: "sleep 1000", cpus: 0.1, mem: 32, instances: 1, ...extra });

before(async () => {
  testDb = await createTestDatabase("registry");
  database = openDatabase(testDb.url);
  ({ registry, client } = await start());
  store = new EventStore({ pool: database.pool, logger });
});

after(async () => {
  client?.close();
  await registry?.stop();
  await store?.close();
  await database?.close();
  await testDb?.drop();
});

describe("apps", () => {
  test("create, get, list with filters; duplicate is AlreadyExists with Marathon's message", async () => {
    const created = await client.createApp({ definition: app("/shop/web", { labels: { tier: "front" } }) });
    assert.equal(created.app?.id, "/shop/web");
    assert.equal(created.app?.definition?.id, "/shop/web");
    assert.equal(created.app?.definition?.version, created.app?.version);
    assert.equal(created.app?.definition?.mem, 32);
    assert.ok(created.deploymentId);
    await client.createApp({ definition: app("/shop/db", { cmd: "postgres" }) });
    const got = await client.getApp({ id: "shop/web" });
    assert.deepEqual(got.app?.definition, created.app?.definition);
    assert.deepEqual((await client.listApps({ group: "/shop" })).apps.map((a) => a.id), ["/shop/db", "/shop/web"]);
    assert.deepEqual((await client.listApps({ cmd: "postgres" })).apps.map((a) => a.id), ["/shop/db"]);
    assert.deepEqual((await client.listApps({ label: "tier==front" })).apps.map((a) => a.id), ["/shop/web"]);
    assert.equal((await client.listApps({ group: "/shop" })).apps[0]?.runSpec, undefined, "a list carries no run specs");
    assert.ok((await client.getApp({ id: "/shop/db" })).app?.runSpec, "an app read alone does");
    await rejects(client.createApp({ definition: app("/shop/web") }), "AlreadyExists", "An app with id [/shop/web] already exists.");
  });

  test("a list asked for with the version it holds is answered unchanged until something changes", async () => {
    await client.createApp({ definition: app("/held/a") });
    const first = await client.listApps({ group: "/held" });
    assert.ok(first.version);
    assert.equal(first.unchanged, false);
    const again = await client.listApps({ group: "/held", knownVersion: first.version });
    assert.equal(again.unchanged, true);
    assert.deepEqual(again.apps, [], "an unchanged answer carries no apps");
    await client.createApp({ definition: app("/held/b") });
    const changed = await client.listApps({ group: "/held", knownVersion: first.version });
    assert.equal(changed.unchanged, false);
    assert.notEqual(changed.version, first.version);
    assert.deepEqual(changed.apps.map((a) => a.id), ["/held/a", "/held/b"]);
    const withDeployments = await client.listApps({ group: "/held", withDeployments: true });
    assert.deepEqual(withDeployments.deployments.map((d) => d.id), (await client.listDeployments({})).deployments.map((d) => d.id), "the running deployments, as ListDeployments answers them");
    assert.ok(withDeployments.deployments.some((d) => d.affectedApps.includes("/held/b")), "the one creating /held/b among them");
    assert.deepEqual((await client.listApps({ group: "/held" })).deployments, [], "only when asked for");
  });

  test("invalid definitions: 422-style violations with Marathon paths, shape errors as Invalid JSON", async () => {
    const err = await rejects(client.createApp({ definition: app("/bad", { healthChecks: [{ protocol: "HTTP", portIndex: 5 }] }) }), "InvalidArgument", "Object is not valid");
    assert.ok(err.violations.length > 0);
    const shape = await rejects(client.createApp({ definition: { id: 5 } }), "InvalidArgument", "Invalid JSON");
    assert.equal(shape.details.kind, "json");
    assert.deepEqual(shape.violations[0]?.path, "/id");
    const hc = await rejects(client.createApp({ definition: app("/bad2", { healthChecks: [{ protocol: "NOPE" }] }) }), "InvalidArgument");
    assert.ok(hc.violations.some((v) => v.path === "/healthChecks(0)/protocol"), JSON.stringify(hc.violations));
    await rejects(client.getApp({ id: "/Not_Valid" }), "InvalidArgument", /is invalid/);
    await rejects(client.getApp({ id: "/nope" }), "NotFound", "App '/nope' does not exist");
  });

  test("a running deployment locks its app; force cancels it in the same change", async () => {
    const first = await client.createApp({ definition: app("/locked") });
    const locked = await rejects(client.updateApp({ id: "/locked", definition: { cmd: "sleep 2" }, partial: true }), "FailedPrecondition");
    assert.equal(locked.message, `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/${first.deploymentId}'.`);
    assert.deepEqual(locked.details.deployments, [{ id: first.deploymentId }]);
    const forced = await client.updateApp({ id: "/locked", definition: { cmd: "sleep 2" }, partial: true, force: true });
    const ids = (await client.listDeployments({})).deployments.map((d) => d.id);
    assert.ok(!ids.includes(first.deploymentId) && ids.includes(forced.deploymentId));
    const cancelled = (await allEvents()).find((e) => e.streamId === `deployment-${first.deploymentId}` && e.type === "DeploymentCancelled");
    assert.equal(cancelled?.data.supersededBy, forced.deploymentId);
  });

  test("update (PUT/PATCH), scale, restart and versions; missing app is created", async () => {
    const v1 = await client.createApp({ definition: app("/svc", { env: { A: "1" } }) });
    await finishDeployment(v1.deploymentId);
    const patched = await client.updateApp({ id: "/svc", definition: { cmd: "sleep 3", id: "/ignored" }, partial: true });
    assert.equal(patched.created, false);
    assert.equal(patched.app?.id, "/svc");
    assert.deepEqual(patched.app?.definition?.env, { A: "1" }, "PATCH keeps absent fields");
    await finishDeployment(patched.deploymentId);
    const scaled = await client.updateApp({ id: "/svc", definition: { instances: 3 }, partial: true });
    await finishDeployment(scaled.deploymentId);
    const replaced = await client.updateApp({ id: "/svc", definition: { cmd: "sleep 4", instances: 3 }, partial: false });
    assert.equal(replaced.app?.definition?.env && Object.keys(replaced.app.definition.env as object).length, 0, "PUT replaces");
    await finishDeployment(replaced.deploymentId);
    const restarted = await client.restartApp({ id: "/svc" });
    const events = (await allEvents()).filter((e) => e.streamId === "app-/svc");
    assert.deepEqual(events.map((e) => e.type), ["AppCreated", "AppUpdated", "AppUpdated", "AppUpdated", "AppUpdated"]);
    assert.equal(events[2]!.data.scaleOnly, true);
    assert.equal(events[1]!.data.scaleOnly ?? false, false);
    assert.equal(events[4]!.data.restart, true);
    const plan = (await client.listDeployments({})).deployments.find((d) => d.id === restarted.deployment?.deploymentId);
    assert.deepEqual(plan?.steps.map((s) => s.actions.map((a) => a.action)), [["RestartApplication"]]);
    const scaleEvent = events[2]!.data.app as JsonObject;
    assert.equal(scaleEvent.lastConfigChangeAt, patched.app?.version, "a scale keeps lastConfigChangeAt");

    const { versions } = await client.listAppVersions({ id: "/svc" });
    assert.equal(versions.length, 5);
    assert.deepEqual([...versions].sort().reverse(), versions, "newest first");
    assert.equal(versions.at(-1), v1.app?.version);
    const old = await client.getAppVersion({ id: "/svc", version: v1.app!.version });
    assert.equal(old.app?.definition?.cmd, "sleep 1000");
    await rejects(client.getAppVersion({ id: "/svc", version: "2001-01-01T00:00:00.000Z" }), "NotFound");

    const made = await client.updateApp({ id: "/fresh", definition: { cmd: "true" } });
    assert.equal(made.created, true);
    assert.equal(made.app?.id, "/fresh");
  });

  test("partial updates are checked as the merged app; reader filters are Invalid JSON (400), rules Object is not valid (422)", async () => {
    await client.createApp({ definition: app("/merged/ports") });
    const docker = { type: "DOCKER", docker: { image: "nginx" } };
    const JSON_400 = "Invalid JSON";
    const RULE_422 = "Object is not valid";
    const update = (id: string, definition: JsonObject, partial = true) => client.updateApp({ id, definition, partial, force: true });
    const cases: { name: string; call: () => Promise<unknown>; kind: string; path: string; message: string }[] = [
      { name: "PATCH ipAddress over stored port definitions", call: () => update("/merged/ports", { ipAddress: {} }), kind: RULE_422, path: "/", message: "IP address and ports are not allowed at the same time" },
      { name: "PUT partial creating with ipAddress (default port definition)", call: () => update("/merged/new", { cmd: "x", ipAddress: {} }), kind: RULE_422, path: "/", message: "IP address and ports are not allowed at the same time" },
      { name: "PATCH args over a stored cmd", call: () => update("/merged/ports", { args: ["run"] }), kind: RULE_422, path: "/", message: "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'." },
      { name: "PATCH ports against portDefinitions", call: () => update("/merged/ports", { ports: [1], portDefinitions: [{ port: 2 }] }), kind: JSON_400, path: "/", message: "You cannot specify both ports and port definitions" },
      { name: "PATCH uris and fetch, both empty", call: () => update("/merged/ports", { uris: [], fetch: [] }), kind: JSON_400, path: "/", message: "You cannot specify both uris and fetch fields" },
      { name: "PUT (replace) ipAddress with ports", call: () => update("/merged/ports", { cmd: "x", ipAddress: {}, ports: [80] }, false), kind: JSON_400, path: "/", message: "You cannot specify both an IP address and ports" },
      { name: "POST ipAddress with portDefinitions", call: () => client.createApp({ definition: app("/merged/ip", { ipAddress: {}, portDefinitions: [{ port: 0 }] }) }), kind: JSON_400, path: "/", message: "You cannot specify both an IP address and ports" },
      { name: "POST uris and fetch", call: () => client.createApp({ definition: app("/merged/uris", { uris: ["http://a"], fetch: [{ uri: "http://b" }] }) }), kind: JSON_400, path: "/", message: "You cannot specify both uris and fetch fields" },
      { name: "POST a Docker volume without hostPath", call: () => client.createApp({ definition: app("/merged/vol", { container: { ...docker, volumes: [{ containerPath: "/a", mode: "RW" }] } }) }), kind: RULE_422, path: "/container/volumes(0)/hostPath", message: "must not be empty" },
    ];
    for (const c of cases) {
      const err = await rejects(c.call(), "InvalidArgument", c.kind);
      assert.equal(err.details.kind === "json", c.kind === JSON_400, `${c.name}: details.kind`);
      assert.deepEqual(err.violations, [{ path: c.path, errors: [c.message] }], c.name);
    }
    const fixed = await update("/merged/ports", { ipAddress: {}, portDefinitions: [] });
    assert.deepEqual(fixed.app?.definition?.portDefinitions, [], "ipAddress with portDefinitions [] is accepted");
  });

  test("UpdateApps: several apps in one deployment, one transaction", async () => {
    const before = (await allEvents()).length;
    const res = await client.updateApps({ definitions: [app("/batch/a"), app("/batch/b", { dependencies: ["/batch/a"] })] });
    const plan = (await client.listDeployments({})).deployments.find((d) => d.id === res.deployment?.deploymentId);
    assert.deepEqual(plan?.steps.map((s) => s.actions.map((a) => `${a.action} ${a.app}`)), [
      ["StartApplication /batch/a", "StartApplication /batch/b"],
      ["ScaleApplication /batch/a"],
      ["ScaleApplication /batch/b"],
    ]);
    const written = (await allEvents()).slice(before);
    assert.equal(new Set(written.map((e) => e.transactionId)).size, 1, "one transaction");
  });

  test("a team's token reads and changes only its own path: lists show its apps and deployments only, the other team's are PermissionDenied", async () => {
    await client.createApp({ definition: app("/team-b/db") });
    const teamA = signer.issue({ name: "alice-a", roles: [], grants: [{ resource: "gantry:apps", action: "full", path: "/team-a" }] }).token;
    const a = createGrpcClient(registryV1.RegistryService, `127.0.0.1:${registry.port}`, { token: teamA, deadlineMs: CALL_DEADLINE_MS });
    try {
      const created = await a.createApp({ definition: app("/team-a/web") });
      assert.deepEqual((await a.listApps({})).apps.map((x) => x.id), ["/team-a/web"], "only team-a's apps");
      assert.equal((await a.listApps({})).version, "", "a scoped list carries no shared version");
      assert.ok((await client.listApps({})).apps.some((x) => x.id === "/team-b/db"), "the admin sees every app");
      assert.ok((await a.listDeployments({})).deployments.every((d) => d.affectedApps.every((id) => id.startsWith("/team-a/"))));
      await a.getDeployment({ id: created.deploymentId });
      await rejects(a.getApp({ id: "/team-b/db" }), "PermissionDenied", 'principal "alice-a" may not read gantry:apps:/team-b/db');
      await rejects(a.createApp({ definition: app("/team-b/web") }), "PermissionDenied");
      await rejects(a.deleteApp({ id: "/team-b/db", force: true }), "PermissionDenied");
      await rejects(a.updateGroup({ id: "/", definition: { id: "/" }, force: true }), "PermissionDenied", 'principal "alice-a" may not update gantry:apps');
      await client.getApp({ id: "/team-b/db" });
    } finally {
      a.close();
    }
  });

  test("delete: NotFound afterwards and for unknown apps; viewers may read but not delete", async () => {
    await client.createApp({ definition: app("/gone") });
    const viewerClient = createGrpcClient(registryV1.RegistryService, `127.0.0.1:${registry.port}`, { token: viewer, deadlineMs: CALL_DEADLINE_MS });
    try {
      await viewerClient.getApp({ id: "/gone" });
      await rejects(viewerClient.deleteApp({ id: "/gone", force: true }), "PermissionDenied");
    } finally {
      viewerClient.close();
    }
    const res = await client.deleteApp({ id: "/gone", force: true });
    assert.ok(res.deploymentId);
    await rejects(client.getApp({ id: "/gone" }), "NotFound");
    await rejects(client.deleteApp({ id: "/gone", force: true }), "NotFound", "App '/gone' does not exist");
  });
});

describe("pods", () => {
  const pod = (id: string, instances = 1): JsonObject => ({
    id,
    scaling: { kind: "fixed", instances },
    containers: [{ name: "main", resources: { cpus: 0.1, mem: 32 }, exec: { command: { shell: "sleep 1000" } } }],
    networks: [{ mode: "host" }],
  });

  test("create, get, list, update, versions, delete", async () => {
    const created = await client.createPod({ definition: pod("/pods/one") });
    assert.equal(created.pod?.id, "/pods/one");
    await rejects(client.createPod({ definition: pod("/pods/one") }), "AlreadyExists");
    await rejects(client.createApp({ definition: app("/pods/one") }), "InvalidArgument", "Object is not valid");
    const updated = await client.updatePod({ id: "/pods/one", definition: pod("/pods/one", 2), force: true });
    assert.equal(updated.created, false);
    assert.equal((updated.pod?.definition?.scaling as JsonObject).instances, 2);
    assert.deepEqual((await client.listPods({})).pods.map((p) => p.id), ["/pods/one"]);
    const { versions } = await client.listPodVersions({ id: "/pods/one" });
    assert.deepEqual(versions, [updated.pod!.version, created.pod!.version]);
    assert.equal(((await client.getPodVersion({ id: "/pods/one", version: created.pod!.version })).pod?.definition?.scaling as JsonObject).instances, 1);
    const other = await rejects(client.updatePod({ id: "/pods/one", definition: pod("/pods/other") }), "InvalidArgument", "'/pods/one' does not match definition's id ('/pods/other')");
    assert.equal(other.details.kind, "request", "Marathon answers 400 with the message only");
    // Marathon validates the body (its id included) before comparing it with the path's.
    const relative = await rejects(client.updatePod({ id: "/pods/one", definition: pod("pods/one") }), "InvalidArgument", "Object is not valid");
    assert.deepEqual(relative.violations, [{ path: "/id", errors: ["Path needs to be absolute"] }]);
    const scaleEvent = (await allEvents()).filter((e) => e.streamId === "pod-/pods/one").at(-1);
    assert.equal(scaleEvent?.data.scaleOnly, true);
    await client.deletePod({ id: "/pods/one", force: true });
    await rejects(client.getPod({ id: "/pods/one" }), "NotFound", "Pod '/pods/one' does not exist");
  });
});

describe("run specs", () => {
  test("a created app's and pod's events carry the RunSpec built from the normalised definition; the API returns it", async () => {
    const created = await client.createApp({ definition: app("/typed/web", { portDefinitions: [{ port: 10080, name: "http" }], constraints: [["rack", "IS", "r1"]] }) });
    const appEvent = (await allEvents()).find((e) => e.streamId === "app-/typed/web" && e.type === "AppCreated");
    const logged = (appEvent?.data.app as JsonObject | undefined)?.runSpec as JsonObject | undefined;
    assert.ok(logged, "AppCreated carries app.runSpec");
    assert.equal(logged.kind, "RUN_SPEC_KIND_APP");
    assert.equal(logged.configVersion, created.app?.version);
    const [container] = logged.containers as JsonObject[];
    assert.equal(container?.name, "web");
    assert.deepEqual(container?.command, { shell: "sleep 1000" });
    assert.deepEqual(container?.endpoints, [{ name: "http", hostPort: 0, servicePort: 10080, protocols: ["tcp"] }], "host port 0 (any) survives the log");
    assert.deepEqual(logged.placement, { constraints: [{ field: "rack", operator: "CONSTRAINT_OPERATOR_IS", value: "r1" }], acceptedResourceRoles: ["*"] });
    assert.equal(created.app?.runSpec?.containers[0]?.killGracePeriodSeconds, 3);
    assert.deepEqual((await client.getApp({ id: "/typed/web" })).app?.runSpec, created.app?.runSpec);

    const pod = await client.createPod({
      definition: {
        id: "/typed/pod",
        containers: [
          { name: "web", resources: { cpus: 0.1, mem: 32 }, exec: { command: { shell: "sleep 1000" } }, endpoints: [{ name: "http", containerPort: 80 }] },
          { name: "side", resources: { cpus: 0.1, mem: 16 }, exec: { command: { argv: ["sleep", "1000"] } } },
        ],
        networks: [{ mode: "container" }],
      },
    });
    const podEvent = (await allEvents()).find((e) => e.streamId === "pod-/typed/pod" && e.type === "PodCreated");
    const podSpec = (podEvent?.data.pod as JsonObject | undefined)?.runSpec as JsonObject | undefined;
    assert.ok(podSpec, "PodCreated carries pod.runSpec");
    assert.equal(podSpec.kind, "RUN_SPEC_KIND_POD");
    assert.deepEqual((podSpec.containers as JsonObject[]).map((c) => c.name), ["web", "side"]);
    assert.deepEqual(podSpec.networks, [{ mode: "NETWORK_MODE_CONTAINER", name: "dcos" }]);
    assert.deepEqual((podSpec.containers as JsonObject[])[0]?.endpoints, [{ name: "http", containerPort: 80, protocols: ["tcp"] }], "no hostPort: none allocated");
    assert.deepEqual((await client.listPods({})).pods.find((p) => p.id === "/typed/pod")?.runSpec, pod.pod?.runSpec);

    const scaled = await client.updateApp({ id: "/typed/web", definition: { instances: 2 }, partial: true, force: true });
    assert.equal(scaled.app?.runSpec?.instances, 2);
    assert.equal(scaled.app?.runSpec?.version, scaled.app?.version);
    assert.equal(scaled.app?.runSpec?.configVersion, created.app?.version, "a scale keeps the config version");
  });
});

describe("groups", () => {
  test("create under a parent with dependencies; GetGroup renders the tree", async () => {
    const res = await client.createGroup({
      parentId: "/prod",
      definition: { id: "store", dependencies: ["/prod/db"], apps: [app("web"), app("api", { dependencies: ["web"] })] },
    });
    assert.ok(res.deployment?.deploymentId);
    const { group } = await client.getGroup({ id: "/prod/store" });
    assert.equal(group?.id, "/prod/store");
    assert.deepEqual(group?.dependencies, ["/prod/db"]);
    assert.deepEqual((group?.apps as JsonObject[]).map((a) => a.id), ["/prod/store/api", "/prod/store/web"]);
    const root = (await client.getGroup({ id: "/" })).group;
    assert.ok((root?.groups as JsonObject[]).some((g) => g.id === "/prod"));
    await rejects(client.createGroup({ parentId: "/prod", definition: { id: "store" } }), "AlreadyExists");
  });

  test("cycles and ids outside the group are rejected with the validator's errors", async () => {
    const cycle = await rejects(
      client.createGroup({ definition: { id: "/cyc", apps: [app("/cyc/a", { dependencies: ["/cyc/b"] }), app("/cyc/b", { dependencies: ["/cyc/a"] })] } }),
      "InvalidArgument",
      "Object is not valid",
    );
    assert.ok(cycle.violations.some((v) => v.errors.includes("Dependency graph has cyclic dependencies.")));
    const outside = await rejects(client.createGroup({ definition: { id: "/inside", apps: [app("/elsewhere/x")] } }), "InvalidArgument");
    assert.ok(outside.violations.some((v) => v.errors.some((e) => e.includes("is not child of /inside"))), JSON.stringify(outside.violations));
    // A cycle through an app that already exists is caught on the whole tree.
    await client.createApp({ definition: app("/cyc2/a", { dependencies: ["/cyc2/b"] }) });
    await rejects(client.createApp({ definition: app("/cyc2/b", { dependencies: ["/cyc2/a"] }) }), "InvalidArgument", "Object is not valid");
  });

  test("dry run returns the plan and writes nothing; scaleBy; rollback; delete", async () => {
    await client.createGroup({ definition: { id: "/g", apps: [app("/g/a", { instances: 2 })], groups: [{ id: "/g/sub", apps: [app("b")] }] } });
    const [version1] = (await client.listGroupVersions({ id: "/g" })).versions;
    const count = (await allEvents()).length;
    const dry = await client.updateGroup({ id: "/g", definition: { apps: [app("/g/a", { instances: 5 })] }, dryRun: true });
    assert.equal(dry.deployment, undefined);
    assert.deepEqual(dry.plan?.steps.map((s) => s.actions.map((a) => `${a.action} ${a.app}`)), [["ScaleApplication /g/a"]]);
    assert.equal((await allEvents()).length, count, "a dry run writes nothing");

    await rejects(client.updateGroup({ id: "/g", scaleBy: 2 }), "FailedPrecondition");
    const before = (await allEvents()).length;
    await rejects(client.updateGroup({ id: "/g", scaleBy: 5e17, force: true }), "InvalidArgument", "scaleBy 500000000000000000 would give /g/a 1000000000000000000 instances, more than 2147483647");
    assert.equal((await allEvents()).length, before, "a scale past Marathon's largest count writes nothing");
    await client.updateGroup({ id: "/g", scaleBy: 1.5, force: true });
    assert.equal((await client.getApp({ id: "/g/a" })).app?.definition?.instances, 3);
    assert.equal((await client.getApp({ id: "/g/sub/b" })).app?.definition?.instances, 2);

    const rolled = await client.updateGroup({ id: "/g", version: version1!, force: true });
    assert.ok(rolled.deployment?.deploymentId);
    assert.equal((await client.getApp({ id: "/g/a" })).app?.definition?.instances, 2);
    const atV1 = (await client.getGroupVersion({ id: "/g", version: version1! })).group;
    assert.deepEqual((atV1?.apps as JsonObject[]).map((a) => a.instances), [2]);
    await rejects(client.getGroupVersion({ id: "/g", version: "2001-01-01T00:00:00.000Z" }), "NotFound");

    // A new tree: given apps replace the group's apps.
    await client.updateGroup({ id: "/g", definition: { apps: [app("/g/c")] }, force: true });
    assert.deepEqual((await client.listApps({ group: "/g" })).apps.map((a) => a.id), ["/g/c", "/g/sub/b"]);

    await client.deleteGroup({ id: "/g", force: true });
    assert.deepEqual((await client.listApps({ group: "/g" })).apps, []);
    await rejects(client.getGroup({ id: "/g" }), "NotFound");
    await rejects(client.getGroup({ id: "/g/sub" }), "NotFound");
  });
});

describe("deployments", () => {
  test("rollout progress from the scheduler's stream: current step and actions", async () => {
    const res = await client.createApp({ definition: app("/rollout/x") });
    await store.appendOrThrow(`rollout-${res.deploymentId}`, "any", [
      eventOf(eventsV1Deployment.DeploymentStepStartedSchema, create(eventsV1Deployment.DeploymentStepStartedSchema, { deploymentId: res.deploymentId, step: 2 })),
    ]);
    await eventually("the deployment at step 2 of 2", async () => {
      const d = (await client.listDeployments({})).deployments.find((x) => x.id === res.deploymentId);
      assert.equal(d?.currentStep, 2);
      assert.equal(d?.totalSteps, 2);
      assert.deepEqual(d?.currentActions.map((a) => `${a.action} ${a.app}`), ["ScaleApplication /rollout/x"]);
      return true;
    }, 5_000);
    await finishDeployment(res.deploymentId);
    await client.updateApp({ id: "/rollout/x", definition: { instances: 2 }, partial: true });
  });

  test("cancel with force stops only; without force rolls back", async () => {
    const v1 = await client.createApp({ definition: app("/cancel/x") });
    await finishDeployment(v1.deploymentId);
    const change = await client.updateApp({ id: "/cancel/x", definition: { cmd: "sleep 99" }, partial: true });
    const res = await client.cancelDeployment({ id: change.deploymentId });
    assert.ok(res.rollback?.deploymentId);
    const rolledBack = (await client.getApp({ id: "/cancel/x" })).app;
    assert.equal(rolledBack?.definition?.cmd, "sleep 1000", "rolled back to the version before");
    const original = v1.app;
    assert.equal(rolledBack?.runSpec?.configVersion, original?.lastConfigChangeAt, "the old configuration comes back under its own version: its instances stay");
    assert.notEqual(rolledBack?.version, original?.version);
    const ids = (await client.listDeployments({})).deployments.map((d) => d.id);
    assert.ok(!ids.includes(change.deploymentId) && ids.includes(res.rollback.deploymentId));
    const cancelled = await client.getDeployment({ id: change.deploymentId });
    assert.equal(cancelled.state, registryV1.DeploymentState.CANCELLED);
    assert.equal(cancelled.reason, `rollback (by deployment ${res.rollback.deploymentId})`);
    assert.equal((await client.getDeployment({ id: res.rollback.deploymentId })).state, registryV1.DeploymentState.RUNNING);
    const done = await client.getDeployment({ id: v1.deploymentId });
    assert.deepEqual([done.state, done.deployment?.affectedApps], [registryV1.DeploymentState.SUCCEEDED, ["/cancel/x"]]);
    const forced = await client.cancelDeployment({ id: res.rollback.deploymentId, force: true });
    assert.equal(forced.rollback, undefined);
    assert.ok(!(await client.listDeployments({})).deployments.some((d) => d.id === res.rollback!.deploymentId));
    await rejects(client.cancelDeployment({ id: "no-such" }), "NotFound", "DeploymentPlan no-such does not exist");
    await rejects(client.getDeployment({ id: "no-such" }), "NotFound", "DeploymentPlan no-such does not exist");
  });
  test("a change right after its app's deployment succeeded is never refused as locked, even while the log's tail is held back", async () => {
    const res = await client.createApp({ definition: app("/just-done/x") });
    // An open transaction anywhere on the server holds the horizon below the rollout's end, so
    // the registry's follower cannot see it yet: only reading the deployment's streams can.
    const holder = await database.pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_current_xact_id()");
      await store.appendOrThrow(`rollout-${res.deploymentId}`, "any", [eventOf(eventsV1Deployment.DeploymentSucceededSchema, create(eventsV1Deployment.DeploymentSucceededSchema, { deploymentId: res.deploymentId }))]);
      const next = await client.updateApp({ id: "/just-done/x", definition: { instances: 3 }, partial: true });
      assert.ok(next.deploymentId, "the change was accepted, not refused with 409 locked");
    } finally {
      await holder.query("ROLLBACK");
      holder.release();
    }
  });
});

describe("the log", () => {
  test("two replicas creating one id at once: exactly one wins (the app stream's no_stream decides), the log stays consistent", async () => {
    const other = await start();
    try {
      const results = await Promise.allSettled([client.createApp({ definition: app("/race") }), other.client.createApp({ definition: app("/race") })]);
      const ok = results.filter((r) => r.status === "fulfilled");
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      assert.equal(ok.length, 1, JSON.stringify(results));
      assert.ok(failed[0]!.reason instanceof GantryError && ["AlreadyExists", "Aborted"].includes(failed[0]!.reason.code), String(failed[0]!.reason));
      const created = (await allEvents()).filter((e) => e.streamId === "app-/race");
      assert.equal(created.length, 1);
      const roots = (await allEvents()).filter((e) => e.streamId === "group-/").map((e) => e.streamVersion);
      assert.deepEqual(roots, roots.map((_, i) => i + 1), "root versions never skip or repeat");
    } finally {
      other.client.close();
      await other.registry.stop();
    }
  });

  test("two replicas changing DIFFERENT apps at once into a cycle: the root fence lets one in, the other is refused, no cycle", async () => {
    // /a → /b on one replica and /b → /a on the other touch different app streams, so only the
    // root stream `group-/` (every change appends to it at the version its decision saw) can
    // serialise them: the loser's append conflicts there, it catches up, decides again on the
    // tree with the winner's change and finds the cycle. Without the fence both would commit.
    const fenced: unknown[] = [];
    const watching = createLogger("registry-race", {
      level: "warn",
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          process.stderr.write(chunk);
          for (const line of chunk.toString("utf8").split("\n")) {
            if (!line) continue;
            const entry = JSON.parse(line) as { conflicts?: { streamId: string }[] };
            if (entry.conflicts?.some((c) => c.streamId === "group-/")) fenced.push(entry);
          }
          done();
        },
      }),
    });
    const one = await start(watching);
    const two = await start(watching);
    try {
      const rounds = 5;
      for (let round = 1; round <= rounds; round++) {
        const a = `/cycle${round}/a`;
        const b = `/cycle${round}/b`;
        const made = await one.client.updateApps({ definitions: [app(a), app(b)] });
        // Neither replica may see a running deployment of /a or /b (its lock would refuse first).
        await finishDeployment(made.deployment!.deploymentId, [one.client, two.client]);
        await eventually(`replica 2 sees ${a} and ${b}`, async () => (await two.client.listApps({ group: `/cycle${round}` })).apps.length === 2, 5_000);

        const results = await Promise.allSettled([
          one.client.updateApp({ id: a, definition: { dependencies: [b] }, partial: true }),
          two.client.updateApp({ id: b, definition: { dependencies: [a] }, partial: true }),
        ]);
        const ok = results.filter((r) => r.status === "fulfilled");
        const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as unknown);
        const outcomes = results.map((r) => (r.status === "fulfilled" ? `committed ${r.value.app?.id} -> ${String(r.value.app?.definition?.dependencies)}` : `refused: ${String(r.reason)}`));
        assert.equal(ok.length, 1, `round ${round}: exactly one change commits (${outcomes.join("; ")})`);
        const err = refused[0];
        assert.ok(err instanceof GantryError, `round ${round}: ${String(err)}`);
        assert.equal(err.code, "InvalidArgument", `round ${round}: ${err.message}`);
        assert.equal(err.message, "Object is not valid");
        assert.ok(err.violations.some((v) => v.errors.includes("Dependency graph has cyclic dependencies.")), JSON.stringify(err.violations));

        // The log holds one update in all, and every replica ends with exactly one of the two edges
        // (the suite's own replica too, so the tests after this one see the same state).
        const updates = (await allEvents()).filter((e) => (e.streamId === `app-${a}` || e.streamId === `app-${b}`) && e.type !== "AppCreated");
        assert.equal(updates.length, 1, `round ${round}: ${updates.map((e) => `${e.streamId} ${e.type}`).join(", ")}`);
        for (const [i, replica] of [one.client, two.client, client].entries()) {
          const edges = await eventually(`replica ${i + 1} showing round ${round}'s committed change`, async () => {
            const deps = async (id: string) => ((await replica.getApp({ id })).app?.definition?.dependencies ?? []) as string[];
            const found = [...(await deps(a)).map((d) => `${a}->${d}`), ...(await deps(b)).map((d) => `${b}->${d}`)];
            return found.length > 0 ? found : undefined;
          }, 5_000);
          assert.equal(edges.length, 1, `round ${round}, replica ${i + 1}: no cycle: ${edges.join(", ")}`);
        }
      }
      // Both requests are in flight at once and each replica folds the other's writes only every
      // 250 ms, so most rounds are decided on the same root version and settled by the fence; a
      // run where no round was is a run that tested nothing.
      assert.ok(fenced.length > 0, `the root stream fenced off a loser in at least one of ${rounds} rounds`);
    } finally {
      one.client.close();
      two.client.close();
      await one.registry.stop();
      await two.registry.stop();
    }
  });

  test("every event carries the acting principal and correlation id", async () => {
    const all = await allEvents();
    // Refusals are recorded as the refused caller's (checked here too), not the acting admin's.
    for (const d of all.filter((e) => e.streamId.startsWith("denials-"))) assert.equal(d.metadata.principal, d.data.principal, "a denial is its caller's");
    const events = all.filter((e) => !e.streamId.startsWith("rollout-") && !e.streamId.startsWith("denials-"));
    assert.ok(events.length > 20);
    // team-a's own user made its app (see "a team's token …"): every event of that change is hers; the admin's the rest.
    const byTeamA = new Set(events.filter((e) => e.streamId === "app-/team-a/web").map((e) => e.transactionId));
    assert.equal(byTeamA.size, 1);
    for (const e of events) {
      assert.equal(e.metadata.principal, byTeamA.has(e.transactionId) ? "alice-a" : "alice", `${e.streamId} ${e.type}`);
      assert.ok(e.metadata.correlationId, `${e.streamId} ${e.type}`);
    }
  });

  test("a restarted registry rebuilds the same state from the log", async () => {
    const snapshot = async (c: typeof client) => ({
      apps: (await c.listApps({})).apps,
      pods: (await c.listPods({})).pods,
      root: (await c.getGroup({ id: "/" })).group,
      versions: (await c.listAppVersions({ id: "/svc" })).versions,
      groupVersions: (await c.listGroupVersions({ id: "/" })).versions,
      deployments: (await c.listDeployments({})).deployments,
    });
    const before = await snapshot(client);
    client.close();
    await registry.stop();
    ({ registry, client } = await start());
    assert.deepEqual(await snapshot(client), before);
  });
});
