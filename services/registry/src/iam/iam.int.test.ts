/**
 * Principals, groups, grants and tokens over gRPC against a real Postgres: logins (a user's
 * password, a service account's RS256 JWT), path-scoped grants taking effect and being revoked
 * at once, logout and password changes ending tokens, clear errors for bad input, and the log
 * recording every change with its acting principal and never a secret.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { SignJWT } from "jose";
import { registryV1, registryV1Iam } from "@gantry/proto";
import { createAuthenticator, createGrpcClient, createLogger, createTokenSigner, GantryError, generateSigningKey, openDatabase, type Database, type GrpcClient } from "@gantry/platform";
import { createTestCluster, createTestDatabase, eventually, type TestDatabase } from "@gantry/platform/testing";
import { startRegistry, type RunningRegistry } from "../start-registry.ts";

const signer = createTokenSigner(generateSigningKey());
const authenticator = createAuthenticator(signer);
const admin = signer.issue({ name: "root", roles: ["admin"] }).token;
const cluster = createTestCluster();
const PASSWORD = "correct horse battery staple";
let testDb: TestDatabase;
let database: Database;
let registry: RunningRegistry;

const iamAs = (token?: string) => createGrpcClient(registryV1Iam.IamService, `127.0.0.1:${registry.port}`, { ...(token ? { token } : {}), deadlineMs: 15_000 });
const appsAs = (token: string) => createGrpcClient(registryV1.RegistryService, `127.0.0.1:${registry.port}`, { token, deadlineMs: 15_000 });
const clients: { close(): void }[] = [];
function track<T extends { close(): void }>(c: T): T {
  clients.push(c);
  return c;
}

async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GantryError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return;
  }
  assert.fail(`expected ${code}`);
}

const app = (id: string) => ({ id, cmd: "sleep 1", cpus: 0.1, mem: 32 });

before(async () => {
  testDb = await createTestDatabase("registry_iam");
  database = await openDatabase(testDb.url, { max: 2 });
  registry = await startRegistry({ databaseUrl: testDb.url, natsUrl: "nats://127.0.0.1:1", names: cluster.names, host: "127.0.0.1", port: 0, authenticator, signer, logger: createLogger("iam-test", { level: "warn" }), relay: false });
});

after(async () => {
  for (const c of clients) c.close();
  await registry?.stop();
  await database?.close();
  await testDb?.drop();
});

describe("IAM", () => {
  let root: GrpcClient<typeof registryV1Iam.IamService>;
  before(() => {
    root = track(iamAs(admin));
  });

  test("a user logs in with its password; its group's path-scoped grant lets it change team-a's apps only; a revoked grant stops at once; logout ends the token", async () => {
    await root.createUser({ name: "carol", password: PASSWORD, description: "team-a developer" });
    await root.createIamGroup({ name: "team-a" });
    await root.addMember({ group: "team-a", principal: "carol" });
    await root.grant({ holder: "group:team-a", resourceId: "gantry:apps:/team-a", action: "full" });
    const anonymous = track(iamAs());
    await rejects(anonymous.login({ uid: "carol", password: "wrong password!" }), "Unauthenticated", /^login refused: unknown principal or wrong credentials$/);
    await rejects(anonymous.login({ uid: "nobody", password: PASSWORD }), "Unauthenticated", /^login refused: unknown principal or wrong credentials$/);
    const login = await anonymous.login({ uid: "carol", password: PASSWORD });
    assert.ok(login.token && login.tokenId && Date.parse(login.expiresAt) > Date.now());

    const me = await track(iamAs(login.token)).whoAmI({});
    assert.equal(me.principal, "carol");
    assert.deepEqual(me.groups, ["team-a"]);
    assert.deepEqual(me.permissions.map((p) => `${p.resourceId} ${p.action}`), ["gantry:apps:/team-a full"]);
    assert.equal(me.tokenId, login.tokenId);

    const carol = track(appsAs(login.token));
    await carol.createApp({ definition: app("/team-a/web") });
    await rejects(carol.createApp({ definition: app("/team-b/web") }), "PermissionDenied", /carol.*create gantry:apps:\/team-b\/web/);
    await rejects(track(iamAs(login.token)).createUser({ name: "mallory", password: PASSWORD }), "PermissionDenied", /create gantry:iam/);

    await root.revoke({ holder: "group:team-a", resourceId: "gantry:apps:/team-a", action: "full" });
    await rejects(carol.getApp({ id: "/team-a/web" }), "PermissionDenied", /read gantry:apps:\/team-a\/web/);
    await root.grant({ holder: "carol", resourceId: "gantry:apps:/team-a", action: "read" });
    await carol.getApp({ id: "/team-a/web" });

    await track(iamAs(login.token)).logout({});
    await rejects(carol.getApp({ id: "/team-a/web" }), "Unauthenticated");
  });

  test("a password change ends the tokens issued before it; the new password logs in", async () => {
    await root.createUser({ name: "dave", password: PASSWORD });
    const anonymous = track(iamAs());
    const old = await anonymous.login({ uid: "dave", password: PASSWORD });
    await track(iamAs(old.token)).whoAmI({});
    await new Promise((r) => setTimeout(r, 1_100)); // tokens are dated in whole seconds
    await root.setPassword({ name: "dave", password: "another long password" });
    await rejects(track(iamAs(old.token)).whoAmI({}), "Unauthenticated");
    await rejects(anonymous.login({ uid: "dave", password: PASSWORD }), "Unauthenticated");
    const fresh = await anonymous.login({ uid: "dave", password: "another long password" });
    assert.equal((await track(iamAs(fresh.token)).whoAmI({})).principal, "dave");
  });

  test("a service account logs in with an RS256 JWT signed by its key; another key, a far expiry or another uid is refused", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await root.createServiceAccount({ name: "ci", publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() });
    const jwt = (uid: string, key = privateKey, expiresIn = "5m") => new SignJWT({ uid }).setProtectedHeader({ alg: "RS256" }).setExpirationTime(expiresIn).sign(key);
    const anonymous = track(iamAs());
    const login = await anonymous.login({ uid: "ci", token: await jwt("ci") });
    assert.equal((await track(iamAs(login.token)).whoAmI({})).principal, "ci");
    await rejects(anonymous.login({ uid: "ci", token: await jwt("ci", other.privateKey) }), "Unauthenticated");
    await rejects(anonymous.login({ uid: "ci", token: await jwt("ci", privateKey, "2h") }), "Unauthenticated");
    await rejects(anonymous.login({ uid: "ci", token: await jwt("carol") }), "Unauthenticated");
    await rejects(anonymous.login({ uid: "ci", password: PASSWORD }), "Unauthenticated", /login refused/);
  });

  test("two registry replicas granting to the same principal at once: both grants land (the second writer catches up and decides again)", async () => {
    const second = await startRegistry({ databaseUrl: testDb.url, natsUrl: "nats://127.0.0.1:1", names: cluster.names, host: "127.0.0.1", port: 0, authenticator: createAuthenticator(signer), signer, logger: createLogger("iam-test-2", { level: "error" }), relay: false });
    const other = track(createGrpcClient(registryV1Iam.IamService, `127.0.0.1:${second.port}`, { token: admin, deadlineMs: 15_000 }));
    try {
      await root.createUser({ name: "erin", password: PASSWORD });
      await eventually("the second replica to know erin", async () => (await other.listPrincipals({})).principals.some((p) => p.name === "erin"), 5_000);
      for (let round = 0; round < 5; round++) {
        await Promise.all([
          root.grant({ holder: "erin", resourceId: `gantry:apps:/a${round}`, action: "read" }),
          other.grant({ holder: "erin", resourceId: `gantry:apps:/b${round}`, action: "read" }),
        ]);
      }
      // Every call succeeded (a lost race is retried, not refused); each replica sees all ten once it followed the other's writes.
      for (const replica of [root, other]) {
        await eventually("all ten grants", async () => (await replica.listPrincipals({})).principals.find((p) => p.name === "erin")!.permissions.length === 10, 5_000);
      }
    } finally {
      await second.stop();
    }
  });

  test("bad input is refused naming the field; unknown holders and groups are NotFound; duplicates AlreadyExists", async () => {
    await rejects(root.createUser({ name: "Bad Name", password: PASSWORD }), "InvalidArgument", /^name: "Bad Name" is not a valid name/);
    await rejects(root.createUser({ name: "erin", password: "short" }), "InvalidArgument", /^password: must be at least 8 characters/);
    await rejects(root.createServiceAccount({ name: "svc", publicKeyPem: "not a key" }), "InvalidArgument", /^public_key_pem: not a PEM public key/);
    await rejects(root.grant({ holder: "carol", resourceId: "gantry:widgets", action: "read" }), "InvalidArgument", /^resource_id: unknown resource "gantry:widgets"/);
    await rejects(root.grant({ holder: "carol", resourceId: "gantry:apps:/x", action: "own" }), "InvalidArgument", /^action: unknown action "own"/);
    await rejects(root.grant({ holder: "nobody", resourceId: "gantry:apps", action: "read" }), "NotFound", /principal "nobody" does not exist/);
    await rejects(root.addMember({ group: "no-such-group", principal: "carol" }), "NotFound", /group "no-such-group" does not exist/);
    await rejects(root.createUser({ name: "carol", password: PASSWORD }), "AlreadyExists", /principal "carol" already exists/);
  });

  test("every refusal is in the log: who, what was missing, which method", async () => {
    const denial = async () =>
      (await database.pool.query<{ principal: string; data: { resourceId: string; action: string; method: string } }>(
        "SELECT metadata->>'principal' AS principal, data FROM events WHERE event_type = 'AccessDenied' AND data->>'resourceId' = 'gantry:apps:/team-b/web'",
      )).rows[0];
    await eventually("the refused create recorded", async () => (await denial()) !== undefined, 5_000);
    assert.deepEqual(await denial(), { principal: "carol", data: { principal: "carol", resourceId: "gantry:apps:/team-b/web", action: "create", method: "/gantry.registry.v1.RegistryService/CreateApp" } });
  });

  test("every IAM change is in the log with its acting principal, and no password or token is", async () => {
    const rows = (await database.pool.query<{ stream_id: string; event_type: string; principal: string; body: string }>(
      "SELECT stream_id, event_type, metadata->>'principal' AS principal, data::text || metadata::text AS body FROM events WHERE stream_id LIKE 'principal-%' OR stream_id LIKE 'iamgroup-%' ORDER BY global_position",
    )).rows;
    const changes = rows.filter((r) => r.event_type !== "TokenIssued" && r.event_type !== "TokenRevoked");
    assert.ok(changes.length >= 8);
    for (const r of changes) assert.equal(r.principal, "root", `${r.stream_id} ${r.event_type}`);
    assert.ok(rows.some((r) => r.event_type === "TokenIssued" && r.principal === "carol"), "a login is recorded as its principal's");
    assert.ok(rows.some((r) => r.event_type === "TokenRevoked" && r.principal === "carol"), "so is a logout");
    for (const r of rows) {
      assert.ok(!r.body.includes(PASSWORD) && !r.body.includes("another long password"), `${r.event_type} holds no password`);
      assert.ok(!r.body.includes("gty_"), `${r.event_type} holds no token`);
    }
  });
});
