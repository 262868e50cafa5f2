/**
 * Access control end to end, every part its own process (registry, scheduler, gateway) on the
 * shared PostgreSQL and NATS, so the scheduler and the gateway authenticate against the
 * registry's principal directory as they follow it over NATS:
 *
 * - every gRPC method of every service refuses an anonymous caller and an authenticated one
 *   without the permission it needs, and lets a superuser through (enumerated from the
 *   services' descriptors: a new method is checked without editing this test);
 * - every HTTP route likewise (enumerated from the gateway's route table);
 * - a team-a user (logged in over DC/OS's login endpoint) sees and changes team-a's apps only,
 *   and a revoked grant stops it at once at the gateway and the scheduler too.
 */
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { create, type DescMethod } from "@bufbuild/protobuf";
import { connect } from "@nats-io/transport-node";
import { agentV1Service, logsV1, metricsV1, registryV1, registryV1Iam, registryV1Secrets, schedulerV1 } from "@gantry/proto";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createGrpcClient, createTokenSigner, GantryError, generateSigningKey, infrastructureUrls } from "@gantry/platform";
import { createTestCluster, createTestDatabase, eventually, type TestDatabase } from "@gantry/platform/testing";
import { ROUTE_ACCESS } from "@gantry/gateway";
import { dropLogsDatabase } from "@gantry/logs";
import { freePort, startServiceProcess, type ServiceProcess } from "@gantry/test/support";

const key = generateSigningKey();
const admin = createTokenSigner(key).issue({ name: "root", roles: ["admin"] }).token;
const cluster = createTestCluster();
/** The gateway's exec ticket key: it routes exec sessions, so AgentService/Exec and the exec WebSocket route are checked too. */
const execKeyDir = mkdtempSync(path.join(tmpdir(), "gantry-access-exec-"));
const execKeyFile = path.join(execKeyDir, "exec-ticket.key");
writeFileSync(execKeyFile, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
const SERVICES = [registryV1.RegistryService, registryV1Iam.IamService, registryV1Secrets.SecretService, schedulerV1.SchedulerService, logsV1.LogsService, metricsV1.MetricsService];
/**
 * Methods any authenticated caller may call: lists show only what the caller may read; who am I;
 * log out; and a kill of task ids that name nothing live (it kills nothing; a live task's kill
 * needs update on its app: see scheduler-permissions.test.ts).
 */
const FOR_EVERY_CALLER = new Set(["ListApps", "ListPods", "ListDeployments", "ListQueue", "ListSecrets", "WhoAmI", "Logout", "Login", "KillTasks"]);
// Metrics queries that name no app (or a task with no metrics) return only the series the caller may read.
for (const m of ["Latest", "Range", "ListContainers"]) FOR_EVERY_CALLER.add(m);
/**
 * Routes any authenticated caller may call: what the gateway says about itself, and lists (and
 * batches of them) that show or touch only what the caller may see: here, nothing.
 */
const HTTP_FOR_EVERY_CALLER = new Set(["GET /v2/info", "GET /v2/leader", "GET /v2/schemas/app", "HEAD /v2/pods", "GET /v2/apps", "GET /v2/pods", "GET /v2/deployments", "GET /v2/queue", "GET /v2/tasks", "POST /v2/tasks/delete", "PUT /v2/apps", "PATCH /v2/apps"]);
// The metrics routes answer with what the caller may read (a task of an app it may not read: 403 from the metrics service).
for (const k of Object.keys(ROUTE_ACCESS)) if (/^GET \/(system\/v1\/(agent\/:agentId\/)?metrics\/v0\/|metrics$)/.test(k)) HTTP_FOR_EVERY_CALLER.add(k);
const PASSWORD = "team-a password!";
let testDb: TestDatabase;
let base = "";
let gateway = "";
const processes: ServiceProcess[] = [];
const metricsDataDir = path.join(tmpdir(), `gantry-access-metrics-${cluster.names.cluster}`);

before(async () => {
  testDb = await createTestDatabase("access");
  const env = { DATABASE_URL: testDb.url, NATS_URL: infrastructureUrls().natsUrl, GANTRY_CLUSTER: cluster.names.cluster, GANTRY_AUTH_KEY: key.toString("base64"), GANTRY_LOG_LEVEL: "warn" };
  const [registryPort, schedulerPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
  processes.push(startServiceProcess("registry", "services/registry/src/main.ts", ["--port", String(registryPort)], env));
  processes.push(startServiceProcess("scheduler", "services/scheduler/src/main.ts", ["--port", String(schedulerPort)], env));
  const logsPort = await freePort();
  processes.push(startServiceProcess("logs", "services/logs/src/main.ts", ["--port", String(logsPort)], { ...env, LOGS_DATABASE_URL: `${testDb.url}_logs` }));
  const metricsPort = await freePort();
  processes.push(startServiceProcess("metrics", "services/metrics/src/main.ts", ["--port", String(metricsPort)], { ...env, GANTRY_METRICS_DATA_DIR: metricsDataDir }));
  processes.push(startServiceProcess("gateway", "services/gateway/src/main.ts", ["--port", String(gatewayPort)], { ...env, GANTRY_REGISTRY_ADDRESS: `127.0.0.1:${registryPort}`, GANTRY_SCHEDULER_ADDRESS: `127.0.0.1:${schedulerPort}`, GANTRY_LOGS_ADDRESS: `127.0.0.1:${logsPort}`, GANTRY_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`, GANTRY_EXEC_KEY_FILE: execKeyFile }));
  gateway = `127.0.0.1:${gatewayPort}`;
  base = `http://${gateway}`;
  await eventually("the gateway and both backends", async () => (await fetch(`${base}/v2/apps`, { headers: { authorization: `Bearer ${admin}` } }).catch(() => undefined))?.status === 200, 60_000, undefined);
  await eventually("the logs service behind the gateway", async () => [200, 204].includes((await fetch(`${base}/system/v1/logs/v1/range/`, { headers: { authorization: `Bearer ${admin}` } }).catch(() => undefined))?.status ?? 0), 60_000, undefined);
});

after(async () => {
  for (const p of processes.reverse()) await p.stop(5_000);
  const nc = await connect({ servers: infrastructureUrls().natsUrl });
  await cluster.cleanup(nc).finally(() => nc.close());
  if (testDb) await dropLogsDatabase(`${testDb.url}_logs`);
  await testDb?.drop();
  rmSync(execKeyDir, { recursive: true, force: true });
  await rm(metricsDataDir, { recursive: true, force: true });
});

const iam = (token?: string) => createGrpcClient(registryV1Iam.IamService, gateway, { ...(token ? { token } : {}), deadlineMs: 10_000 });

async function login(uid: string, password: string): Promise<string> {
  const res = await fetch(`${base}/acs/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ uid, password }) });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { token: string }).token;
}

/** The code a call ends with ("OK" when it succeeds; a stream that stays open a moment is OK). */
async function outcome(method: DescMethod, token: string | undefined): Promise<string> {
  const client = createGrpcClient(method.parent as never, gateway, { ...(token ? { token } : {}), deadlineMs: 10_000 }) as unknown as Record<string, (r: unknown, o?: unknown) => unknown>;
  const request = create(method.input, { id: "/team-a/x", appId: "/team-a/x", group: "/team-a", parentId: "/team-a", definition: { id: "/team-a/x" }, definitions: [{ id: "/team-a/x" }], runSpecs: [{ id: "/team-a/x" }], taskIds: ["team-a_x.nope"], agentId: "no-agent", name: "sample", holder: "sample", resourceId: "gantry:apps:/team-a", action: "read", tokenId: "no-token", uid: "sample", path: "/team-a/x" } as never);
  try {
    const call = client[method.localName]!(request, { signal: AbortSignal.timeout(1_000) });
    if (method.methodKind === "server_streaming") {
      for await (const _ of call as AsyncIterable<unknown>) break;
    } else await call;
    return "OK";
  } catch (err) {
    if (err instanceof GantryError) return err.code;
    if ((err as Error).name === "TimeoutError" || (err as Error).name === "AbortError") return "OK";
    return String(err);
  } finally {
    (client as unknown as { close(): void }).close();
  }
}

describe("every gRPC method and HTTP route", () => {
  let nobody = "";
  before(async () => {
    await iam(admin).createUser({ name: "nobody", password: PASSWORD });
    nobody = await login("nobody", PASSWORD);
  });

  test("gRPC: anonymous → Unauthenticated; without the permission → PermissionDenied; a superuser → allowed", async () => {
    const methods = SERVICES.flatMap((s) => s.methods);
    assert.ok(methods.length >= 43, `${methods.length} methods`);
    for (const method of methods) {
      const path = `${method.parent.typeName}/${method.name}`;
      if (method.name !== "Login") assert.equal(await outcome(method, undefined), "Unauthenticated", `${path} anonymous`);
      if (method.name === "Logout") continue; // would end the tokens used below: checked on its own
      const without = await outcome(method, nobody);
      if (FOR_EVERY_CALLER.has(method.name)) assert.notEqual(without, "PermissionDenied", `${path} is every caller's`);
      else assert.equal(without, "PermissionDenied", `${path} without the permission`);
      if (method.name === "Login") continue; // a token is no credential to log in with
      const withIt = await outcome(method, admin);
      assert.ok(!["PermissionDenied", "Unauthenticated"].includes(withIt), `${path} as superuser: ${withIt}`);
    }
  });

  test("HTTP: anonymous → 401 (but the public routes); without the permission → 403; a superuser → allowed", async () => {
    // A path under /team-a for each route (with the suffix its handler needs to reach the backend).
    const SUFFIX: Record<string, string> = { "POST /v2/apps/*": "/restart", "DELETE /v2/queue/*": "/delay" };
    const sample = (key: string, url: string) => url.replace("/*", `/team-a/x${SUFFIX[key] ?? ""}`).replace(":id", "no-such-deployment");
    for (const [key, access] of Object.entries(ROUTE_ACCESS)) {
      const [method, url] = key.split(" ") as [string, string];
      const send = (token?: string) =>
        fetch(`${base}${sample(key, url)}`, {
          method,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(["POST", "PUT", "PATCH"].includes(method) ? { "content-type": "application/json" } : {}) },
          ...(["POST", "PUT", "PATCH"].includes(method) ? { body: method === "PUT" && url === "/v2/apps" ? "[]" : JSON.stringify(url === "/v2/tasks/delete" ? { ids: ["team-a_x.nope"] } : { id: "/team-a/x", cmd: "sleep 1" }) } : {}),
          signal: AbortSignal.timeout(5_000),
        }).then((r) => (r.body?.cancel(), r.status), (err: Error) => (err.name === "TimeoutError" ? 200 : 0));
      if ("public" in access) {
        assert.notEqual(await send(), 401, `${key} is public`);
        continue;
      }
      assert.equal(await send(), 401, `${key} anonymous`);
      const asSuperuser = await send(admin);
      assert.ok(![401, 403].includes(asSuperuser), `${key} as superuser: ${asSuperuser}`);
      if (!HTTP_FOR_EVERY_CALLER.has(key)) assert.equal(await send(nobody), 403, `${key} without the permission`);
    }
  });

  test("gRPC AgentService/Exec at the gateway (a bidi stream): anonymous → Unauthenticated; without gantry:tasks:exec → PermissionDenied; a superuser → past the check", async () => {
    const exec = async (token: string | undefined) => {
      const client = createGrpcClient(agentV1Service.AgentService, gateway, { ...(token ? { token } : {}), deadlineMs: 10_000 });
      async function* requests() {
        yield { message: { case: "start" as const, value: { taskId: "team-a_x.nope", command: ["true"] } } };
      }
      try {
        for await (const _ of client.exec(requests())) break;
        return "OK";
      } catch (err) {
        return err instanceof GantryError ? err.code : String(err);
      } finally {
        client.close();
      }
    };
    assert.equal(await exec(undefined), "Unauthenticated");
    assert.equal(await exec(nobody), "PermissionDenied");
    assert.equal(await exec(admin), "NotFound", "a superuser gets as far as the task look-up");
  });
});

describe("a team's user", () => {
  test("sees and changes team-a's apps only; a revoked grant stops it at once at the gateway and the scheduler", async () => {
    const root = iam(admin);
    await root.createUser({ name: "alice", password: PASSWORD });
    await root.createIamGroup({ name: "team-a" });
    await root.addMember({ group: "team-a", principal: "alice" });
    await root.grant({ holder: "group:team-a", resourceId: "gantry:apps:/team-a", action: "full" });
    const alice = await login("alice", PASSWORD);
    const as = (token: string) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });
    const post = (token: string, id: string) => fetch(`${base}/v2/apps`, { method: "POST", headers: as(token), body: JSON.stringify({ id, cmd: "sleep 3600", cpus: 0.01, mem: 16, instances: 0 }) });
    assert.equal((await post(admin, "/team-b/db")).status, 201);
    assert.equal((await post(alice, "/team-a/web")).status, 201);
    assert.equal((await post(alice, "/team-b/web")).status, 403);
    const listed = (await (await fetch(`${base}/v2/apps`, { headers: as(alice) })).json()) as { apps: { id: string }[] };
    assert.deepEqual(listed.apps.map((a) => a.id), ["/team-a/web"], "only team-a's apps are listed");
    assert.equal((await fetch(`${base}/v2/apps/team-b/db`, { headers: as(alice) })).status, 403);
    assert.equal((await fetch(`${base}/v2/apps/team-b/db`, { method: "DELETE", headers: as(alice) })).status, 403);
    assert.equal((await fetch(`${base}/v2/apps/team-a/web/tasks`, { headers: as(alice) })).status, 200, "its tasks (the scheduler's) are readable");

    await root.revoke({ holder: "group:team-a", resourceId: "gantry:apps:/team-a", action: "full" });
    await eventually("the revocation reaches the scheduler", async () => (await fetch(`${base}/v2/apps/team-a/web/tasks`, { headers: as(alice) })).status === 403, 5_000);
    assert.equal((await fetch(`${base}/v2/apps/team-a/web`, { headers: as(alice) })).status, 403);
    root.close();
  });
});
