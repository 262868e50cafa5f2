/**
 * The agents' health probe against a real NATS server with monitoring on (as in
 * infra/compose.yaml): a client connected through connectBus, as the agent connects
 * (`agent/<agentId>` in its cluster), is seen under `<cluster>/agent/<agentId>` while connected,
 * and not once it closed. The test's own nats-server (ports picked here, a temporary JetStream
 * directory) is stopped and removed after.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { clusterNames, connectBus } from "@gantry/platform";
import { eventually } from "@gantry/platform/testing";
import { freePort } from "@gantry/test/support";
import { probeNatsClient } from "./probes.ts";

const NATS_SERVER = "/usr/sbin/nats-server";
let server: ChildProcess;
let storeDir: string;
let natsUrl: string;
let monitorUrl: string;

before(async () => {
  const [port, monitorPort] = [await freePort(), await freePort()];
  storeDir = mkdtempSync(path.join(tmpdir(), "gantry-probe-nats-"));
  server = spawn(NATS_SERVER, ["-a", "127.0.0.1", "-p", String(port), "-m", String(monitorPort), "-js", "-sd", storeDir], { stdio: "ignore" });
  natsUrl = `nats://127.0.0.1:${port}`;
  monitorUrl = `http://127.0.0.1:${monitorPort}`;
  await eventually("the test's nats-server to serve monitoring", async () => (await fetch(`${monitorUrl}/healthz`)).ok, 10_000);
});

after(async () => {
  if (server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  rmSync(storeDir, { recursive: true, force: true });
});

test("an agent's NATS connection is healthy while connected, not once closed", async () => {
  const names = clusterNames("probe-test");
  const bus = await connectBus(natsUrl, names, "agent/agent-1");
  try {
    assert.deepEqual(await probeNatsClient(monitorUrl, "probe-test/agent/agent-1", 2_000), {
      healthy: true,
      detail: `NATS client "probe-test/agent/agent-1" is connected to ${monitorUrl}`,
    });
    assert.equal((await probeNatsClient(monitorUrl, "probe-test/agent/agent-2", 2_000)).healthy, false, "another agent's name is not this connection");
  } finally {
    await bus.close();
  }
  await eventually("the closed connection to leave the server's list", async () => !(await probeNatsClient(monitorUrl, "probe-test/agent/agent-1", 2_000)).healthy, 10_000);
});

test("a NATS server that cannot be reached is not healthy", async () => {
  const result = await probeNatsClient("http://127.0.0.1:1", "probe-test/agent/agent-1", 2_000);
  assert.equal(result.healthy, false);
  assert.match(result.detail, /^GET http:\/\/127.0.0.1:1\/connz\?limit=100000: /);
});
