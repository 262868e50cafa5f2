/**
 * Health checks run by the agent against real task processes (real NATS; cgroups as root): HTTP,
 * TCP and COMMAND checks, Marathon's grace period, verdict changes reported as RUNNING updates
 * with `healthy`, a task whose check fails too often killed by the agent (KILLED, saying why),
 * and checks resumed by an agent that restarted.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registryV1RunSpec, schedulerV1Model, type agentV1 } from "@gantry/proto";
import { connectBus, type Bus } from "@gantry/platform/bus";
import { clusterNames, infrastructureUrls } from "@gantry/platform/config";
import { createLogger } from "@gantry/platform/logging";
import { eventually, freePort, pidsOfTask, within } from "@gantry/test/support";
import { compileAgentOptions } from "./agent-options.ts";
import { startAgent, type RunningAgent } from "./agent-service.ts";
import type { AgentOptions } from "./domain/index.ts";
import { closeFakeCluster, killCommand, launchInstanceCommand, runSpecOf, startFakeScheduler, type FakeScheduler } from "./testing/fake-scheduler.ts";

const { TaskState } = schedulerV1Model;
const { HealthCheckProtocol } = registryV1RunSpec;
const isRoot = process.getuid?.() === 0;
const logger = createLogger("agent-health-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const workDir = mkdtempSync(join(tmpdir(), "gantry-agent-health-"));
const agentId = `t-health-${randomBytes(3).toString("hex")}`;
const options: AgentOptions = compileAgentOptions({ agentId, workDir, cpus: 4, mem: 4096, disk: 1024, isolation: isRoot ? "cgroups" : "none" });

let bus: Bus;
let scheduler: FakeScheduler;
let agent: RunningAgent;
const launched: string[] = [];

/** A Node HTTP server on $PORT0 answering every request with $CODE (a real task process). */
const HTTP_SERVER = [process.execPath, "-e", "require('node:http').createServer((q, s) => { s.statusCode = Number(process.env.CODE); s.end(); }).listen(Number(process.env.PORT0), '127.0.0.1')"];

/**
 * Check timings: probe every second, a 1 s timeout, killed after `max` failures in a row; a 3 s
 * grace period covers the server's start (the first probe runs at once, before it listens).
 */
const every1s = (max: number) => ({ intervalSeconds: 1, timeoutSeconds: 1, gracePeriodSeconds: 3, maxConsecutiveFailures: max, endpointIndex: 0 });

/** Launches a one-container app instance; returns its task id. */
async function launchApp(name: string, container: Parameters<typeof runSpecOf>[0]["containers"] extends (infer C)[] | undefined ? C : never, hostPort?: number): Promise<string> {
  const instanceId = `test_health_${name}.${randomUUID()}`;
  const runSpec = runSpecOf({ id: `/test/health/${name}`, containers: [{ mem: 256, cpus: 0.2, ...container }] });
  const command = launchInstanceCommand(instanceId, runSpec, hostPort === undefined ? {} : { ports: [{ endpointIndex: 0, hostPort }] });
  const taskId = (command.command.value as agentV1.LaunchInstance).taskIds[0]!;
  launched.push(taskId);
  scheduler.send(agentId, 0n, command);
  await scheduler.waitForState(taskId, TaskState.RUNNING);
  return taskId;
}

/** The first health report of `taskId` saying `healthy`, after the first `skip` health reports. */
function healthReport(taskId: string, healthy: boolean, skip = 0): Promise<agentV1.TaskStatusUpdate> {
  return eventually(
    () => `a ${healthy ? "healthy" : "unhealthy"} report of ${taskId} (saw ${healthReports(taskId).map((u) => `${u.healthy}: ${u.message}`).join("; ") || "none"})`,
    () => healthReports(taskId).slice(skip).find((u) => u.healthy === healthy),
    20_000,
  );
}
const healthReports = (taskId: string) => scheduler.updates.filter((u) => u.taskId === taskId && u.healthy !== undefined);

before(async () => {
  bus = await connectBus(infrastructureUrls().natsUrl, clusterNames(`t-health-${randomBytes(4).toString("hex")}`), "agent-health-test");
  scheduler = await startFakeScheduler(bus, { logger, durable: "test_health_status" });
  agent = await startAgent(options, { bus, logger });
  await within("the agent to register", agent.registered, 15_000);
});

after(async () => {
  await agent?.stop({ killTasks: true });
  await closeFakeCluster(scheduler, bus);
  rmSync(workDir, { recursive: true, force: true });
  for (const taskId of launched) assert.deepEqual(await pidsOfTask(taskId), [], `processes of ${taskId} left behind`);
});

describe("health checks", () => {
  it("an HTTP check answered 200 reports the task healthy, as a RUNNING update naming the check", async () => {
    const port = await freePort();
    const taskId = await launchApp("http-ok", { argv: HTTP_SERVER, env: { CODE: "200" }, endpoints: [{ hostPort: 0 }], healthChecks: [{ protocol: HealthCheckProtocol.HTTP, path: "/health", ...every1s(3) }] }, port);
    const report = await healthReport(taskId, true);
    assert.equal(report.state, TaskState.RUNNING);
    assert.equal(report.message, `healthy: HTTP /health on port ${port} passed`);
    assert.deepEqual(healthReports(taskId).map((u) => u.healthy), [true], "one report per change, none while it stays healthy");
    scheduler.send(agentId, 0n, killCommand(taskId));
    await scheduler.waitForState(taskId, TaskState.KILLED);
  });

  it("an HTTP check answered 500 reports the task unhealthy, and after maxConsecutiveFailures the agent kills it: KILLED saying why", async () => {
    const port = await freePort();
    const taskId = await launchApp("http-500", { argv: HTTP_SERVER, env: { CODE: "500" }, endpoints: [{ hostPort: 0 }], healthChecks: [{ protocol: HealthCheckProtocol.MESOS_HTTP, path: "/", ...every1s(2) }] }, port);
    const unhealthy = await healthReport(taskId, false);
    assert.equal(unhealthy.message, `unhealthy: HTTP / on port ${port} failed: HTTP 500`);
    const killed = await scheduler.waitForState(taskId, TaskState.KILLED, 20_000);
    assert.equal(killed.message, `unhealthy: HTTP / on port ${port} failed 2 times in a row (last: HTTP 500)`);
    assert.equal(killed.reason, "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED");
    assert.deepEqual(await pidsOfTask(taskId), [], "the server is gone");
  });

  it("a TCP check passes once something listens on the port", async () => {
    const port = await freePort();
    const taskId = await launchApp("tcp", { argv: HTTP_SERVER, env: { CODE: "200" }, endpoints: [{ hostPort: 0 }], healthChecks: [{ protocol: HealthCheckProtocol.TCP, ...every1s(3) }] }, port);
    assert.equal((await healthReport(taskId, true)).message, `healthy: TCP port ${port} passed`);
    scheduler.send(agentId, 0n, killCommand(taskId));
    await scheduler.waitForState(taskId, TaskState.KILLED);
  });

  it("a COMMAND check runs in the task's sandbox with its environment; failures in the grace period are ignored, after it they count; checks resume after an agent restart", async () => {
    const check = 'test "$MARATHON_APP_ID" = /test/health/command && test -f ready';
    const taskId = await launchApp("command", {
      shell: "sleep 1000",
      healthChecks: [{ protocol: HealthCheckProtocol.COMMAND, command: { kind: { case: "shell", value: check } }, intervalSeconds: 1, timeoutSeconds: 2, gracePeriodSeconds: 300, maxConsecutiveFailures: 0, endpointIndex: -1 }],
    });
    const sandbox = join(workDir, "sandboxes", taskId);
    // Failing within the grace period: no verdict at all.
    await new Promise((r) => setTimeout(r, 2_500));
    assert.deepEqual(healthReports(taskId), [], "no verdict while failing within the grace period");
    writeFileSync(join(sandbox, "ready"), "");
    assert.equal((await healthReport(taskId, true)).message, `healthy: COMMAND ${check} passed`);

    // A new agent on the same work directory resumes the checks; after the first success the grace period no longer applies.
    await agent.stop({ killTasks: false });
    agent = await startAgent(options, { bus, logger });
    await within("the agent to register again", agent.registered, 15_000);
    const seen = healthReports(taskId).length;
    unlinkSync(join(sandbox, "ready"));
    const unhealthy = await healthReport(taskId, false, seen);
    assert.equal(unhealthy.message, `unhealthy: COMMAND ${check} failed: exited with code 1`);
    // maxConsecutiveFailures 0: never killed for it.
    await new Promise((r) => setTimeout(r, 2_500));
    assert.ok(!scheduler.statesOf(taskId).includes(TaskState.KILLED), "an unhealthy task with maxConsecutiveFailures 0 keeps running");
    scheduler.send(agentId, 0n, killCommand(taskId));
    assert.equal((await scheduler.waitForState(taskId, TaskState.KILLED)).message, "killed on request");
  });
});
