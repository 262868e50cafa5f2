/**
 * "No line lost, none duplicated" across a crash: the logs service runs as its own process and is
 * killed with SIGKILL while batches stream in (some committed and not yet acknowledged, some
 * half-copied, some unread, and one committed whose ack the NATS fault proxy lost); a new process
 * takes over the durable consumer. Every published line
 * is then stored exactly once.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import pg from "pg";
import { logsV1, logsTaskSubject } from "@gantry/proto";
import { connectBus, generateSigningKey } from "@gantry/platform";
import type { Bus } from "@gantry/platform/bus";
import { createTestCluster, createTestDatabase, eventually, startNatsFaultProxy, type NatsFaultProxy, type TestDatabase } from "@gantry/platform/testing";
import { startServiceProcess, type ServiceProcess } from "@gantry/test/support";
import { dropLogsDatabase } from "./adapters/logs-database.postgres.ts";
import { linesOfBlock, unpackBlock } from "./domain/line-block.ts";

const cluster = createTestCluster();
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const BATCHES = 400;
const LINES = 250;

let testDb: TestDatabase;
let logsUrl: string;
let bus: Bus;
let running: ServiceProcess | undefined;
let proxy: NatsFaultProxy;

const env = () => ({ DATABASE_URL: testDb.url, LOGS_DATABASE_URL: logsUrl, NATS_URL: proxy.url, GANTRY_CLUSTER: cluster.names.cluster, GANTRY_AUTH_KEY: Buffer.from(generateSigningKey()).toString("base64"), GANTRY_LOG_LEVEL: "warn" });
const startService = () => startServiceProcess("logs", "services/logs/src/main.ts", ["--port", "0"], env());

/** Lines stored (the chunks' line counts), and the distinct positions among them. */
async function counts(): Promise<{ total: number; distinct: number }> {
  return withLogsDb(async (client) => {
    const { rows } = await client.query<{ total: string; distinct: string }>(
      "SELECT coalesce(sum(line_count), 0) AS total, (SELECT coalesce(sum(line_count), 0) FROM (SELECT DISTINCT ON (first_pos) line_count FROM log_chunks) d) AS distinct FROM log_chunks",
    );
    return { total: Number(rows[0]!.total), distinct: Number(rows[0]!.distinct) };
  }, { total: 0, distinct: 0 });
}

/** Every stored line's text, decoded from the chunks in position order. */
async function storedTexts(): Promise<string[]> {
  return withLogsDb(async (client) => {
    const { rows } = await client.query<{ codec: number; block: Buffer; line_count: number }>("SELECT codec, block, line_count FROM log_chunks ORDER BY first_pos");
    return rows.flatMap((r) => linesOfBlock(unpackBlock({ codec: r.codec, data: r.block }), r.line_count));
  }, []);
}

/** Runs `work` on the logs database; `missing` when its tables do not exist yet. */
async function withLogsDb<T>(work: (client: pg.Client) => Promise<T>, missing: T): Promise<T> {
  const client = new pg.Client({ connectionString: logsUrl });
  await client.connect();
  try {
    return await work(client);
  } catch (err) {
    if ((err as { code?: string }).code === "42P01") return missing;
    throw err;
  } finally {
    await client.end();
  }
}

before(async () => {
  testDb = await createTestDatabase("logs_crash");
  logsUrl = `${testDb.url}_logs`;
  bus = await connectBus(natsUrl, cluster.names, "logs-crash-test");
  const target = new URL(natsUrl.replace(/^nats:/, "http:"));
  proxy = await startNatsFaultProxy({ targetHost: target.hostname, targetPort: Number(target.port || 4222) });
});

after(async () => {
  await running?.stop();
  await proxy?.close();
  await cluster.cleanup(bus.nc);
  await bus?.close();
  await dropLogsDatabase(logsUrl);
  await testDb?.drop();
});

test("a logs service killed with SIGKILL mid-stream loses no line and stores none twice", async () => {
  running = startService();
  await eventually("the ingest consumer exists", async () => {
    try {
      return (await bus.jsm.consumers.info(cluster.names.stream("LOGS"), cluster.names.consumer("logs_ingest"))) !== undefined;
    } catch {
      return false;
    }
  }, 30_000);
  const text = "x".repeat(100);
  // The second half is published once the service is dead: some lines always wait for the next one.
  let crashed!: () => void;
  const afterCrash = new Promise<void>((resolve) => (crashed = resolve));
  const publishing = (async () => {
    for (let b = 0; b < BATCHES; b++) {
      if (b === BATCHES / 2) await afterCrash;
      const now = BigInt(Date.now()) * 1000n;
      const batch = create(logsV1.LogBatchSchema, {
        agentId: "agent-crash",
        hostname: "h",
        chunks: [{ appId: "/crash", instanceId: "i", taskId: "t", stream: "stdout", timesUnixMicros: Array(LINES).fill(now), levels: Array(LINES).fill(0), texts: Array.from({ length: LINES }, (_, i) => `${b}:${i} ${text}`) }],
      });
      await bus.js.publish(cluster.names.subject(logsTaskSubject("agent-crash")), toBinary(logsV1.LogBatchSchema, batch), { msgID: `crash:${b}` });
      if (b % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
  })();
  // One batch is committed and its ack lost on the way: only the chunks' unique positions keep it from being stored twice.
  proxy.swallowPublish({ subjectPrefix: "$JS.ACK.", nth: 3 });
  // Acks trail storing (a fetched batch is stored, then acked): wait for the lost ack as well as the lines.
  await eventually("some lines stored and an ack lost, more coming", async () => (await counts()).total >= 10 * LINES && proxy.stats.publishesSwallowed >= 1, 30_000, 5);
  assert.equal(proxy.stats.publishesSwallowed, 1, "an ack was lost");
  await running.crash();
  crashed();
  const atCrash = await counts();
  assert.ok(atCrash.total < BATCHES * LINES, `the crash came mid-stream (${atCrash.total} stored)`);
  await publishing;
  running = startService();
  const final = await eventually("every line stored", async () => {
    const c = await counts();
    return c.total >= BATCHES * LINES ? c : undefined;
  }, 60_000);
  // Let redeliveries (ack deadlines of the killed process) come and go.
  await new Promise((r) => setTimeout(r, 1_500));
  assert.deepEqual(await counts(), { total: BATCHES * LINES, distinct: BATCHES * LINES });
  assert.equal(final.distinct, final.total);
  const texts = await storedTexts();
  const expected = Array.from({ length: BATCHES }, (_, b) => Array.from({ length: LINES }, (_, i) => `${b}:${i} ${text}`)).flat();
  assert.equal(new Set(texts).size, texts.length, "no line stored twice");
  assert.deepEqual([...texts].sort(), expected.sort(), "every published line stored");
});
