import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { createLogger, type Authenticator } from "@gantry/platform";
import { logsV1, metricsV1, registryV1, schedulerV1 } from "@gantry/proto";
import type { Backends } from "../backends.ts";
import { buildHttpApi } from "./http-api.ts";
import { enforceRouteAccess, ROUTE_ACCESS } from "./route-access.ts";

const backends = { registry: {}, scheduler: {}, addressOf: () => "", close() {} } as unknown as Backends;
const authenticator: Authenticator = {
  authenticate: (h) => (h === "Bearer admin" ? { name: "root", roles: ["admin"] } : h === "Bearer nobody" ? { name: "eve", roles: [] } : undefined),
};
let api: FastifyInstance;
before(async () => {
  api = await buildHttpApi({ backends, authenticator, logger: createLogger("test", { level: "silent" }), info: { cluster: "c", version: "0", address: () => "127.0.0.1:1" }, openEventFeed: () => Promise.reject(new Error("no feed")) });
});
after(() => api.close());

test("every declared route exists, and every backend method a route names is a real gRPC method", () => {
  const methods = new Set([registryV1.RegistryService, schedulerV1.SchedulerService, metricsV1.MetricsService, logsV1.LogsService].flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`)));
  for (const [key, access] of Object.entries(ROUTE_ACCESS)) {
    const [method, url] = key.split(" ") as [string, string];
    assert.ok(api.hasRoute({ method: method as "GET", url }), `${key} is a route of the API`);
    if ("backend" in access) for (const m of access.backend) assert.ok(methods.has(m), `${key}: ${m} is a gRPC method`);
  }
});

test("a route without a declared access cannot be registered: the API does not start", async () => {
  const app = Fastify();
  enforceRouteAccess(app);
  app.get("/v2/apps", async () => ({}));
  assert.throws(() => app.get("/v2/undeclared", async () => ({})), /HTTP route GET \/v2\/undeclared declares no access/);
  await app.close();
});

test("routes the gateway serves itself: anonymous 401, without the permission 403, with it allowed; /ping is public", async () => {
  const status = async (url: string, authorization?: string) => (await api.inject({ method: "GET", url, headers: authorization ? { authorization } : {} })).statusCode;
  assert.equal(await status("/ping"), 200);
  for (const url of ["/v2/info", "/v2/leader", "/v2/schemas/app", "/v2/events"]) assert.equal(await status(url), 401, url);
  assert.equal(await status("/v2/events", "Bearer nobody"), 403, "the event stream needs gantry:events read");
  for (const url of ["/v2/info", "/v2/leader", "/v2/schemas/app"]) assert.equal(await status(url, "Bearer nobody"), 200, `${url}: any authenticated caller`);
});
