/**
 * `gantry up --tls`: a cluster CA in the data dir and a certificate per part; NATS requires
 * client certificates of that CA, the gateway serves HTTPS (and gRPC over TLS) with one, and the
 * CLI checks it against the CA the cluster file names. Run as a new user would (no DATABASE_URL,
 * no NATS_URL): an agent registers over mutual TLS, an app runs, plaintext is refused.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { gatewayFetch, natsTls } from "@gantry/platform";
import { eventually, runGantry, type CliResult } from "@gantry/test/support";

const cluster = `t-tls-${randomBytes(3).toString("hex")}`;
let home: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;

function ok(result: CliResult, what: string): CliResult {
  assert.equal(result.code, 0, `${what} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

before(async () => {
  home = await mkdtemp(path.join(tmpdir(), "gantry-tls-test-"));
  dataDir = path.join(home, "data");
  const { DATABASE_URL: _db, NATS_URL: _nats, GANTRY_URL: _url, GANTRY_TOKEN: _token, GANTRY_CLUSTER: _cluster, ...rest } = process.env;
  env = { ...rest, GANTRY_HOME: home, GANTRY_LOG_LEVEL: "info" };
});

after(async () => {
  await runGantry(["down", "--cluster", cluster, "--data-dir", dataDir, "--purge"], env);
  await rm(home, { recursive: true, force: true });
});

test("gantry up --tls: HTTPS and gRPC over TLS checked against the cluster CA, an agent on mutual-TLS NATS runs a task, plaintext refused", async () => {
  ok(await runGantry(["up", "--detach", "--tls", "--port", "0", "--cluster", cluster, "--data-dir", dataDir, "--isolation", "none"], env), "gantry up --detach --tls");
  const file = JSON.parse(readFileSync(path.join(home, cluster, "cluster.json"), "utf8")) as { url: string; token: string; ca: string };
  assert.match(file.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = readFileSync(file.ca, "utf8");
  const https = gatewayFetch(ca);
  const info = await https(new URL("/v2/info", file.url), { headers: { authorization: `Bearer ${file.token}` } });
  assert.equal(info.status, 200);
  await assert.rejects(fetch(new URL("/v2/info", file.url.replace("https:", "http:")), { signal: AbortSignal.timeout(3_000) }), "plain HTTP on the HTTPS port gets no answer");
  await assert.rejects(fetch(new URL("/ping", file.url), { signal: AbortSignal.timeout(3_000) }), "a client that does not trust the cluster CA refuses the certificate");

  // The CLI (gRPC over TLS) finds the CA in the cluster file.
  ok(await runGantry(["--cluster", cluster, "app", "add", "--detach", "-"], env, JSON.stringify({ id: "/secure", cmd: "sleep 600", cpus: 0.1, mem: 16 })), "gantry app add");
  await eventually("a running task of /secure", async () => {
    const list = await runGantry(["--cluster", cluster, "task", "list", "--json"], env);
    return list.code === 0 && list.stdout.includes("TASK_RUNNING");
  }, 60_000);
  // Exec: CLI → gateway (TLS) → the agent's endpoint (mutual TLS with the cluster CA, a ticket).
  const exec = ok(await runGantry(["--cluster", cluster, "task", "exec", "secure", "--", "echo", "over-tls"], env), "gantry task exec");
  assert.equal(exec.stdout, "over-tls\n");

  // NATS: mutual TLS only.
  const record = JSON.parse(readFileSync(path.join(dataDir, "infrastructure.json"), "utf8")) as { nats: { url: string } };
  await assert.rejects(connect({ servers: record.nats.url, timeout: 2_000, reconnect: false }), "a plaintext NATS client is refused");
  const tlsDir = path.join(dataDir, "tls");
  const agent = { ca: readFileSync(path.join(tlsDir, "ca.crt"), "utf8"), cert: readFileSync(path.join(tlsDir, "agent-1.crt"), "utf8"), key: readFileSync(path.join(tlsDir, "agent-1.key"), "utf8") };
  const nc = await connect({ servers: record.nats.url, timeout: 2_000, reconnect: false, ...natsTls(agent) });
  await nc.close();
  const doctor = await runGantry(["doctor", "--cluster", cluster, "--data-dir", dataDir], env);
  assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
});
