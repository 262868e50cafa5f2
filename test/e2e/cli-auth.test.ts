import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { runGantry, startHarnessCluster, type CliResult, type HarnessCluster } from "../support/index.ts";

// The CLI's access control as an operator and a developer use it on a single-node cluster (the
// launcher's): the admin creates a user and grants it a team's path; the user logs in (the
// session kept per gateway), sees and changes only that path, and logs out.

let cluster: HarnessCluster;

before(async () => {
  cluster = await startHarnessCluster({ prefix: "cli_auth", agent: false });
});

after(async () => {
  await cluster?.destroy();
});

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

test("gantry iam user create / grant, gantry auth login|whoami|logout: the user acts within its grant, then not at all", async () => {
  const admin = cluster.clientEnv;
  ok(await runGantry(["iam", "user", "create", "dana", "--password-stdin"], admin, "dana's long password\n"), "iam user create");
  ok(await runGantry(["iam", "grant", "dana", "gantry:apps:/team-d", "full"], admin), "iam grant");
  ok(await runGantry(["app", "add", "--detach", "-"], admin, JSON.stringify({ id: "/other/app", cmd: "sleep 600", cpus: 0.1, mem: 16, instances: 0 })), "admin app add");

  const { GANTRY_TOKEN: _token, ...user } = admin; // no token: the login's session stands for dana
  ok(await runGantry(["auth", "login", "--username", "dana", "--password-stdin"], user, "dana's long password\n"), "auth login");
  const me = ok(await runGantry(["auth", "whoami"], user), "auth whoami").stdout;
  assert.match(me, /^dana/);
  assert.match(me, /gantry:apps:\/team-d full/);
  ok(await runGantry(["app", "add", "--detach", "-"], user, JSON.stringify({ id: "/team-d/web", cmd: "sleep 600", cpus: 0.1, mem: 16, instances: 0 })), "dana's app add");
  const listed = ok(await runGantry(["app", "list", "--json"], user), "app list").stdout;
  assert.match(listed, /\/team-d\/web/);
  assert.doesNotMatch(listed, /\/other\/app/, "only dana's path is listed");
  const refused = await runGantry(["app", "add", "--detach", "-"], user, JSON.stringify({ id: "/other/web", cmd: "sleep 600", cpus: 0.1, mem: 16, instances: 0 }));
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /may not create gantry:apps:\/other\/web/);
  const wrong = await runGantry(["auth", "login", "--username", "dana", "--password-stdin"], user, "not the password\n");
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /login refused/);

  const sessions = JSON.parse(readFileSync(path.join(admin.GANTRY_HOME!, "sessions.json"), "utf8")) as Record<string, { principal: string; token: string }>;
  const session = Object.values(sessions)[0]!;
  assert.equal(session.principal, "dana");
  ok(await runGantry(["auth", "logout"], user), "auth logout");
  const revoked = await runGantry(["app", "list"], { ...user, GANTRY_TOKEN: session.token });
  assert.notEqual(revoked.code, 0, "dana's token no longer works after logout");
  assert.match(revoked.stderr, /Unauthenticated|invalid or expired token/i);
  assert.deepEqual(JSON.parse(readFileSync(path.join(admin.GANTRY_HOME!, "sessions.json"), "utf8")), {}, "the session is forgotten");
});
