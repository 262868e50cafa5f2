import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { registryV1, schedulerV1 } from "@gantry/proto";
import { GantryError, invalidObject } from "../errors/index.ts";
import { startTelemetry, tracer, type Telemetry } from "../telemetry/index.ts";
import { bindService, createGrpcClient, createGrpcProxy, createGrpcServer, type CallContext, type GrpcServer } from "./index.ts";
import { within } from "../testing/waits.ts";
import { openToAuthenticated } from "../testing/open-permissions.ts";
import { authFixture, recordingLogger, WatchTasksBidi, withUnusedMethods } from "./test-kit.ts";

const auth = authFixture();
const backendCalls: { method: string; ctx: CallContext }[] = [];
let telemetry: Telemetry;
let backend: GrpcServer;
let bidiBackend: GrpcServer;
let proxy: GrpcServer;
let proxyAddress: string;
const routed: string[] = [];

before(async () => {
  telemetry = await startTelemetry("proxy-test");
  const { logger } = recordingLogger();
  backend = createGrpcServer({
    logger,
    authenticator: auth.authenticator,
    services: [
      bindService(registryV1.RegistryService, withUnusedMethods(registryV1.RegistryService, {
        async createApp(_request, ctx) {
          backendCalls.push({ method: "createApp", ctx });
          throw invalidObject([{ path: "/cmd", errors: ["must not be empty"] }]);
        },
        async getApp(request, ctx) {
          backendCalls.push({ method: "getApp", ctx });
          return { app: { id: request.id, version: "v7", definition: { id: request.id } } };
        },
        async listApps(_request, ctx) {
          backendCalls.push({ method: "listApps", ctx });
          return { apps: [] };
        },
        async deleteApp(_request, ctx) {
          backendCalls.push({ method: "deleteApp", ctx });
          throw new Error("backend bug");
        },
      }), openToAuthenticated(registryV1.RegistryService)),
      bindService(schedulerV1.SchedulerService, {
        async listTasks() {
          return { tasks: [] };
        },
        async listAgents() {
          return { agents: [] };
        },
        async listParkedMessages() {
          return { total: 0n, consumers: [], recent: [] };
        },
        async explainPlacement() {
          throw new Error("not used here");
        },
        async listQueue() {
          throw new Error("not used here");
        },
        async resetLaunchDelay() {
          throw new Error("not used here");
        },
        async drainAgent() {
          throw new Error("not used here");
        },
        async undrainAgent() {
          throw new Error("not used here");
        },
        async killTasks() {
          throw new Error("not used here");
        },
        async listTaskFailures() {
          throw new Error("not used here");
        },
        async listTaskCounts() {
          throw new Error("not used here");
        },
        async *watchTasks(request, ctx) {
          backendCalls.push({ method: "watchTasks", ctx });
          for (let i = 0; i < 3; i++) yield { task: { taskId: `t${i}`, appId: request.appId } };
          if (request.appId === "/broken") throw new GantryError("FailedPrecondition", "app is suspended");
        },
      }, openToAuthenticated(schedulerV1.SchedulerService)),
    ],
  });
  bidiBackend = createGrpcServer({
    logger,
    authenticator: auth.authenticator,
    services: [
      bindService(WatchTasksBidi, {
        async *watchTasks(requests) {
          for await (const request of requests) yield { task: { taskId: `echo`, appId: request.appId } };
        },
      }, openToAuthenticated(WatchTasksBidi)),
    ],
  });
  const backendAddress = `127.0.0.1:${await backend.listen("127.0.0.1", 0)}`;
  const bidiAddress = `127.0.0.1:${await bidiBackend.listen("127.0.0.1", 0)}`;
  proxy = createGrpcProxy({
    logger,
    authenticator: auth.authenticator,
    services: [registryV1.RegistryService, schedulerV1.SchedulerService],
    backendFor(service) {
      routed.push(service);
      return backendAddress;
    },
    onForwarded: (info) => forwarded.push(info.name),
  });
  proxyAddress = `127.0.0.1:${await proxy.listen("127.0.0.1", 0)}`;
  // A second proxy for the bidi variant (its path is the real WatchTasks path on another backend).
  bidiProxy = createGrpcProxy({ logger, authenticator: auth.authenticator, services: [WatchTasksBidi], backendFor: () => bidiAddress });
  bidiProxyAddress = `127.0.0.1:${await bidiProxy.listen("127.0.0.1", 0)}`;
});
let bidiProxy: GrpcServer;
let bidiProxyAddress: string;
/** Methods whose forwarded call ended (`onForwarded`), in order. */
const forwarded: string[] = [];

after(async () => {
  await proxy.shutdown(100);
  await bidiProxy.shutdown(100);
  await backend.shutdown(100);
  await bidiBackend.shutdown(100);
  await telemetry.shutdown();
});

test("onForwarded is called as a forwarded call ends, before its answer reaches the caller", async () => {
  const client = createGrpcClient(registryV1.RegistryService, proxyAddress, { token: auth.admin });
  try {
    forwarded.length = 0;
    const seenWhenAnswered = await client.getApp({ id: "/web" }).then(() => [...forwarded]);
    assert.deepEqual(seenWhenAnswered, ["GetApp"]);
  } finally {
    client.close();
  }
});

test("unary calls pass through with metadata: the backend sees the user's token, correlation id, headers and trace", async () => {
  const client = createGrpcClient(registryV1.RegistryService, proxyAddress, { token: auth.admin, correlationId: "corr-proxy" });
  try {
    const traceId = await tracer("test").startActiveSpan("caller", async (span) => {
      const response = await client.getApp({ id: "/web" }, { metadata: { "x-request-source": "cli" } });
      assert.equal(response.app?.version, "v7");
      assert.deepEqual(response.app?.definition, { id: "/web" });
      span.end();
      return span.spanContext().traceId;
    });
    const { ctx } = backendCalls.at(-1)!;
    assert.equal(ctx.principal.name, "alice", "the backend authenticated the forwarded token");
    assert.equal(ctx.metadata.authorization, undefined, "handlers never see the credential");
    assert.equal(ctx.metadata["x-request-source"], "cli");
    assert.equal(ctx.correlationId, "corr-proxy");
    assert.equal(ctx.traceparent?.split("-")[1], traceId, "one trace across client, gateway and backend");
    assert.deepEqual(routed.at(-1), "gantry.registry.v1.RegistryService");
  } finally {
    client.close();
  }
});

test("server streams pass through, and so does an error at their end", async () => {
  const client = createGrpcClient(schedulerV1.SchedulerService, proxyAddress, { token: auth.admin });
  try {
    const got: string[] = [];
    await within("the end of the /web stream through the proxy", (async () => {
      for await (const message of client.watchTasks({ appId: "/web" })) got.push(message.task!.taskId);
    })(), 5_000);
    assert.deepEqual(got, ["t0", "t1", "t2"]);

    const partial: string[] = [];
    await assert.rejects(
      within("the /broken stream's error through the proxy", (async () => {
        for await (const message of client.watchTasks({ appId: "/broken" })) partial.push(message.task!.taskId);
      })(), 5_000),
      (err: unknown) => err instanceof GantryError && err.code === "FailedPrecondition" && err.message === "app is suspended",
    );
    assert.equal(partial.length, 3);
  } finally {
    client.close();
  }
});

test("bidi streams pass through", async () => {
  const client = createGrpcClient(WatchTasksBidi, bidiProxyAddress, { token: auth.admin });
  try {
    async function* requests() {
      yield { appId: "/a" };
      yield { appId: "/b" };
    }
    const got: string[] = [];
    await within("the end of the bidi stream through the proxy", (async () => {
      for await (const message of client.watchTasks(requests())) got.push(message.task!.appId);
    })(), 5_000);
    assert.deepEqual(got, ["/a", "/b"]);
  } finally {
    client.close();
  }
});

test("backend errors reach the client unchanged, violations and generic INTERNAL included", async () => {
  const client = createGrpcClient(registryV1.RegistryService, proxyAddress, { token: auth.admin, correlationId: "corr-err" });
  try {
    await assert.rejects(client.createApp({ definition: {} }), (err: unknown) => {
      assert.ok(err instanceof GantryError);
      assert.equal(err.code, "InvalidArgument");
      assert.deepEqual(err.violations, [{ path: "/cmd", errors: ["must not be empty"] }]);
      return true;
    });
    await assert.rejects(client.deleteApp({ id: "/x" }), (err: unknown) => {
      assert.ok(err instanceof GantryError);
      assert.equal(err.code, "Internal");
      assert.equal(err.message, "internal error (correlation id corr-err)", "the backend's message, not a second mapping");
      return true;
    });
  } finally {
    client.close();
  }
});

test("the gateway refuses an unauthenticated call without calling the backend", async () => {
  const before = backendCalls.length;
  const client = createGrpcClient(registryV1.RegistryService, proxyAddress);
  const streams = createGrpcClient(schedulerV1.SchedulerService, proxyAddress, { token: "gty_nope.nope" });
  try {
    await assert.rejects(client.getApp({ id: "/web" }), (err: unknown) => err instanceof GantryError && err.code === "Unauthenticated");
    await assert.rejects(
      within("the proxy's refusal of an unauthenticated stream", (async () => {
        for await (const _ of streams.watchTasks({ appId: "/web" })) assert.fail("no message expected");
      })(), 5_000),
      (err: unknown) => err instanceof GantryError && err.code === "Unauthenticated",
    );
    assert.equal(backendCalls.length, before);
  } finally {
    client.close();
    streams.close();
  }
});

test("an unreachable backend is UNAVAILABLE", async () => {
  const lonely = createGrpcProxy({
    logger: recordingLogger().logger,
    authenticator: auth.authenticator,
    services: [registryV1.RegistryService],
    backendFor: () => "127.0.0.1:1",
  });
  const address = `127.0.0.1:${await lonely.listen("127.0.0.1", 0)}`;
  const client = createGrpcClient(registryV1.RegistryService, address, { token: auth.admin });
  try {
    await assert.rejects(client.listApps({}, { deadlineMs: 3000 }), (err: unknown) => err instanceof GantryError && err.code === "Unavailable");
  } finally {
    client.close();
    await lonely.shutdown(100);
  }
});
