import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { eventually, marathonHttp, runGantry, startHarnessCluster, type HarnessCluster, type Json } from "../support/index.ts";

// The CLI follows the deployments its changes start: progress until the end, exit 0 when it
// succeeded and 1 when it was cancelled; `deployment watch` and `deployment rollback`.

let cluster: HarnessCluster;
const { api } = marathonHttp(() => cluster);

before(async () => {
  cluster = await startHarnessCluster({ prefix: "cli_deploy" });
});

after(async () => {
  await cluster?.destroy();
});

const sleeper = (id: string, instances: number): Json => ({ id, cmd: "sleep 1000", cpus: 0.05, mem: 16, instances });
/** An app whose HTTP health check can never pass (nothing listens on its port): its deployment never ends by itself. */
const neverHealthy = (id: string): Json => ({ ...sleeper(id, 1), portDefinitions: [{ port: 0 }], healthChecks: [{ protocol: "HTTP", path: "/", portIndex: 0, gracePeriodSeconds: 300, intervalSeconds: 1, maxConsecutiveFailures: 0 }] });

/** 2 HTTP servers that start listening a second after they start: their deployment lasts a few seconds. */
const slowServers = (id: string): Json => ({
  id,
  cmd: `sleep 1; exec "${process.execPath}" -e "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT0), '127.0.0.1')"`,
  cpus: 0.05,
  mem: 128,
  instances: 2,
  portDefinitions: [{ port: 0 }],
  healthChecks: [{ protocol: "HTTP", path: "/", portIndex: 0, gracePeriodSeconds: 30, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 3 }],
});

test("app add follows its deployment: step and serving/wanted lines, then succeeded, exit 0", async () => {
  const r = await runGantry(["app", "add"], cluster.clientEnv, JSON.stringify(slowServers("/cli/followed")));
  assert.equal(r.code, 0, r.stderr);
  const m = /^created \/cli\/followed \(deployment (\S+), version \S+\)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  // Marathon plans a new app as StartApplication, then ScaleApplication to its instances.
  assert.match(r.stdout, /^step [12]\/2 (StartApplication|ScaleApplication) \/cli\/followed: [0-2]\/2 serving$/m);
  assert.match(r.stdout, new RegExp(`^deployment ${m[1]} succeeded$`, "m"));
  const tasks = (await api("GET", "/v2/apps/cli/followed/tasks")).json.tasks as Json[];
  assert.equal(tasks.filter((t) => t.state === "TASK_RUNNING" && t.healthCheckResults?.[0]?.alive === true).length, 2, "it returned once both serve");
});

test("a followed change superseded by a forced one exits 1, saying it was cancelled and by which deployment", async () => {
  const following = runGantry(["app", "add"], cluster.clientEnv, JSON.stringify(neverHealthy("/cli/superseded")));
  const stuck = await eventually("the first deployment running", async () => {
    const list = (await api("GET", "/v2/deployments")).json as Json[];
    return list.find((d) => d.affectedApps.includes("/cli/superseded"));
  });
  const forced = await runGantry(["app", "update", "/cli/superseded", "--force", "--detach"], cluster.clientEnv, JSON.stringify(sleeper("/cli/superseded", 1)));
  assert.equal(forced.code, 0, forced.stderr);
  const second = /\(deployment (\S+), version/.exec(forced.stdout)?.[1];
  const r = await following;
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`^error: deployment ${stuck.id} cancelled: superseded \\(by deployment ${second}\\)$`, "m"));
  const watched = await runGantry(["deployment", "watch", second!], cluster.clientEnv);
  assert.equal(watched.code, 0, watched.stderr);
  assert.match(watched.stdout, new RegExp(`^deployment ${second} succeeded$`, "m"));
});

test("deployment rollback cancels a stuck deployment and follows the rollback to its end", async () => {
  assert.equal((await runGantry(["app", "add"], cluster.clientEnv, JSON.stringify(sleeper("/cli/rolled", 1)))).code, 0);
  const update = await runGantry(["app", "update", "/cli/rolled", "--detach"], cluster.clientEnv, JSON.stringify(neverHealthy("/cli/rolled")));
  assert.equal(update.code, 0, update.stderr);
  const stuck = /\(deployment (\S+), version/.exec(update.stdout)![1]!;
  const r = await runGantry(["deployment", "rollback", stuck], cluster.clientEnv);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, new RegExp(`^cancelled ${stuck}; rolling back in deployment \\S+`, "m"));
  assert.match(r.stdout, /^deployment \S+ succeeded$/m);
  const app = (await api("GET", "/v2/apps/cli/rolled")).json.app as Json;
  assert.equal(app.healthChecks.length, 0, "the old definition is back");
  const watchStuck = await runGantry(["deployment", "watch", stuck], cluster.clientEnv);
  assert.equal(watchStuck.code, 1);
  assert.match(watchStuck.stderr, /cancelled: rollback/);
});
