/**
 * The dcos-log v1 routes of a real gateway in front of a real logs service (PostgreSQL, NATS):
 * task and node ranges in text and NDJSON, windows (skip_prev, skip_next, limit, read_reverse)
 * with their X-Journal-Skip-* headers, 204/400/403, and an SSE stream resumed with Last-Event-ID
 * (only lines after it, none twice).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { logsV1, logsComponentSubject, logsTaskSubject } from "@gantry/proto";
import { connectBus, createAuthenticator, createLogger, createTokenSigner, generateSigningKey } from "@gantry/platform";
import type { Bus } from "@gantry/platform/bus";
import { createTestCluster, createTestDatabase, eventually, type TestDatabase } from "@gantry/platform/testing";
import { compileLogsSettings, dropLogsDatabase, startLogs, type RunningLogs } from "@gantry/logs";
import { startGateway, type RunningGateway } from "../start-gateway.ts";

const signer = createTokenSigner(generateSigningKey());
const authenticator = createAuthenticator(signer);
const admin = `Bearer ${signer.issue({ name: "alice", roles: ["admin"] }).token}`;
const nobody = `Bearer ${signer.issue({ name: "eve", roles: [] }).token}`;
const logger = createLogger("logs-http-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const cluster = createTestCluster();
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
let testDb: TestDatabase;
let bus: Bus;
let logs: RunningLogs;
let gateway: RunningGateway;
let n = 0;

async function publish(chunk: { taskId?: string; appId?: string; stream: string; component?: string; level?: number }, texts: string[]): Promise<void> {
  const now = BigInt(Date.now()) * 1000n;
  const batch = create(logsV1.LogBatchSchema, { agentId: "agent-1", hostname: "h1", chunks: [{ ...chunk, timesUnixMicros: texts.map(() => now), levels: texts.map(() => chunk.level ?? 0), texts }] });
  await bus.js.publish(cluster.names.subject(chunk.component ? logsComponentSubject(chunk.component) : logsTaskSubject("agent-1")), toBinary(logsV1.LogBatchSchema, batch), { msgID: `http:${++n}` });
}

const TASK = "/system/v1/agent/agent-1/logs/v1/range/framework/gantry/executor/web.t1/container/c";
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gateway.url}${path}`, { headers: { authorization: admin, ...headers } });

before(async () => {
  testDb = await createTestDatabase("logs_http");
  bus = await connectBus(natsUrl, cluster.names, "logs-http-test");
  const { settings } = compileLogsSettings([], testDb.url, { LOGS_DATABASE_URL: `${testDb.url}_logs` });
  logs = await startLogs({ databaseUrl: testDb.url, natsUrl, names: cluster.names, host: "127.0.0.1", port: 0, authenticator, logger, settings });
  gateway = await startGateway({ host: "127.0.0.1", port: 0, backends: { registry: "127.0.0.1:1", scheduler: "127.0.0.1:1", logs: `127.0.0.1:${logs.port}` }, authenticator, logger, names: cluster.names, natsUrl });
  await publish({ taskId: "web.t1", appId: "/web", stream: "stdout" }, ["one", "two", "three"]);
  await publish({ taskId: "web.t1", appId: "/web", stream: "stderr" }, ["oops"]);
  await publish({ component: "scheduler", stream: "log", level: 40 }, ["placement is slow"]);
  await publish({ taskId: "win.t1", appId: "/win", stream: "stdout" }, Array.from({ length: 10 }, (_, i) => `w${i + 1}`));
  await eventually("lines stored", () => logs.stats.lines >= 15, 10_000);
});

after(async () => {
  await gateway?.stop();
  await logs?.stop();
  await cluster.cleanup(bus.nc);
  await bus?.close();
  await dropLogsDatabase(`${testDb.url}_logs`);
  await testDb?.drop();
});

test("task range: last lines as text, every line as NDJSON, one stream by filter", async () => {
  const text = await get(`${TASK}?skip_prev=2`);
  assert.equal(text.status, 200);
  assert.equal(text.headers.get("x-journal-skip-prev"), "2");
  assert.match(await text.text(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: three\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: oops\n$/);
  const json = await get(TASK, { accept: "application/json" });
  const entries = (await json.text()).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(entries.map((e) => e.fields.MESSAGE), ["one", "two", "three", "oops"]);
  assert.equal(entries[0].fields.AGENT_ID, "agent-1");
  const stderr = await get(`${TASK}?filter=STREAM:stderr`, { accept: "application/json" });
  assert.deepEqual((await stderr.text()).trim().split("\n").map((l) => JSON.parse(l).fields.MESSAGE), ["oops"]);
});

test("range windows: skip_prev / skip_next then limit, read_reverse, and how far each actually skipped (X-Journal-Skip-*)", async () => {
  // dcos-log moves back skip_prev lines from the end (or forward skip_next from the start), then
  // reads at most `limit` lines forward; its headers say how many lines it actually moved over.
  // read_reverse shows the same window newest first (as this gateway did before issue 10).
  const window = async (query: string) => {
    const r = await get(`${TASK.replace("web.t1", "win.t1")}?${query}`, { accept: "application/json" });
    const body = await r.text();
    return {
      status: r.status,
      lines: body === "" ? [] : body.trim().split("\n").map((l) => JSON.parse(l).fields.MESSAGE as string),
      prev: r.headers.get("x-journal-skip-prev"),
      next: r.headers.get("x-journal-skip-next"),
    };
  };
  const cases: [string, { status: number; lines: string[]; prev: string; next: string }][] = [
    ["skip_prev=5&limit=2", { status: 200, lines: ["w6", "w7"], prev: "5", next: "0" }],
    ["skip_prev=5&limit=2&read_reverse=true", { status: 200, lines: ["w7", "w6"], prev: "5", next: "0" }],
    ["skip_prev=3&limit=5&read_reverse=true", { status: 200, lines: ["w10", "w9", "w8"], prev: "3", next: "0" }],
    ["skip_prev=15&limit=3", { status: 200, lines: ["w1", "w2", "w3"], prev: "10", next: "0" }],
    ["skip_next=3&limit=4", { status: 200, lines: ["w4", "w5", "w6", "w7"], prev: "0", next: "3" }],
    ["skip_next=3&limit=4&read_reverse=true", { status: 200, lines: ["w7", "w6", "w5", "w4"], prev: "0", next: "3" }],
    ["skip_next=8&limit=5", { status: 200, lines: ["w9", "w10"], prev: "0", next: "8" }],
    ["skip_next=12&limit=2", { status: 204, lines: [], prev: "0", next: "10" }],
    ["limit=3&read_reverse=true", { status: 200, lines: ["w3", "w2", "w1"], prev: "0", next: "0" }],
  ];
  for (const [query, expected] of cases) assert.deepEqual(await window(query), expected, query);
});

test("node logs by component and level; 204 when nothing matches; 400 and 403", async () => {
  const r = await get("/system/v1/logs/v1/range/?filter=_SYSTEMD_UNIT:gantry-scheduler.service&filter=LEVEL:warn");
  assert.match(await r.text(), /: placement is slow\n$/);
  assert.equal((await get(`${TASK}?filter=MESSAGE:nothing-like-this`)).status, 204);
  const bad = await get(`${TASK}?filter=COLOUR:red`);
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { message: string }).message, /unknown filter field COLOUR/);
  assert.equal((await get(TASK, { authorization: nobody })).status, 403);
  assert.equal((await get("/system/v1/logs/v1/range/", { authorization: nobody })).status, 403);
});

test("an SSE stream sends ids; reconnecting with Last-Event-ID resumes after it, none twice", async () => {
  const streamUrl = TASK.replace("/range/", "/stream/");
  const read = async (headers: Record<string, string>, until: (events: { id: string; message: string }[]) => boolean) => {
    const abort = new AbortController();
    const res = await fetch(`${gateway.url}${streamUrl}`, { headers: { authorization: admin, accept: "text/event-stream", ...headers }, signal: abort.signal });
    assert.equal(res.status, 200);
    const events: { id: string; message: string }[] = [];
    let buf = "";
    const decoder = new TextDecoder();
    const deadline = setTimeout(() => abort.abort(), 10_000);
    try {
      for await (const chunk of res.body!) {
        buf += decoder.decode(chunk as Uint8Array, { stream: true });
        let end;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const id = /^id: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (id && data) events.push({ id, message: JSON.parse(data).fields.MESSAGE });
        }
        if (until(events)) break;
      }
    } finally {
      clearTimeout(deadline);
      abort.abort();
    }
    return events;
  };
  const seen = await (async () => {
    const p = read({}, (e) => e.some((x) => x.message === "live 1"));
    await new Promise((r) => setTimeout(r, 300));
    await publish({ taskId: "web.t1", appId: "/web", stream: "stdout" }, ["live 1"]);
    return p;
  })();
  assert.deepEqual(seen.map((e) => e.message), ["live 1"], "a stream without cursor or skip_prev starts at the end");
  await publish({ taskId: "web.t1", appId: "/web", stream: "stdout" }, ["live 2", "live 3"]);
  const resumed = await read({ "last-event-id": seen[0]!.id }, (e) => e.length >= 2);
  assert.deepEqual(resumed.map((e) => e.message), ["live 2", "live 3"]);
});
