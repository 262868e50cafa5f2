/**
 * Agent benchmark: one real agent process in its deployed form (`dist/gantry-agent.mjs`, built
 * here by scripts/build-agent.ts, started with the agent's Node flags, AGENT_NODE_FLAGS;
 * cgroup isolation when run as root) on a fresh work directory and cluster name, driven over the real
 * NATS by a fake scheduler (the one the agent's tests use: registrations answered, commands sent
 * as `AgentCommands` batches of 50 on core NATS, status read from the durable JetStream stream,
 * file storage, acknowledged publishes). Tasks are `sleep 1000` (0.01 cpu, 16 MB, 1 s kill grace);
 * a LaunchTask message is about 200 bytes.
 *
 *   launchesPerSec   N tasks sent at once: N / (first command sent → last TASK_RUNNING read
 *                    from the stream)
 *   killsPerSec      the same N killed at once: N / (first kill sent → last TASK_KILLED read);
 *                    the agent reports KILLED only once the task's process group is empty and its
 *                    cgroups are removed, and the run checks afterwards that no process is left
 *   rssIdleMb        the agent's resident memory registered and idle (after 2 s): VmRSS
 *   rss100TasksMb    the same with 100 tasks running
 *   private…Mb       the same, its private part only (RssAnon), without the shared Node binary
 *   (and, for comparison, the idle RSS of the source form, `node services/agent/src/main.ts`)
 *
 * Prints its figures, then one JSON line last.
 *   node bench/agent/agent.bench.ts [--tasks 500]
 */
import { parseArgs } from "node:util";
import { randomBytes, randomUUID } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schedulerV1Model, type agentV1 } from "@gantry/proto";
import { clusterNames, connectBus, createLogger, infrastructureUrls } from "@gantry/platform";
import { eventually } from "@gantry/platform/testing";
import { probeMachine } from "../../services/agent/src/index.ts";
import { startAgentProcess, stopAgentProcesses, type AgentProcess } from "../../services/agent/src/testing/agent-process.ts";
import { closeFakeCluster, killCommand, launchCommand, startFakeScheduler } from "../../services/agent/src/testing/fake-scheduler.ts";

const { TaskState } = schedulerV1Model;
const { values } = parseArgs({ options: { tasks: { type: "string", default: "500" } } });
const TASKS = Number(values.tasks);
const BATCH = 50;
const EPOCH = 1n;
const TASK_PREFIX = "bench_agent.";

const logger = createLogger("agent-bench", { level: "warn" });
const { natsUrl } = infrastructureUrls();
const cluster = `b-agent-${randomBytes(4).toString("hex")}`;
const agentId = `b-agent-${randomBytes(3).toString("hex")}`;
const cgroups = process.getuid?.() === 0 && probeMachine().cgroups !== undefined;
const workDir = mkdtempSync(join(tmpdir(), "gantry-agent-bench-"));

const bus = await connectBus(natsUrl, clusterNames(cluster), "agent-bench");
const scheduler = await startFakeScheduler(bus, { logger, epochFor: () => EPOCH, durable: "bench_agent_status", statusSubject: `agent.status.${agentId}`, pollIntervalMs: 5 });
const bundle = join(workDir, "gantry-agent.mjs");
const built = spawnSync(process.execPath, ["scripts/build-agent.ts", "--outfile", bundle], { encoding: "utf8" });
if (built.status !== 0) throw new Error(`agent build failed:\n${built.stdout}${built.stderr}`);
const resources = { cpus: 64, mem: 65_536, disk: 65_536 };
const agent = startAgentProcess({ agentId, workDir: join(workDir, "bundle"), cluster, natsUrl, cgroups, resources, entry: bundle });

/**
 * Resident memory of an agent process in MB (/proc/<pid>/status): all of it (VmRSS), and its
 * private part (RssAnon: heap, stacks, buffers), without the pages of the Node binary and
 * libraries that every Node process on the node shares (RssFile; how many are resident depends on
 * the page cache, so VmRSS of one process varies by ±15 MB from run to run).
 */
function rssMb(of: AgentProcess): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${of.child.pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]);
  return { rss: kb("VmRSS") / 1024, anon: kb("RssAnon") / 1024 };
}
const agentRssMb = () => rssMb(agent);

/** Idle RSS of the source form (main.ts under Node's type stripping), registered, after 2 s. */
async function sourceFormIdleRssMb(): Promise<{ rss: number; anon: number }> {
  const id = `${agentId}-src`;
  const source = startAgentProcess({ agentId: id, workDir: join(workDir, "source"), cluster, natsUrl, cgroups, resources });
  try {
    await eventually("the source-form agent to register", () => scheduler.registrations.some((r) => r.agentId === id), 30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    return rssMb(source);
  } finally {
    await stopAgentProcesses([source], problems);
  }
}

/** Live processes of benchmark tasks (one scan of /proc, by the GANTRY_TASK_ID the agent sets). */
function benchTaskProcesses(): number {
  const marker = Buffer.from(`GANTRY_TASK_ID=${TASK_PREFIX}`);
  let n = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`).includes(marker)) n++;
    } catch {
      // ended meanwhile
    }
  }
  return n;
}

/** Sends `commands` in batches of BATCH and waits until every task id reached `state`; returns the seconds from the first send. */
async function timed(taskIds: string[], commands: agentV1.AgentCommand[], state: schedulerV1Model.TaskState, timeoutMs: number): Promise<number> {
  const pending = new Set(taskIds);
  let seen = scheduler.updates.length;
  const start = performance.now();
  for (let i = 0; i < commands.length; i += BATCH) scheduler.send(agentId, EPOCH, ...commands.slice(i, i + BATCH));
  await eventually(() => `${pending.size} of ${taskIds.length} tasks to reach ${TaskState[state]}`, () => {
    const updates = scheduler.updates;
    for (; seen < updates.length; seen++) {
      const u = updates[seen]!;
      if (u.state === state) pending.delete(u.taskId);
      else if (u.state === TaskState.FAILED || u.state === TaskState.ERROR) throw new Error(`${u.taskId} ${TaskState[u.state]}: ${u.message}`);
    }
    return pending.size === 0;
  }, timeoutMs);
  return (performance.now() - start) / 1000;
}

const launches = (ids: string[]) => ids.map((id) => launchCommand(id, { appId: "/bench/sleep", cmd: "sleep 1000", cpus: 0.01, mem: 16, grace: 1 }));
const kills = (ids: string[]) => ids.map((id) => killCommand(id));
const newIds = (n: number) => Array.from({ length: n }, () => `${TASK_PREFIX}${randomUUID()}`);
const problems: string[] = [];

try {
  await eventually("the agent to register", () => scheduler.registrations.some((r) => r.agentId === agentId), 30_000);
  await new Promise((r) => setTimeout(r, 2_000));
  const rssIdle = agentRssMb();

  const hundred = newIds(100);
  await timed(hundred, launches(hundred), TaskState.RUNNING, 60_000);
  await new Promise((r) => setTimeout(r, 2_000));
  const rss100 = agentRssMb();
  await timed(hundred, kills(hundred), TaskState.KILLED, 60_000);

  const ids = newIds(TASKS);
  const launchSeconds = await timed(ids, launches(ids), TaskState.RUNNING, 120_000);
  const rssPeak = agentRssMb();
  const killSeconds = await timed(ids, kills(ids), TaskState.KILLED, 120_000);
  const left = benchTaskProcesses();
  if (left > 0) throw new Error(`${left} task processes still run after every task was reported KILLED`);
  const sourceIdle = await sourceFormIdleRssMb();

  const launchesPerSec = TASKS / launchSeconds;
  const killsPerSec = TASKS / killSeconds;
  console.log(`agent benchmark: one agent process (the bundle), ${cgroups ? "cgroup isolation (cpu, memory)" : "no isolation (not root or no cgroups)"}, ${TASKS} sleep tasks, commands in batches of ${BATCH}`);
  console.log(`  launch → RUNNING   ${TASKS} in ${launchSeconds.toFixed(2)} s: ${launchesPerSec.toFixed(0)} launches/s`);
  console.log(`  kill → KILLED      ${TASKS} in ${killSeconds.toFixed(2)} s: ${killsPerSec.toFixed(0)} kills/s (no process left)`);
  const mem = (m: { rss: number; anon: number }) => `${m.rss.toFixed(1)} MB (private ${m.anon.toFixed(1)})`;
  console.log(`  agent RSS          idle ${mem(rssIdle)}, 100 tasks ${mem(rss100)}, ${TASKS} tasks ${mem(rssPeak)}`);
  console.log(`  source form        idle ${mem(sourceIdle)} (main.ts under type stripping, every module loaded)`);
  console.log(
    JSON.stringify({
      bench: "agent",
      launchesPerSec: Math.round(launchesPerSec),
      killsPerSec: Math.round(killsPerSec),
      rssIdleMb: Math.round(rssIdle.rss),
      rss100TasksMb: Math.round(rss100.rss),
      privateIdleMb: Math.round(rssIdle.anon),
      private100TasksMb: Math.round(rss100.anon),
    }),
  );
} catch (err) {
  console.error(`agent output:\n${agent.output.join("").slice(-4000)}`);
  throw err;
} finally {
  await stopAgentProcesses([agent], problems);
  await closeFakeCluster(scheduler, bus);
  rmSync(workDir, { recursive: true, force: true });
  if (problems.length > 0) console.error(problems.join("\n"));
}
