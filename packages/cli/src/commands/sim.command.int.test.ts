/**
 * `gantry sim agents` as an operator runs it, against real NATS: a stand-in scheduler answers
 * registrations on `<cluster>.agent.register`; the command reports them, then Ctrl-C stops it.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { agentV1 } from "@gantry/proto";
import { infrastructureUrls } from "@gantry/platform";
import { createTestCluster, eventually } from "@gantry/platform/testing";

const GANTRY_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/gantry.js");
const cluster = createTestCluster();
const { natsUrl } = infrastructureUrls();

let nc: NatsConnection;
let registrar: Subscription;
let home: string;
const registrations: agentV1.AgentRegistration[] = [];

before(async () => {
  nc = await connect({ servers: natsUrl });
  registrar = nc.subscribe(cluster.names.subject("agent.register"), {
    callback: (_err, msg) => {
      const registration = fromBinary(agentV1.AgentRegistrationSchema, msg.data);
      registrations.push(registration);
      msg.respond(toBinary(agentV1.AgentRegisteredSchema, create(agentV1.AgentRegisteredSchema, { agentId: registration.agentId, heartbeatIntervalSeconds: 5, epoch: 1n, logId: "log" })));
    },
  });
  home = await mkdtemp(path.join(tmpdir(), "gantry-sim-"));
});

after(async () => {
  registrar?.unsubscribe();
  await cluster.cleanup(nc);
  await nc?.close();
  await rm(home, { recursive: true, force: true });
});

/** A running `gantry` child whose output is collected as it comes. */
interface Running {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [GANTRY_BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

/** Ctrl-C, then the exit code (failing the test when it takes more than 15 s). */
async function interrupt(run: Running): Promise<number | null> {
  run.child.kill("SIGINT");
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`gantry did not stop: ${run.err()}`)), 15_000).unref());
  return Promise.race([run.exited, timeout]);
}

describe("gantry sim agents", () => {
  test("registers N agents offering what the flags say, prints how many, and stops cleanly on Ctrl-C", async () => {
    const env = { ...process.env, GANTRY_HOME: home, NATS_URL: natsUrl, GANTRY_CLUSTER: cluster.names.cluster };
    const run = start(["sim", "agents", "--count", "3", "--id-prefix", "cli", "--cpus", "2", "--mem", "512", "--gpus", "1", "--ports", "31000-31009", "--roles", "*,gpu", "--attributes", "rack:r{n%2};zone:a"], env);
    await eventually(() => `the registered line in: ${run.out()} ${run.err()}`, () => run.out().includes("3/3 simulated agents registered"), 20_000);
    assert.match(run.out(), new RegExp(`^started 3 simulated agents \\(cli-0 … cli-2\\) on cluster "${cluster.names.cluster}" at ${natsUrl}`, "m"));
    const ours = registrations.filter((r) => r.agentId.startsWith("cli-"));
    assert.deepEqual(ours.map((r) => r.agentId).sort(), ["cli-0", "cli-1", "cli-2"]);
    const first = ours.find((r) => r.agentId === "cli-1")!;
    assert.deepEqual({ cpus: first.resources?.cpus, mem: first.resources?.mem, gpus: first.gpus.length }, { cpus: 2, mem: 512, gpus: 1 });
    assert.deepEqual(first.ports.map((p) => [p.begin, p.end]), [[31000, 31009]]);
    assert.deepEqual(first.roles, ["*", "gpu"]);
    assert.deepEqual(first.attributes, { rack: "r1", zone: "a" });
    assert.deepEqual(first.capabilities, ["simulated"]);
    assert.equal(await interrupt(run), 0, run.err());
    assert.match(run.out(), /stopping the simulated agents…\nsimulated agents stopped\.\n$/);
  });

  test("--json prints one object once registered; the cluster defaults to the one `gantry up` left a file for", async () => {
    await mkdir(path.join(home, cluster.names.cluster), { recursive: true });
    await writeFile(path.join(home, cluster.names.cluster, "cluster.json"), JSON.stringify({ url: "http://127.0.0.1:1", token: "t" }));
    const { GANTRY_CLUSTER: _unset, ...rest } = process.env;
    const run = start(["sim", "agents", "--count", "2", "--id-prefix", "json", "--nats-url", natsUrl, "--json"], { ...rest, GANTRY_HOME: home });
    const printed = await eventually(() => `a JSON line in: ${run.out()} ${run.err()}`, () => run.out().endsWith("}\n") && JSON.parse(run.out()), 20_000);
    assert.deepEqual(printed, { cluster: cluster.names.cluster, natsUrl, agents: ["json-0", "json-1"], registered: true });
    assert.equal(await interrupt(run), 0, run.err());
    assert.equal(run.out(), JSON.stringify(printed, null, 2) + "\n", "nothing but the JSON on stdout");
  });
});
