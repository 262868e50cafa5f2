/**
 * The logs service against the real PostgreSQL and NATS: batches published on the LOGS stream are
 * stored (COPY into time partitions) and served by LogsService: filters, last N lines, cursors,
 * follow (stored, then live, no line twice), permissions, bad input, retention dropping whole
 * partitions, and a redelivered batch stored once.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { logsV1, logsTaskSubject, logsComponentSubject, readLogLines } from "@gantry/proto";
import { connectBus, createAuthenticator, createGrpcClient, createLogger, createTokenSigner, GantryError, generateSigningKey, onPath, RESOURCES, type GrpcClient } from "@gantry/platform";
import type { Bus } from "@gantry/platform/bus";
import { createTestCluster, createTestDatabase, eventually, type TestDatabase } from "@gantry/platform/testing";
import { startLogs, type RunningLogs } from "./start-logs.ts";
import { dropLogsDatabase } from "./adapters/logs-database.postgres.ts";
import { compileLogsSettings } from "./logs-options.ts";
import { chunksOfBatch } from "./domain/log-chunk.ts";
import { packBlock } from "./domain/line-block.ts";

const signer = createTokenSigner(generateSigningKey());
const authenticator = createAuthenticator(signer);
const admin = signer.issue({ name: "alice", roles: ["admin"] }).token;
const webReader = signer.issue({ name: "wendy", roles: [], grants: [onPath(RESOURCES.logs, "read", "/web")] }).token;
const logger = createLogger("logs-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const cluster = createTestCluster();
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const DEADLINE_MS = 15_000;

let testDb: TestDatabase;
let bus: Bus;
let logs: RunningLogs;
let client: GrpcClient<typeof logsV1.LogsService>;
let batchNo = 0;

const micros = (ms: number) => BigInt(ms) * 1000n;

/** Publishes one batch of `texts` for a task (or a component) and waits for JetStream's ack. */
async function publish(opts: { task?: string; app?: string; agent?: string; stream?: string; component?: string; level?: number; timeMs?: number }, texts: string[]): Promise<number> {
  const agent = opts.agent ?? "agent-1";
  const t = micros(opts.timeMs ?? Date.now());
  const batch = create(logsV1.LogBatchSchema, {
    agentId: agent,
    hostname: "host-1",
    chunks: [{ appId: opts.app ?? "", instanceId: opts.task ? `inst-${opts.task}` : "", taskId: opts.task ?? "", container: "", stream: opts.stream ?? (opts.component ? "log" : "stdout"), component: opts.component ?? "", timesUnixMicros: texts.map(() => t), levels: texts.map(() => opts.level ?? 0), texts }],
  });
  const subject = cluster.names.subject(opts.component ? logsComponentSubject(opts.component) : logsTaskSubject(agent));
  const ack = await bus.js.publish(subject, toBinary(logsV1.LogBatchSchema, batch), { msgID: `test:${++batchNo}` });
  return ack.seq;
}

/** An answer's lines, each as an object (what a test compares), read with the clients' reader. */
const linesOf = (r: logsV1.QueryLogsResponse | logsV1.FollowLogsResponse) => {
  const v = readLogLines(r);
  return Array.from({ length: v.count }, (_, i) => ({ text: v.text(i), cursor: v.cursor(i), level: v.level(i), timeUnixMicros: v.timeUnixMicros(i), source: v.source(i) }));
};
const texts = (r: logsV1.QueryLogsResponse | logsV1.FollowLogsResponse) => linesOf(r).map((l) => l.text);
const filter = (f: MessageInitShape<typeof logsV1.LogFilterSchema>) => ({ filter: f });

async function start(argv: string[] = []): Promise<RunningLogs> {
  const { settings } = compileLogsSettings(argv, testDb.url, { LOGS_DATABASE_URL: `${testDb.url}_logs` });
  return startLogs({ databaseUrl: testDb.url, natsUrl, names: cluster.names, host: "127.0.0.1", port: 0, authenticator, logger, settings });
}

before(async () => {
  testDb = await createTestDatabase("logs");
  bus = await connectBus(natsUrl, cluster.names, "logs-test");
  logs = await start();
  client = createGrpcClient(logsV1.LogsService, `127.0.0.1:${logs.port}`, { token: admin, deadlineMs: DEADLINE_MS });
});

after(async () => {
  await logs?.stop();
  await cluster.cleanup(bus.nc);
  await bus?.close();
  await dropLogsDatabase(`${testDb.url}_logs`);
  await testDb?.drop();
});

describe("logs service", () => {
  test("stores shipped lines and answers by task, app, agent, stream and text", async () => {
    await publish({ task: "web.t1", app: "/web" }, ["hello 1", "hello 2", "boom ERROR x"]);
    await publish({ task: "web.t1", app: "/web", stream: "stderr" }, ["err 1"]);
    await publish({ task: "db.t1", app: "/db", agent: "agent-2" }, ["db line"]);
    await eventually("5 lines stored", () => logs.stats.lines >= 5, 10_000);
    assert.deepEqual(texts(await client.queryLogs(filter({ taskId: "web.t1" }))), ["hello 1", "hello 2", "boom ERROR x", "err 1"]);
    assert.deepEqual(texts(await client.queryLogs(filter({ taskId: "web.t1", stream: "stderr" }))), ["err 1"]);
    assert.deepEqual(texts(await client.queryLogs(filter({ appId: "/db" }))), ["db line"]);
    assert.deepEqual(texts(await client.queryLogs(filter({ agentId: "agent-2" }))), ["db line"]);
    assert.deepEqual(texts(await client.queryLogs(filter({ appId: "/web", text: "error" }))), ["boom ERROR x"]);
    assert.deepEqual(texts(await client.queryLogs(filter({ taskIdPrefix: "web." }))), ["hello 1", "hello 2", "boom ERROR x", "err 1"]);
    const db = await client.queryLogs(filter({ taskId: "db.t1" }));
    assert.deepEqual([db.lines?.sources, db.sources.length], [[0], 1]);
    const source = db.sources[0]!;
    assert.deepEqual([source.agentId, source.hostname, source.instanceId, source.appId, source.stream], ["agent-2", "host-1", "inst-db.t1", "/db", "stdout"]);
    // Each source once per answer; lines name theirs by index.
    const web = await client.queryLogs(filter({ taskId: "web.t1" }));
    assert.deepEqual(web.sources.map((s) => s.stream), ["stdout", "stderr"]);
    assert.deepEqual(web.lines?.sources, [0, 0, 0, 1]);
    assert.deepEqual(linesOf(web).map((l) => [l.text, l.source.stream]), [["hello 1", "stdout"], ["hello 2", "stdout"], ["boom ERROR x", "stdout"], ["err 1", "stderr"]]);
  });

  test("last N lines, then the cursor continues after them and stays stable", async () => {
    await publish({ task: "tail.t1", app: "/tail" }, Array.from({ length: 50 }, (_, i) => `line ${i}`));
    await eventually("tail lines stored", async () => linesOf(await client.queryLogs(filter({ taskId: "tail.t1" }))).length === 50, 10_000);
    const last = await client.queryLogs({ ...filter({ taskId: "tail.t1" }), skipPrev: 3 });
    assert.deepEqual(texts(last), ["line 47", "line 48", "line 49"]);
    const page1 = await client.queryLogs({ ...filter({ taskId: "tail.t1" }), limit: 10 });
    assert.deepEqual(texts(page1), Array.from({ length: 10 }, (_, i) => `line ${i}`));
    const page2 = await client.queryLogs({ ...filter({ taskId: "tail.t1" }), limit: 2, cursor: page1.nextCursor });
    assert.deepEqual(texts(page2), ["line 10", "line 11"]);
    assert.equal(linesOf(page1)[9]!.cursor, page1.nextCursor);
  });

  test("component logs by level and time window", async () => {
    const now = Date.now();
    await publish({ component: "scheduler", level: 30, timeMs: now - 20 * 60_000 }, ["old info"]);
    await publish({ component: "scheduler", level: 40, timeMs: now - 60_000 }, ["recent warn"]);
    await publish({ component: "scheduler", level: 30, timeMs: now - 60_000 }, ["recent info"]);
    await eventually("scheduler lines", async () => linesOf(await client.queryLogs(filter({ component: "scheduler" }))).length === 3, 10_000);
    assert.deepEqual(texts(await client.queryLogs(filter({ component: "scheduler", minLevel: 40 }))), ["recent warn"]);
    assert.deepEqual(texts(await client.queryLogs(filter({ component: "scheduler", sinceUnixMicros: micros(now - 10 * 60_000) }))), ["recent warn", "recent info"]);
  });

  test("a chunk whose lines have their own times and levels is answered line by line (level, window, cursors)", async () => {
    const now = Date.now();
    const batch = create(logsV1.LogBatchSchema, {
      agentId: "agent-1",
      hostname: "host-1",
      chunks: [{ component: "registry", stream: "log", timesUnixMicros: [micros(now - 3_000), micros(now - 2_000), micros(now - 1_000)], levels: [30, 50, 40], texts: ["started", "boom\nsecond line", "slow"] }],
    });
    await bus.js.publish(cluster.names.subject(logsComponentSubject("registry")), toBinary(logsV1.LogBatchSchema, batch), { msgID: `test:${++batchNo}` });
    await eventually("registry lines", async () => linesOf(await client.queryLogs(filter({ component: "registry" }))).length === 3, 10_000);
    const all = linesOf(await client.queryLogs(filter({ component: "registry" })));
    assert.deepEqual(all.map((l) => [l.text, l.level, l.timeUnixMicros / 1000]), [["started", 30, now - 3_000], ["boom\u2424second line", 50, now - 2_000], ["slow", 40, now - 1_000]], "a line break inside a text is kept as ␤");
    assert.deepEqual(texts(await client.queryLogs(filter({ component: "registry", minLevel: 40 }))), ["boom\u2424second line", "slow"]);
    assert.deepEqual(texts(await client.queryLogs(filter({ component: "registry", sinceUnixMicros: micros(now - 2_500), untilUnixMicros: micros(now - 1_500) }))), ["boom\u2424second line"]);
    assert.deepEqual(texts(await client.queryLogs({ ...filter({ component: "registry", minLevel: 40 }), skipPrev: 1 })), ["slow"]);
    assert.deepEqual(texts(await client.queryLogs({ ...filter({ component: "registry" }), cursor: all[0]!.cursor, limit: 1 })), ["boom\u2424second line"], "a cursor inside a chunk");
    assert.deepEqual(texts(await client.queryLogs({ ...filter({ component: "registry" }), cursor: all[2]!.cursor, skipPrev: 2 })), ["boom\u2424second line", "slow"], "the last lines up to a cursor, the cursor's line included");
  });

  test("packed blocks, as agents ship them, are stored and followed as they came; a block that does not hold what it says is parked", async () => {
    const block = (lines: string[]) => packBlock(Buffer.from(lines.map((l) => `${l}\n`).join("")));
    const publishBlocks = async (chunks: { task: string; lines: string[]; lineCount?: number }[]) => {
      const batch = create(logsV1.LogBatchSchema, {
        agentId: "agent-1",
        hostname: "host-1",
        chunks: chunks.map((c) => {
          const packed = block(c.lines);
          return { appId: "/pk", instanceId: `inst-${c.task}`, taskId: c.task, stream: "stdout", timesUnixMicros: [micros(Date.now())], block: packed.data, blockCodec: packed.codec, lineCount: c.lineCount ?? c.lines.length };
        }),
      });
      await bus.js.publish(cluster.names.subject(logsTaskSubject("agent-1")), toBinary(logsV1.LogBatchSchema, batch), { msgID: `test:${++batchNo}` });
    };
    const many = Array.from({ length: 300 }, (_, i) => `packed ${i} ${"abc".repeat(i % 7)}`);
    const parkedBefore = logs.stats.parked;
    await publishBlocks([{ task: "pk.t1", lines: many }, { task: "pk.t2", lines: ["small 1", "small 2"] }]);
    await publishBlocks([{ task: "pk.t1", lines: ["a", "b", "c", "d"], lineCount: 5 }]);
    await publishBlocks([{ task: "pk.t2", lines: ["small 3"] }]);
    await eventually("the good blocks stored", async () => linesOf(await client.queryLogs(filter({ taskId: "pk.t2" }))).length === 3, 10_000);
    assert.equal(logs.stats.parked, parkedBefore + 1, "the malformed batch is parked");
    const stored = linesOf(await client.queryLogs(filter({ taskId: "pk.t1" })));
    assert.deepEqual(stored.map((l) => l.text), many);
    assert.deepEqual(texts(await client.queryLogs(filter({ taskId: "pk.t2" }))), ["small 1", "small 2", "small 3"]);
    assert.deepEqual(texts(await client.queryLogs({ ...filter({ appId: "/pk", text: "PACKED 29" }) })), many.filter((l) => l.startsWith("packed 29")));

    // Follow from a cursor inside the stored block, then a live block: positions agree across the seam.
    const abort = new AbortController();
    const got: ReturnType<typeof linesOf> = [];
    const following = (async () => {
      try {
        for await (const r of client.followLogs({ ...filter({ taskId: "pk.t1" }), cursor: stored[249]!.cursor }, { signal: abort.signal, deadlineMs: 60_000 })) got.push(...linesOf(r));
      } catch (err) {
        if (!abort.signal.aborted) throw err;
      }
    })();
    await eventually("the stored rest", () => got.length >= 50, 10_000);
    await publishBlocks([{ task: "pk.t1", lines: ["live 1", "live 2"] }]);
    await eventually("the live lines", () => got.length >= 52, 10_000);
    abort.abort();
    await following;
    assert.deepEqual(got.map((l) => l.text), [...many.slice(250), "live 1", "live 2"]);
    assert.deepEqual(got.slice(0, 50).map((l) => l.cursor), stored.slice(250).map((l) => l.cursor));
    await eventually("the live lines stored", async () => linesOf(await client.queryLogs(filter({ taskId: "pk.t1" }))).length === 302, 10_000);
    const after = await client.queryLogs({ ...filter({ taskId: "pk.t1" }), cursor: stored[299]!.cursor });
    assert.deepEqual(linesOf(after).map((l) => [l.text, l.cursor]), got.slice(50).map((l) => [l.text, l.cursor]), "a live line's cursor is its stored line's");
  });

  test("follow sends the last lines, then new lines as they are shipped, each once", async () => {
    await publish({ task: "f.t1", app: "/f" }, ["before 1", "before 2"]);
    await eventually("stored", async () => linesOf(await client.queryLogs(filter({ taskId: "f.t1" }))).length === 2, 10_000);
    const abort = new AbortController();
    const got: string[] = [];
    const following = (async () => {
      try {
        for await (const r of client.followLogs({ ...filter({ taskId: "f.t1" }), skipPrev: 1 }, { signal: abort.signal, deadlineMs: 60_000 })) got.push(...texts(r));
      } catch (err) {
        if (!abort.signal.aborted) throw err;
      }
    })();
    await eventually("the last line first", () => got.length >= 1, 10_000);
    await publish({ task: "f.t1", app: "/f" }, ["live 1"]);
    await publish({ task: "other.t1", app: "/other" }, ["not mine"]);
    await publish({ task: "f.t1", app: "/f" }, ["live 2"]);
    await eventually("live lines", () => got.length >= 3, 10_000);
    abort.abort();
    await following;
    assert.deepEqual(got, ["before 2", "live 1", "live 2"]);
  });

  test("a reader of one app's logs reads that app's task lines and nothing else", async () => {
    const wendy = createGrpcClient(logsV1.LogsService, `127.0.0.1:${logs.port}`, { token: webReader, deadlineMs: DEADLINE_MS });
    assert.deepEqual(texts(await wendy.queryLogs(filter({ taskId: "web.t1", stream: "stderr" }))), ["err 1"]);
    for (const denied of [filter({ appId: "/db" }), filter({ taskId: "db.t1" }), filter({ component: "scheduler" }), filter({})]) {
      await assert.rejects(wendy.queryLogs(denied), (err: GantryError) => err.code === "PermissionDenied");
    }
  });

  test("bad input names the field and the service stays up", async () => {
    await assert.rejects(client.queryLogs(filter({ stream: "stdin" })), (err: GantryError) => err.code === "InvalidArgument" && err.message.includes("/filter/stream"));
    await assert.rejects(client.queryLogs({ cursor: "nonsense" }), (err: GantryError) => err.code === "InvalidArgument" && err.message.includes("cursor"));
    await assert.rejects(client.queryLogs({ limit: 1_000_000 }), (err: GantryError) => err.code === "InvalidArgument" && err.message.includes("limit"));
    assert.ok(linesOf(await client.queryLogs(filter({ taskId: "web.t1" }))).length > 0);
  });

  test("a batch published again (same stream sequence redelivered) is stored once", async () => {
    const seq = await publish({ task: "dup.t1", app: "/dup" }, ["only once"]);
    await eventually("stored", async () => linesOf(await client.queryLogs(filter({ taskId: "dup.t1" }))).length === 1, 10_000);
    // What a redelivery after a crash between commit and ack looks like to the store.
    const raw = await bus.jsm.streams.getMessage(cluster.names.stream("LOGS"), { seq });
    const checked = chunksOfBatch(seq, fromBinary(logsV1.LogBatchSchema, raw!.data));
    assert.ok(checked.ok);
    const outcome = await logs.store.storeBatches([{ seq, chunks: checked.chunks }]);
    assert.deepEqual(outcome, { stored: 0, duplicates: 1, expired: 0 });
    assert.deepEqual(texts(await client.queryLogs(filter({ taskId: "dup.t1" }))), ["only once"]);
  });

  test("retention drops whole partitions older than it; lines older than it are not stored", async () => {
    const twoDaysAgo = Date.now() - 2 * 86_400_000;
    await publish({ task: "old.t1", app: "/old", timeMs: twoDaysAgo }, ["two days old"]);
    await publish({ task: "old.t1", app: "/old" }, ["fresh"]);
    await eventually("both stored", async () => linesOf(await client.queryLogs(filter({ taskId: "old.t1" }))).length === 2, 10_000);
    await logs.stop();
    logs = await start(["--retention", "1d", "--partition-interval", "1h"]);
    client = createGrpcClient(logsV1.LogsService, `127.0.0.1:${logs.port}`, { token: admin, deadlineMs: DEADLINE_MS });
    assert.deepEqual(texts(await client.queryLogs(filter({ taskId: "old.t1" }))), ["fresh"]);
    assert.ok((await logs.partitions.existing()).every((p) => p.endMs > Date.now() - 86_400_000 - 3_600_000));
    await publish({ task: "old.t2", app: "/old", timeMs: twoDaysAgo }, ["too old to keep"]);
    await publish({ task: "old.t2", app: "/old" }, ["kept"]);
    await eventually("the fresh one stored", async () => linesOf(await client.queryLogs(filter({ taskId: "old.t2" }))).length === 1, 10_000);
    assert.equal(logs.stats.expired, 1);
  });
});
