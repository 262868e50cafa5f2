/**
 * The agent as it is deployed: `npm run build:agent` bundles it into one file, and that file, run
 * by Node alone, registers, runs a task, kills it, and stops cleanly on SIGTERM.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { schedulerV1Model } from "@gantry/proto";
import { connectBus, type Bus } from "@gantry/platform/bus";
import { clusterNames, infrastructureUrls } from "@gantry/platform/config";
import { createLogger } from "@gantry/platform/logging";
import { eventually, pidsOfTask, within } from "@gantry/test/support";
import { startAgentProcess, stopAgentProcesses, type AgentProcess } from "./testing/agent-process.ts";
import { closeFakeCluster, killCommand, launchCommand, startFakeScheduler, type FakeScheduler } from "./testing/fake-scheduler.ts";

const { TaskState } = schedulerV1Model;
const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const logger = createLogger("agent-bundle-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const { natsUrl } = infrastructureUrls();
const cluster = `t-bundle-${randomBytes(4).toString("hex")}`;
const agentId = `t-bundle-${randomBytes(3).toString("hex")}`;
const dir = mkdtempSync(join(tmpdir(), "gantry-agent-bundle-"));
const bundle = join(dir, "gantry-agent.mjs");
const taskId = `test_bundle.${randomUUID()}`;

let bus: Bus;
let scheduler: FakeScheduler;
let agent: AgentProcess | undefined;

before(async () => {
  bus = await connectBus(natsUrl, clusterNames(cluster), "agent-bundle-test");
  scheduler = await startFakeScheduler(bus, { logger, durable: "test_bundle_status", statusSubject: `agent.status.${agentId}` });
});

after(async () => {
  const problems: string[] = [];
  await stopAgentProcesses(agent ? [agent] : [], problems);
  await closeFakeCluster(scheduler, bus);
  rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(problems, [], "the test cleaned up after itself");
});

describe("the bundled agent", () => {
  it("builds into one file that registers, runs and kills a task, and exits 0 on SIGTERM", async (t) => {
    const built = spawnSync(process.execPath, ["scripts/build-agent.ts", "--outfile", bundle], { cwd: REPO, encoding: "utf8" });
    assert.equal(built.status, 0, `build failed:\n${built.stdout}${built.stderr}`);
    agent = startAgentProcess({ agentId, workDir: join(dir, "work"), cluster, natsUrl, cgroups: false, entry: bundle });
    try {
      await eventually("the bundled agent to register", () => scheduler.registrations.some((r) => r.agentId === agentId), 20_000);
      scheduler.send(agentId, 0n, launchCommand(taskId, { cmd: "sleep 1000" }));
      await scheduler.waitForState(taskId, TaskState.RUNNING);
      assert.equal((await pidsOfTask(taskId)).length > 0, true, "the task runs");
      scheduler.send(agentId, 0n, killCommand(taskId));
      await scheduler.waitForState(taskId, TaskState.KILLED);
      assert.deepEqual(await pidsOfTask(taskId), [], "the kill ended it");
      agent.child.kill("SIGTERM");
      assert.deepEqual(await within("the bundled agent to exit on SIGTERM", agent.exited, 15_000), { code: 0, signal: null });
    } catch (err) {
      t.diagnostic(`agent output:\n${agent.output.join("")}`);
      throw err;
    }
  });
});
