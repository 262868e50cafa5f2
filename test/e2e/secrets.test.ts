/**
 * Secrets end to end, every part its own process at debug log level (registry, scheduler,
 * gateway, one agent without isolation): a secret stored through the CLI reaches a task's
 * environment, and its value is nowhere else: not in the log (PostgreSQL), not in any API
 * answer, not in any service's or the agent's own logs, not in any file of the agent but the
 * task's own output. Using a secret takes `gantry:secrets:<path> read`; an unknown one is refused.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { registryV1Iam } from "@gantry/proto";
import { createGrpcClient, createTokenSigner, generateSecretsKey, generateSigningKey, infrastructureUrls, openDatabase } from "@gantry/platform";
import { createTestCluster, createTestDatabase, eventually, type TestDatabase } from "@gantry/platform/testing";
import { freePort, runGantry, startServiceProcess, type ServiceProcess } from "@gantry/test/support";

const key = generateSigningKey();
const admin = createTokenSigner(key).issue({ name: "root", roles: ["admin"] }).token;
const cluster = createTestCluster();
const VALUE = `s3cr3t-${randomBytes(12).toString("hex")}`;
let testDb: TestDatabase;
let home = "";
let workDir = "";
let base = "";
let gateway = "";
const processes: ServiceProcess[] = [];

before(async () => {
  testDb = await createTestDatabase("secrets");
  home = await mkdtemp(path.join(tmpdir(), "gantry-secrets-"));
  workDir = path.join(home, "agent");
  const keyFile = path.join(home, "secrets.key");
  writeFileSync(keyFile, generateSecretsKey().toString("base64"), { mode: 0o600 });
  const env = { DATABASE_URL: testDb.url, NATS_URL: infrastructureUrls().natsUrl, GANTRY_CLUSTER: cluster.names.cluster, GANTRY_AUTH_KEY: key.toString("base64"), GANTRY_LOG_LEVEL: "debug", GANTRY_SECRETS_KEY_FILE: keyFile };
  const [registryPort, schedulerPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
  processes.push(startServiceProcess("registry", "services/registry/src/main.ts", ["--port", String(registryPort)], env));
  processes.push(startServiceProcess("scheduler", "services/scheduler/src/main.ts", ["--port", String(schedulerPort)], env));
  processes.push(startServiceProcess("gateway", "services/gateway/src/main.ts", ["--port", String(gatewayPort)], { ...env, GANTRY_REGISTRY_ADDRESS: `127.0.0.1:${registryPort}`, GANTRY_SCHEDULER_ADDRESS: `127.0.0.1:${schedulerPort}` }));
  processes.push(startServiceProcess("agent", "services/agent/src/main.ts", ["--cluster", cluster.names.cluster, "--agent-id", "secret-agent", "--work-dir", workDir, "--isolation", "none", "--cpus", "2", "--mem", "2048", "--kill-tasks-on-exit"], env));
  gateway = `127.0.0.1:${gatewayPort}`;
  base = `http://${gateway}`;
  await eventually("the gateway, both backends and the agent", async () => {
    const r = await fetch(`${base}/v2/info`, { headers: { authorization: `Bearer ${admin}` } }).catch(() => undefined);
    if (r?.status !== 200) return false;
    const agents = await runGantry(["node", "list", "--json"], cli());
    return agents.stdout.includes("secret-agent");
  }, 60_000);
});

after(async () => {
  for (const p of processes.reverse()) await p.stop(5_000);
  const nc = await connect({ servers: infrastructureUrls().natsUrl });
  await cluster.cleanup(nc).finally(() => nc.close());
  await testDb?.drop();
  await rm(home, { recursive: true, force: true });
});

const cli = (token = admin) => ({ ...process.env, GANTRY_URL: base, GANTRY_TOKEN: token, GANTRY_HOME: home });
const http = (method: string, url: string, body?: unknown, token = admin) =>
  fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
const usingSecret = (id: string, source: string) => ({ id, cmd: 'echo "seen=$DB_PASSWORD"; sleep 600', cpus: 0.1, mem: 32, secrets: { db: { source } }, env: { DB_PASSWORD: { secret: "db" } } });

/** Every file under `dir`, with whether it holds `text`. */
function filesHolding(dir: string, text: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(p);
      else if (st?.isFile() && readFileSync(p).includes(text)) out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

test("a stored secret reaches the task's environment and nowhere else: log, API answers, services' and agent's logs, agent files", async () => {
  const created = await runGantry(["secret", "create", "/team-a/db", "--value-stdin"], cli(), VALUE);
  assert.equal(created.code, 0, created.stderr);
  assert.equal((await http("POST", "/v2/apps", usingSecret("/team-a/web", "/team-a/db"))).status, 201);
  const holders = await eventually("the task's output with the secret", () => {
    const files = filesHolding(workDir, `seen=${VALUE}`);
    return files.length > 0 ? files : undefined;
  }, 60_000);
  assert.ok(holders.every((f) => /(^|\/)stdout$/.test(f)), `only the task's stdout holds it: ${holders.join(", ")}`);
  assert.deepEqual(filesHolding(workDir, VALUE).filter((f) => !/(^|\/)stdout$/.test(f)), [], "no checkpoint or other agent file holds the value");

  const database = openDatabase(testDb.url, { max: 1 });
  try {
    const rows = (await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE data::text LIKE $1 OR metadata::text LIKE $1", [`%${VALUE}%`])).rows;
    assert.equal(rows[0]!.n, 0, "no event holds the value");
  } finally {
    await database.close();
  }
  for (const url of ["/v2/apps/team-a/web", "/v2/apps?embed=apps.tasks", "/v2/tasks", "/v2/groups?embed=group.apps", "/v2/apps/team-a/web/versions"]) {
    assert.ok(!(await (await http("GET", url)).text()).includes(VALUE), `${url} holds no value`);
  }
  for (const args of [["secret", "list", "--json"], ["app", "show", "/team-a/web", "--json"], ["task", "list", "--json"]]) {
    const r = await runGantry(args, cli());
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(VALUE), `gantry ${args.join(" ")} shows no value`);
  }
  assert.match((await runGantry(["secret", "list"], cli())).stdout, /\/team-a\/db/);
  for (const p of processes) assert.ok(!p.wrote(VALUE), `${p.name}'s logs hold no value`);
});

test("using a secret needs gantry:secrets read on it; an unknown secret is refused at /secrets/<name>/source", async () => {
  const iam = createGrpcClient(registryV1Iam.IamService, gateway, { token: admin, deadlineMs: 10_000 });
  try {
    await iam.createUser({ name: "bob", password: "bob's long password" });
    await iam.grant({ holder: "bob", resourceId: "gantry:apps:/team-b", action: "full" });
    const login = await fetch(`${base}/acs/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ uid: "bob", password: "bob's long password" }) });
    const bob = ((await login.json()) as { token: string }).token;
    const refused = await http("POST", "/v2/apps", usingSecret("/team-b/thief", "/team-a/db"), bob);
    assert.equal(refused.status, 403, "team-b may not carry team-a's secret into its task");
    assert.match(await refused.text(), /may not read gantry:secrets:\/team-a\/db/);
    await iam.grant({ holder: "bob", resourceId: "gantry:secrets:/team-a/db", action: "read" });
    assert.equal((await http("POST", "/v2/apps", usingSecret("/team-b/allowed", "/team-a/db"), bob)).status, 201);
  } finally {
    iam.close();
  }
  const unknown = await http("POST", "/v2/apps", usingSecret("/team-a/other", "/team-a/nope"));
  assert.equal(unknown.status, 422);
  const body = (await unknown.json()) as { details: { path: string; errors: string[] }[] };
  assert.deepEqual(body.details.map((d) => d.path), ["/secrets/db/source"]);
  assert.match(body.details[0]!.errors[0]!, /secret "\/team-a\/nope" does not exist/);
});
