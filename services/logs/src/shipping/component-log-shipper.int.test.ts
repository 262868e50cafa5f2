/**
 * A process's own logs shipped to the LOGS stream against the real NATS: lines of every logger
 * go out under their component with their level; a full buffer drops (never blocks) and the
 * drops are counted and reported in a shipped warn line.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Writable } from "node:stream";
import { fromBinary } from "@bufbuild/protobuf";
import { logsV1 } from "@gantry/proto";
import { connectBus, createLogger } from "@gantry/platform";
import type { Bus } from "@gantry/platform/bus";
import { createTestCluster } from "@gantry/platform/testing";
import { NODE_LOG_FIELD, startComponentLogShipping } from "./component-log-shipper.ts";

const cluster = createTestCluster();
let bus: Bus;
const quiet = new Writable({ write: (_c, _e, cb) => cb() });

async function shippedLines(): Promise<{ component: string; agentId: string; level: number; text: string }[]> {
  const stream = cluster.names.stream("LOGS");
  const last = (await bus.jsm.streams.info(stream)).state.last_seq;
  const out: { component: string; agentId: string; level: number; text: string }[] = [];
  for (let seq = 1; seq <= last; seq++) {
    const batch = fromBinary(logsV1.LogBatchSchema, (await bus.jsm.streams.getMessage(stream, { seq }))!.data);
    for (const c of batch.chunks) c.texts.forEach((text, i) => out.push({ component: c.component, agentId: batch.agentId, level: c.levels[i]!, text }));
  }
  return out;
}

before(async () => {
  bus = await connectBus(process.env.NATS_URL ?? "nats://127.0.0.1:4222", cluster.names, "component-log-test");
});
after(async () => {
  await cluster.cleanup(bus.nc);
  await bus.close();
});

test("a full buffer drops lines without blocking; the drops are counted and reported", async () => {
  const shipping = await startComponentLogShipping({ bus, component: "tester", maxBufferedLines: 10, flushEveryMs: 60_000 });
  const scheduler = createLogger("scheduler", { destination: quiet, level: "info" });
  const started = Date.now();
  for (let i = 0; i < 25; i++) scheduler.warn({ i }, `line ${i}`);
  scheduler.debug("below the logger's level: never written");
  assert.ok(Date.now() - started < 1_000, "logging never waited for NATS");
  assert.equal(shipping.stats.dropped, 15);
  await shipping.stop();
  const lines = await shippedLines();
  const mine = lines.filter((l) => l.component === "scheduler");
  assert.deepEqual(mine.map((l) => l.text.split(" ").slice(0, 2).join(" ")), Array.from({ length: 10 }, (_, i) => `line ${i}`));
  assert.ok(mine.every((l) => l.level === 40));
  assert.ok(lines.some((l) => l.component === "tester" && l.level === 40 && l.text.includes("dropped 15 lines")), "the drops are reported");
  assert.equal(shipping.stats.shipped, 11);
});

test("a line's text is its message, then its other fields; an agent's lines are its node's, another component's naming an agent are not", async () => {
  const shipping = await startComponentLogShipping({ bus, component: "tester", flushEveryMs: 60_000 });
  const agent = createLogger("agent", { destination: quiet, level: "info" }).child({ [NODE_LOG_FIELD]: "agent-7" });
  agent.info({ taskId: "web.1" }, "task started");
  agent.child({ component: "agent-metrics" }).info("sampled");
  createLogger("gateway", { destination: quiet, level: "info" }).info({ agent: "agent-7", taskId: "web.1" }, "placed");
  await shipping.stop();
  const mine = (await shippedLines()).filter((l) => ["agent", "agent-metrics", "gateway"].includes(l.component));
  assert.deepEqual(mine.map(({ component, agentId, text }) => ({ component, agentId, text })), [
    { component: "agent", agentId: "agent-7", text: 'task started {"taskId":"web.1"}' },
    { component: "agent-metrics", agentId: "agent-7", text: "sampled" },
    { component: "gateway", agentId: "", text: 'placed {"agent":"agent-7","taskId":"web.1"}' },
  ]);
});
