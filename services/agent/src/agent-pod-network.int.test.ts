/**
 * A pod on a container network, run by a real agent (root, CNI plugins; real NATS): its own
 * network namespace, its containers reaching each other on localhost, its endpoint published on
 * the assigned host port; the network released when its last task ends, also by an agent that
 * restarted in between; and nothing left behind.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registryV1RunSpec, schedulerV1Model } from "@gantry/proto";
import { connectBus, type Bus } from "@gantry/platform/bus";
import { clusterNames, infrastructureUrls } from "@gantry/platform/config";
import { createLogger } from "@gantry/platform/logging";
import { eventually, freePort, pidsOfTask, within, writtenText } from "@gantry/test/support";
import { compileAgentOptions } from "./agent-options.ts";
import { startAgent, type RunningAgent } from "./agent-service.ts";
import { podNetnsName } from "./adapters/pod-network.cni.ts";
import { probeMachine } from "./adapters/machine-probe.ts";
import { closeFakeCluster, killCommand, launchInstanceCommand, runSpecOf, startFakeScheduler, type FakeScheduler } from "./testing/fake-scheduler.ts";

const { TaskState } = schedulerV1Model;
const machine = probeMachine();
const skip = process.getuid?.() !== 0 ? "needs root (network namespaces)" : machine.cniPluginDirs.length === 0 ? "needs CNI plugins (containernetworking-plugins)" : false;
const logger = createLogger("agent-pod-network-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const workDir = mkdtempSync(join(tmpdir(), "gantry-agent-podnet-"));
const configDir = mkdtempSync(join(tmpdir(), "gantry-agent-podnet-cni-"));
const agentId = `t-podnet-${randomBytes(3).toString("hex")}`;
const bridge = `gtp${randomBytes(3).toString("hex")}`;
const octet = 16 + Math.floor(Math.random() * 200);

let bus: Bus;
let scheduler: FakeScheduler;
let agent: RunningAgent | undefined;
const taskIds: string[] = [];

/** A server on $ENDPOINT_WEB answering its container id, and a client fetching it from localhost: Node, run by the agent's tasks. */
const SERVER = `require('node:http').createServer((q, s) => s.end('hello from ' + process.env.MARATHON_CONTAINER_ID)).listen(Number(process.env.ENDPOINT_WEB))`;
const CLIENT = `const go = () => fetch('http://127.0.0.1:' + process.env.ENDPOINT_WEB).then((r) => r.text()).then((t) => require('node:fs').writeFileSync('fetched', t), () => setTimeout(go, 100)); go(); setInterval(() => {}, 1e6)`;

before(async () => {
  if (skip) return;
  // The test's own network (bridge and subnet), shaped like the built-in default.
  writeFileSync(
    join(configDir, "10-test.conflist"),
    JSON.stringify({
      cniVersion: "1.0.0",
      name: "testnet",
      plugins: [
        { type: "bridge", bridge, isGateway: true, ipMasq: false, hairpinMode: true, ipam: { type: "host-local", ranges: [[{ subnet: `198.19.${octet}.0/24` }]], dataDir: join(workDir, "ipam") } },
        { type: "portmap", capabilities: { portMappings: true }, snat: true },
      ],
    }),
  );
  bus = await connectBus(infrastructureUrls().natsUrl, clusterNames(`t-podnet-${randomBytes(4).toString("hex")}`), "agent-pod-network-test");
  scheduler = await startFakeScheduler(bus, { logger, durable: "test_podnet_status" });
  agent = await start();
});

after(async () => {
  if (skip) return;
  await agent?.stop({ killTasks: true });
  await closeFakeCluster(scheduler, bus);
  for (const id of taskIds) assert.deepEqual(await pidsOfTask(id), [], `processes of ${id} left behind`);
  const { execFileSync } = await import("node:child_process");
  try {
    execFileSync("ip", ["link", "del", bridge], { stdio: "ignore" });
  } catch {
    // not there
  }
  rmSync(workDir, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

async function start(): Promise<RunningAgent> {
  const options = compileAgentOptions({ agentId, workDir, cpus: 4, mem: 4096, disk: 1024, cniConfigDir: configDir });
  const a = await startAgent(options, { bus, logger });
  await within("the agent to register", a.registered, 15_000);
  return a;
}

describe("a pod on a container network", { skip }, () => {
  it("gets its own namespace: its containers talk on localhost, its endpoint is published on the host port; the last task to end releases it, also after an agent restart", async () => {
    const instanceId = `test_podnet.${randomUUID()}`;
    const hostPort = await freePort();
    const spec = runSpecOf({
      id: "/test/podnet",
      containers: [
        {
          name: "server",
          argv: [process.execPath, "-e", SERVER],
          endpoints: [{ name: "web", hostPort: 0, containerPort: 8080 }],
          mem: 256,
          // A command check sees what the task sees: the pod's localhost (the agent's has nothing on 8080).
          healthChecks: [{ protocol: registryV1RunSpec.HealthCheckProtocol.COMMAND, command: { kind: { case: "shell", value: "bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080'" } }, endpointIndex: -1, intervalSeconds: 1, timeoutSeconds: 1, gracePeriodSeconds: 30, maxConsecutiveFailures: 0 }],
        },
        { name: "client", argv: [process.execPath, "-e", CLIENT], mem: 256 },
      ],
      networks: [{ mode: registryV1RunSpec.NetworkMode.CONTAINER, name: "testnet" }],
    });
    scheduler.send(agentId, 0n, launchInstanceCommand(instanceId, spec, { ports: [{ endpointIndex: 0, hostPort, container: "server" }] }));
    const [server, client] = [`${instanceId}.server`, `${instanceId}.client`];
    taskIds.push(server, client);
    for (const id of [server, client]) await scheduler.waitForState(id, TaskState.RUNNING);

    const netns = podNetnsName(agentId, instanceId);
    assert.ok(existsSync(`/run/netns/${netns}`), "the instance has its network namespace");
    const fetched = join(workDir, "sandboxes", client, "fetched");
    assert.equal(await eventually("the client to reach the server on localhost", () => writtenText(fetched), 15_000), "hello from server");
    const viaHost = await eventually("the server through the published host port", async () => {
      try {
        return await (await fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(2_000) })).text();
      } catch {
        return undefined;
      }
    }, 15_000);
    assert.equal(viaHost, "hello from server");
    const healthy = await eventually("the server's command check to pass in the pod's namespace", () => scheduler.updates.find((u) => u.taskId === server && u.healthy === true), 15_000);
    assert.equal(healthy.message, "healthy: COMMAND bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080' passed");
    await assert.rejects(fetch(`http://127.0.0.1:8080/`, { signal: AbortSignal.timeout(2_000) }), "the container port is not the host's");

    // A new agent on the same work directory takes over the instance's network.
    await agent!.stop({ killTasks: false });
    agent = await start();
    assert.ok(existsSync(`/run/netns/${netns}`), "a restart keeps the namespace of running tasks");
    scheduler.send(agentId, 0n, killCommand(server));
    await scheduler.waitForState(server, TaskState.KILLED);
    assert.ok(existsSync(`/run/netns/${netns}`), "kept while a task of the instance runs");
    scheduler.send(agentId, 0n, killCommand(client));
    await scheduler.waitForState(client, TaskState.KILLED);
    await eventually("the namespace deleted with the instance's last task", () => !existsSync(`/run/netns/${netns}`), 10_000);
    const record = JSON.parse(readFileSync(join(workDir, "instances", instanceId, "instance.json"), "utf8")) as { releasedAt?: string };
    assert.equal(typeof record.releasedAt, "string", "the record says the network was released");
  });

  it("a stop that follows a task's end waits until its instance's network is released", async () => {
    const instanceId = `test_podnet.${randomUUID()}`;
    const spec = runSpecOf({ id: "/test/podnet-stop", containers: [{ name: "c", shell: "sleep 1000" }], networks: [{ mode: registryV1RunSpec.NetworkMode.CONTAINER, name: "testnet" }] });
    scheduler.send(agentId, 0n, launchInstanceCommand(instanceId, spec));
    const taskId = `${instanceId}.c`;
    taskIds.push(taskId);
    await scheduler.waitForState(taskId, TaskState.RUNNING);
    scheduler.send(agentId, 0n, killCommand(taskId));
    // The process is gone well before the network is released (CNI DEL takes a few hundred ms).
    await eventually("the task's process to be gone", async () => (await pidsOfTask(taskId)).length === 0, 10_000, 10);
    await agent!.stop({ killTasks: true });
    const record = JSON.parse(readFileSync(join(workDir, "instances", instanceId, "instance.json"), "utf8")) as { releasedAt?: string };
    assert.equal(typeof record.releasedAt, "string", "released before the stop returned");
    assert.equal(existsSync(`/run/netns/${podNetnsName(agentId, instanceId)}`), false);
    agent = await start();
  });

  it("an unknown network fails the instance's tasks, naming the network, and leaves no namespace", async () => {
    const instanceId = `test_podnet.${randomUUID()}`;
    const spec = runSpecOf({ id: "/test/podnet-bad", containers: [{ name: "c", shell: "sleep 1000" }], networks: [{ mode: registryV1RunSpec.NetworkMode.CONTAINER, name: "nosuchnet" }] });
    scheduler.send(agentId, 0n, launchInstanceCommand(instanceId, spec));
    const failed = await scheduler.waitForState(`${instanceId}.c`, TaskState.FAILED);
    assert.match(failed.message, /^could not set up the instance: .*"nosuchnet"/);
    assert.equal(existsSync(`/run/netns/${podNetnsName(agentId, instanceId)}`), false);
  });
});
