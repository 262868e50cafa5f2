import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import Fastify, { type FastifyBaseLogger } from "fastify";
import { pino } from "pino";
import { DebugRequestLogs } from "./request-logs.ts";

async function requestLines(level: string): Promise<string[]> {
  const out = new PassThrough();
  const app = Fastify({ loggerInstance: pino({ level }, out) as FastifyBaseLogger, logController: new DebugRequestLogs() });
  app.get("/ping", async () => "pong");
  await app.inject({ method: "GET", url: "/ping" });
  await app.close();
  return (out.read()?.toString() ?? "").split("\n").filter(Boolean).map((l: string) => JSON.parse(l).msg as string);
}

test("one line per request only at debug: none at info, both fastify lines at debug", async () => {
  assert.deepEqual(await requestLines("info"), []);
  assert.deepEqual(await requestLines("debug"), ["incoming request", "request completed"]);
});
