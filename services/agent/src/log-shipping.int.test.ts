/**
 * Task output shipping against the real NATS: sandbox files → LOGS stream, by offset, across an
 * agent restart (what was written while it was down comes once, nothing twice), a batch announced
 * and published but not recorded (an agent killed in between) re-published under the same msg id
 * and stored once, and a task's partial last line shipped when it ends.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { logsV1 } from "@gantry/proto";
import { linesOfBlock, unpackBlock } from "@gantry/logs/shipping";
import { connectBus, createLogger } from "@gantry/platform";
import type { Bus } from "@gantry/platform/bus";
import { createTestCluster, eventually } from "@gantry/platform/testing";
import { startLogShipping, type RunningLogShipping } from "./log-shipping.ts";

const cluster = createTestCluster();
const logger = createLogger("log-shipping-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const AGENT = "agent-ls";
let bus: Bus;
let workDir: string;
let shipping: RunningLogShipping | undefined;

const sandbox = (taskId: string) => join(workDir, "sandboxes", taskId);
function checkpoint(taskId: string, ended = false): void {
  mkdirSync(join(sandbox(taskId), ".gantry"), { recursive: true });
  const cp = { version: 1, taskId, instanceId: "inst-1", appId: "/ship", appVersion: "v", agentId: AGENT, pid: 4242, pgid: 4242, startTicks: 1, startedAt: new Date().toISOString(), killGraceMs: 1000, gpuIndices: [], assignedPorts: [], cgroupDirs: [], ...(ended ? { final: { state: 2, message: "", exitCode: 0, signal: "", timestamp: new Date().toISOString(), updateId: "u" } } : {}) };
  writeFileSync(join(sandbox(taskId), ".gantry", "checkpoint.json"), JSON.stringify(cp));
}
const write = (taskId: string, text: string, stream = "stdout") => appendFileSync(join(sandbox(taskId), stream), text);
const start = async () => (shipping = await startLogShipping({ workDir, agentId: AGENT, hostname: "h", bus, logger, rescanMs: 200 }));

/** Every line in the LOGS stream for a task, in stream order. */
async function shipped(taskId: string): Promise<string[]> {
  const stream = cluster.names.stream("LOGS");
  const last = (await bus.jsm.streams.info(stream)).state.last_seq;
  const out: string[] = [];
  for (let seq = 1; seq <= last; seq++) {
    const m = await bus.jsm.streams.getMessage(stream, { seq });
    const batch = fromBinary(logsV1.LogBatchSchema, m!.data);
    for (const c of batch.chunks) if (c.taskId === taskId) out.push(...linesOfBlock(unpackBlock({ codec: c.blockCodec, data: c.block }), c.lineCount).map((t) => `${c.stream}:${t}`));
  }
  return out;
}

before(async () => {
  bus = await connectBus(process.env.NATS_URL ?? "nats://127.0.0.1:4222", cluster.names, "log-shipping-test");
  workDir = mkdtempSync(join(tmpdir(), "gantry-log-shipping-"));
});
after(async () => {
  await shipping?.stop();
  await cluster.cleanup(bus.nc);
  await bus.close();
  rmSync(workDir, { recursive: true, force: true });
});

test("output is shipped by offset and a restarted agent resumes where it stopped", async () => {
  checkpoint("t1");
  write("t1", Array.from({ length: 100 }, (_, i) => `a${i}\n`).join(""));
  write("t1", "oops\n", "stderr");
  await start();
  await eventually("101 lines shipped", async () => (await shipped("t1")).length === 101, 10_000);
  await shipping!.stop();
  write("t1", "b0\nb1\n");
  await start();
  await eventually("written while down, shipped once", async () => (await shipped("t1")).length === 103, 10_000);
  write("t1", "c0\n");
  await eventually("new lines follow", async () => (await shipped("t1")).length === 104, 10_000);
  const lines = await shipped("t1");
  assert.deepEqual(lines.filter((l) => l.startsWith("stdout:")), [...Array.from({ length: 100 }, (_, i) => `stdout:a${i}`), "stdout:b0", "stdout:b1", "stdout:c0"]);
  assert.deepEqual(lines.filter((l) => l.startsWith("stderr:")), ["stderr:oops"]);
});

test("a batch published but not recorded (agent killed in between) is stored once", async () => {
  await shipping!.stop();
  const offsetsFile = join(sandbox("t1"), ".gantry", "log-offsets.json");
  const offsets = JSON.parse(readFileSync(offsetsFile, "utf8"));
  // The state a kill -9 right after the publish of "c0\n" leaves: announced, not recorded.
  const end = offsets.stdout.offset;
  offsets.stdout = { offset: end - 3, pending: { start: end - 3, end } };
  writeFileSync(offsetsFile, JSON.stringify(offsets));
  await start();
  write("t1", "d0\n");
  await eventually("the next line", async () => (await shipped("t1")).includes("stdout:d0"), 10_000);
  assert.equal((await shipped("t1")).filter((l) => l === "stdout:c0").length, 1);
});

test("a task that ended has its partial last line shipped, then is done", async () => {
  checkpoint("t2");
  write("t2", "full\npartial");
  await eventually("the full line", async () => (await shipped("t2")).length === 1, 10_000);
  checkpoint("t2", true);
  await eventually("the partial line once the task ended", async () => (await shipped("t2")).length === 2, 10_000);
  assert.deepEqual(await shipped("t2"), ["stdout:full", "stdout:partial"]);
  await eventually("marked done", () => JSON.parse(readFileSync(join(sandbox("t2"), ".gantry", "log-offsets.json"), "utf8")).done === true, 5_000);
});
