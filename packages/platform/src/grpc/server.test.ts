import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { create, createRegistry, fromBinary, toBinary, type Message } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { trace } from "@opentelemetry/api";
import { googleRpc, googleRpcErrorDetails, registryV1, schedulerV1 } from "@gantry/proto";
import { GantryError, invalidObject } from "../errors/index.ts";
import { startTelemetry, tracer, type Telemetry } from "../telemetry/index.ts";
import { createGrpcClient, createGrpcServer, bindService, encodeFields, type CallContext, type GrpcServer } from "./index.ts";
import { HealthService } from "./health.ts";
import { eventually, within } from "../testing/waits.ts";
import { openToAuthenticated } from "../testing/open-permissions.ts";
import { authFixture, recordingLogger, sleep, WatchTasksBidi, WatchTasksClientStream, withUnusedMethods } from "./test-kit.ts";

const auth = authFixture();
const { logger, lines } = recordingLogger();
const seen: { method: string; ctx: CallContext; activeTraceId?: string }[] = [];
const signalOutcome: { aborted?: boolean; reason?: unknown } = {};
let telemetry: Telemetry;
let server: GrpcServer;
let address: string;

function remember(method: string, ctx: CallContext) {
  seen.push({ method, ctx, activeTraceId: trace.getActiveSpan()?.spanContext().traceId });
}

async function waitForAbort(ctx: CallContext): Promise<never> {
  await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
  signalOutcome.aborted = ctx.signal.aborted;
  signalOutcome.reason = ctx.signal.reason;
  throw ctx.signal.reason;
}

const registry = bindService(registryV1.RegistryService, withUnusedMethods(registryV1.RegistryService, {
  async createApp(request, ctx) {
    remember("createApp", ctx);
    const id = typeof request.definition?.id === "string" ? request.definition.id : "";
    if (id === "") throw invalidObject([{ path: "/id", errors: ["must be set", "must be a path"] }]);
    return { app: { id, version: "2026-01-01T00:00:00.000Z", definition: request.definition }, deploymentId: `deploy-${ctx.principal.name}` };
  },
  async getApp(request, ctx) {
    remember("getApp", ctx);
    if (request.id === "/slow") return waitForAbort(ctx);
    if (request.id === "/encoded") return encodeFields<typeof registryV1.GetAppResponseSchema>([{ number: 1, content: [{ number: 1, content: Buffer.from("/encoded") }, { number: 2, content: Buffer.from("v7") }] }]);
    if (request.id === "/boom") throw new Error("database password is hunter2");
    throw new GantryError("NotFound", `app ${request.id} not found`, { details: { appId: request.id, n: 3n } });
  },
  async listApps(_request, ctx) {
    remember("listApps", ctx);
    return { apps: [{ id: "/a" }, { id: "/b" }] };
  },
  async deleteApp() {
    return {};
  },
}), openToAuthenticated(registryV1.RegistryService));

const scheduler = bindService(schedulerV1.SchedulerService, {
  async listTasks(request) {
    // A response protobuf cannot encode (an int32 holding text): a handler bug.
    if (request.appId === "/bad-response") return { tasks: [{ taskId: "t", exitCode: "minus one" as unknown as number }] };
    return { tasks: [] };
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
  async listAgents() {
    return { agents: [] };
  },
  async *watchTasks(request, ctx) {
    remember("watchTasks", ctx);
    for (let i = 0; i < 5; i++) yield { task: { taskId: `t${i}`, appId: request.appId } };
    if (request.appId === "/fail-after-five") throw new GantryError("Unavailable", "scheduler lost its leader");
    if (request.appId === "/forever") await waitForAbort(ctx);
  },
}, openToAuthenticated(schedulerV1.SchedulerService));

const bidi = bindService(WatchTasksBidi, {
  async *watchTasks(requests, ctx) {
    remember("bidi", ctx);
    let n = 0;
    for await (const request of requests) yield { task: { taskId: `echo-${n++}`, appId: request.appId } };
  },
}, openToAuthenticated(WatchTasksBidi));

before(async () => {
  telemetry = await startTelemetry("grpc-test");
  server = createGrpcServer({ logger, authenticator: auth.authenticator, services: [registry, scheduler], reflection: true });
  address = `127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
});

after(async () => {
  await server.shutdown(100);
  await telemetry.shutdown();
});

describe("round trips", () => {
  test("unary: request, response and principal cross the wire", async () => {
    const client = createGrpcClient(registryV1.RegistryService, address, { token: auth.admin });
    try {
      const response = await client.createApp({
        definition: { id: "/web", cpus: 0.5, labels: { tier: "frontend" } },
      });
      assert.equal(response.app?.id, "/web");
      assert.deepEqual(response.app?.definition, { id: "/web", cpus: 0.5, labels: { tier: "frontend" } });
      assert.equal(response.deploymentId, "deploy-alice");
      assert.deepEqual(seen.at(-1)?.ctx.principal, { name: "alice", roles: ["admin"] });
    } finally {
      client.close();
    }
  });

  test("unary: a response the handler encoded itself (EncodedMessage) arrives as the message it encodes", async () => {
    const client = createGrpcClient(registryV1.RegistryService, address, { token: auth.admin });
    try {
      const response = await client.getApp({ id: "/encoded" });
      assert.equal(response.$typeName, "gantry.registry.v1.GetAppResponse");
      assert.equal(response.app?.id, "/encoded");
      assert.equal(response.app?.version, "v7");
    } finally {
      client.close();
    }
  });

  test("server streaming: every message arrives in order, then the stream ends", async () => {
    const client = createGrpcClient(schedulerV1.SchedulerService, address, { token: auth.admin });
    try {
      const got: string[] = [];
      await within("the end of the /web stream", (async () => {
        for await (const message of client.watchTasks({ appId: "/web" })) got.push(`${message.task?.taskId}@${message.task?.appId}`);
      })(), 5_000);
      assert.deepEqual(got, ["t0@/web", "t1@/web", "t2@/web", "t3@/web", "t4@/web"]);
    } finally {
      client.close();
    }
  });

  test("server streaming: an error after some messages reaches the consumer as a GantryError", async () => {
    const client = createGrpcClient(schedulerV1.SchedulerService, address, { token: auth.admin });
    try {
      const got: string[] = [];
      await assert.rejects(
        within("the /fail-after-five stream's error", (async () => {
          for await (const message of client.watchTasks({ appId: "/fail-after-five" })) got.push(message.task!.taskId);
        })(), 5_000),
        (err: unknown) => err instanceof GantryError && err.code === "Unavailable" && err.message === "scheduler lost its leader" && err.retryable,
      );
      assert.equal(got.length, 5);
    } finally {
      client.close();
    }
  });

  test("bidi and client streaming (WatchTasks re-declared): each request is answered", async () => {
    const local = createGrpcServer({ logger, authenticator: auth.authenticator, services: [bidi] });
    const localAddress = `127.0.0.1:${await local.listen("127.0.0.1", 0)}`;
    const counting = createGrpcServer({
      logger,
      authenticator: auth.authenticator,
      services: [
        bindService(WatchTasksClientStream, {
          async watchTasks(requests) {
            const ids: string[] = [];
            for await (const request of requests) ids.push(request.appId);
            return { task: { taskId: `${ids.length}`, appId: ids.join(",") } };
          },
        }, openToAuthenticated(WatchTasksClientStream)),
      ],
    });
    const countingAddress = `127.0.0.1:${await counting.listen("127.0.0.1", 0)}`;
    const bidiClient = createGrpcClient(WatchTasksBidi, localAddress, { token: auth.admin });
    const streamClient = createGrpcClient(WatchTasksClientStream, countingAddress, { token: auth.admin });
    try {
      async function* requests() {
        for (const appId of ["/a", "/b", "/c"]) {
          yield { appId };
          await sleep(5);
        }
      }
      const got: string[] = [];
      await within("the end of the bidi stream", (async () => {
        for await (const message of bidiClient.watchTasks(requests())) got.push(`${message.task?.taskId}:${message.task?.appId}`);
      })(), 5_000);
      assert.deepEqual(got, ["echo-0:/a", "echo-1:/b", "echo-2:/c"]);

      const summary = await within("the client stream's answer", streamClient.watchTasks(requests()), 5_000);
      assert.equal(summary.task?.taskId, "3");
      assert.equal(summary.task?.appId, "/a,/b,/c");
    } finally {
      bidiClient.close();
      streamClient.close();
      await local.shutdown(100);
      await counting.shutdown(100);
    }
  });
});

describe("authentication", () => {
  test("a call without a token is refused with UNAUTHENTICATED and the handler never runs", async () => {
    const before = seen.length;
    for (const token of [undefined, "gty_forged.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", auth.admin.slice(0, -2) + "xx"]) {
      const client = createGrpcClient(registryV1.RegistryService, address, token === undefined ? {} : { token });
      const streams = createGrpcClient(schedulerV1.SchedulerService, address, token === undefined ? {} : { token });
      try {
        await assert.rejects(client.listApps({}), (err: unknown) => err instanceof GantryError && err.code === "Unauthenticated");
        await assert.rejects(
          within("the refusal of an unauthenticated stream", (async () => {
            for await (const _ of streams.watchTasks({ appId: "/x" })) assert.fail("no message expected");
          })(), 5_000),
          (err: unknown) => err instanceof GantryError && err.code === "Unauthenticated",
        );
      } finally {
        client.close();
        streams.close();
      }
    }
    assert.equal(seen.length, before, "no handler ran");
  });

  test("the DC/OS form `authorization: token=<t>` is accepted", async () => {
    const client = createGrpcClient(registryV1.RegistryService, address);
    try {
      const response = await client.listApps({}, { metadata: { authorization: `token=${auth.admin}` } });
      assert.deepEqual(response.apps.map((a) => a.id), ["/a", "/b"]);
      assert.equal(seen.at(-1)?.ctx.principal.name, "alice");
    } finally {
      client.close();
    }
  });

  test("health needs no token and reports SERVING", async () => {
    const client = createGrpcClient(HealthService as never, address) as unknown as {
      check(r: { service: string }): Promise<{ status: number }>;
      close(): void;
    };
    try {
      assert.equal((await client.check({ service: "" })).status, 1);
      assert.equal((await client.check({ service: "gantry.registry.v1.RegistryService" })).status, 1);
      await assert.rejects(client.check({ service: "nope.Service" }), (err: unknown) => err instanceof GantryError && err.code === "NotFound");
    } finally {
      client.close();
    }
  });
});

describe("errors", () => {
  test("a GantryError with violations and details reaches the client intact", async () => {
    const client = createGrpcClient(registryV1.RegistryService, address, { token: auth.admin });
    try {
      await assert.rejects(client.createApp({ definition: {} }), (err: unknown) => {
        assert.ok(err instanceof GantryError);
        assert.equal(err.code, "InvalidArgument");
        assert.equal(err.message, "Object is not valid");
        assert.deepEqual(err.violations, [{ path: "/id", errors: ["must be set", "must be a path"] }]);
        return true;
      });
      await assert.rejects(client.getApp({ id: "/nope" }), (err: unknown) => {
        assert.ok(err instanceof GantryError);
        assert.equal(err.code, "NotFound");
        assert.deepEqual(err.details, { appId: "/nope", n: "3" });
        return true;
      });
    } finally {
      client.close();
    }
  });

  test("an unknown error becomes INTERNAL with a generic message, logged with its stack", async () => {
    const client = createGrpcClient(registryV1.RegistryService, address, { token: auth.admin, correlationId: "corr-boom" });
    try {
      await assert.rejects(client.getApp({ id: "/boom" }), (err: unknown) => {
        assert.ok(err instanceof GantryError);
        assert.equal(err.code, "Internal");
        assert.equal(err.message, "internal error (correlation id corr-boom)");
        assert.doesNotMatch(JSON.stringify({ m: err.message, d: err.details }), /hunter2/);
        return true;
      });
      const line = lines.find((l) => l.correlationId === "corr-boom" && l.code === "INTERNAL");
      assert.ok(line, "the failure is logged");
      assert.equal(line.level, 50);
      assert.match(String((line.err as { stack?: string }).stack), /hunter2[\s\S]*server\.test\.ts/);
    } finally {
      client.close();
    }
  });

  test("a response that cannot be encoded is an INTERNAL error, logged as such (not a logged OK)", async () => {
    const client = createGrpcClient(schedulerV1.SchedulerService, address, { token: auth.admin, correlationId: "corr-encode" });
    try {
      await assert.rejects(client.listTasks({ appId: "/bad-response" }), (err: unknown) => err instanceof GantryError && err.code === "Internal");
      const mine = lines.filter((l) => l.correlationId === "corr-encode");
      assert.deepEqual(mine.map((l) => l.code), ["INTERNAL"]);
    } finally {
      client.close();
    }
  });
});

/**
 * Calls a unary RegistryService method as a generic gRPC client would (bare grpc-js, no Gantry
 * decoding) and returns the error status it fails with.
 */
function rawCallError(method: string, request: Uint8Array): Promise<ServiceError> {
  const client = new Client(address, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${auth.admin}`);
  return new Promise<ServiceError>((resolve, reject) => {
    client.makeUnaryRequest(`/gantry.registry.v1.RegistryService/${method}`, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, request, metadata, (err) => {
      client.close();
      if (err) resolve(err);
      else reject(new Error(`${method} unexpectedly succeeded`));
    });
  });
}

/** Decodes `grpc-status-details-bin` the generic way: google.rpc.Status, then each Any by its type URL. */
function standardStatus(err: ServiceError): { status: googleRpc.Status; details: Map<string, Message> } {
  const [value] = err.metadata.get("grpc-status-details-bin");
  assert.ok(Buffer.isBuffer(value), "grpc-status-details-bin is present and binary");
  const status = fromBinary(googleRpc.StatusSchema, value);
  const registry = createRegistry(googleRpcErrorDetails.file_google_rpc_error_details);
  const details = new Map<string, Message>();
  for (const any of status.details) {
    const unpacked = anyUnpack(any, registry);
    assert.ok(unpacked, `${any.typeUrl} unpacks`);
    details.set(any.typeUrl, unpacked);
  }
  return { status, details };
}

describe("standard error details (grpc-status-details-bin)", () => {
  test("violations arrive as google.rpc.BadRequest: one FieldViolation per error, named by path", async () => {
    const err = await rawCallError("CreateApp", toBinary(registryV1.CreateAppRequestSchema, create(registryV1.CreateAppRequestSchema)));
    assert.equal(err.code, 3); // INVALID_ARGUMENT
    const { status, details } = standardStatus(err);
    assert.equal(status.code, 3);
    assert.equal(status.message, "Object is not valid");
    const badRequest = details.get("type.googleapis.com/google.rpc.BadRequest") as googleRpcErrorDetails.BadRequest | undefined;
    assert.ok(badRequest, "a BadRequest is packed");
    assert.deepEqual(
      badRequest.fieldViolations.map((v) => ({ field: v.field, description: v.description })),
      [
        { field: "/id", description: "must be set" },
        { field: "/id", description: "must be a path" },
      ],
    );
    const info = details.get("type.googleapis.com/google.rpc.ErrorInfo") as googleRpcErrorDetails.ErrorInfo | undefined;
    assert.equal(info?.reason, "INVALID_ARGUMENT");
    assert.equal(info?.domain, "gantry");
    assert.ok(!details.has("type.googleapis.com/google.rpc.RetryInfo"), "InvalidArgument is not retryable");
    assert.ok(err.metadata.get("gantry-error")[0], "Gantry's own trailer is still sent");
  });

  test("an error without violations carries ErrorInfo (code, domain, scalar details) but no BadRequest", async () => {
    const err = await rawCallError("GetApp", toBinary(registryV1.GetAppRequestSchema, create(registryV1.GetAppRequestSchema, { id: "/nope" })));
    assert.equal(err.code, 5); // NOT_FOUND
    const { status, details } = standardStatus(err);
    assert.equal(status.code, 5);
    assert.equal(status.message, "app /nope not found");
    assert.deepEqual([...details.keys()], ["type.googleapis.com/google.rpc.ErrorInfo"]);
    const info = details.get("type.googleapis.com/google.rpc.ErrorInfo") as googleRpcErrorDetails.ErrorInfo;
    assert.equal(info.reason, "NOT_FOUND");
    assert.equal(info.domain, "gantry");
    assert.deepEqual({ ...info.metadata }, { appId: "/nope", n: "3" });
  });
});

describe("cancellation", () => {
  test("the deadline aborts ctx.signal and the client sees DEADLINE_EXCEEDED as Unavailable", async () => {
    const client = createGrpcClient(registryV1.RegistryService, address, { token: auth.admin });
    try {
      delete signalOutcome.aborted;
      const started = Date.now();
      await assert.rejects(client.getApp({ id: "/slow" }, { deadlineMs: 150 }), (err: unknown) => {
        assert.ok(err instanceof GantryError);
        assert.equal(err.code, "Unavailable");
        assert.equal(err.details.grpcStatus, "DEADLINE_EXCEEDED");
        return true;
      });
      assert.ok(Date.now() - started < 2000);
      await eventually("the handler's ctx.signal to abort at the deadline", () => signalOutcome.aborted, 1_000, 10);
      assert.match(String(signalOutcome.reason), /deadline exceeded/);
    } finally {
      client.close();
    }
  });

  test("cancelling on the client aborts ctx.signal of a unary call and of a stream", async () => {
    const client = createGrpcClient(registryV1.RegistryService, address, { token: auth.admin });
    const streams = createGrpcClient(schedulerV1.SchedulerService, address, { token: auth.admin });
    try {
      delete signalOutcome.aborted;
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error("user pressed ^C")), 100);
      await assert.rejects(client.getApp({ id: "/slow" }, { signal: controller.signal }), /user pressed \^C/);
      await eventually("the unary handler's ctx.signal to abort on the client's cancel", () => signalOutcome.aborted, 1_000, 10);

      delete signalOutcome.aborted;
      let count = 0;
      await within("5 messages of the /forever stream", (async () => {
        for await (const _ of streams.watchTasks({ appId: "/forever" })) if (++count === 5) break; // leaving early cancels
      })(), 5_000);
      await eventually("the stream handler's ctx.signal to abort when the client left", () => signalOutcome.aborted, 1_000, 10);
    } finally {
      client.close();
      streams.close();
    }
  });
});

describe("shutdown", () => {
  test("shutdown waits the grace period, then cancels open streams (their ctx.signal aborts)", async () => {
    const local = createGrpcServer({ logger, authenticator: auth.authenticator, services: [scheduler] });
    const localAddress = `127.0.0.1:${await local.listen("127.0.0.1", 0)}`;
    const client = createGrpcClient(schedulerV1.SchedulerService, localAddress, { token: auth.admin });
    try {
      delete signalOutcome.aborted;
      const stream = client.watchTasks({ appId: "/forever" })[Symbol.asyncIterator]();
      await within("the first message of the /forever stream", stream.next(), 5_000);
      const started = Date.now();
      await local.shutdown(200);
      assert.ok(Date.now() - started >= 150 && Date.now() - started < 3000, `took ${Date.now() - started} ms`);
      await eventually("the open stream's ctx.signal to abort at shutdown", () => signalOutcome.aborted, 1_000, 10);
      await assert.rejects(
        within("the open stream to fail after shutdown", (async () => {
          for (;;) if ((await stream.next()).done) return;
        })(), 5_000),
        GantryError,
      );
    } finally {
      client.close();
    }
  });
});

describe("correlation, tracing and logs", () => {
  test("the client's trace continues on the server: same trace id in ctx.traceparent and the active span", async () => {
    const client = createGrpcClient(registryV1.RegistryService, address, { token: auth.admin });
    try {
      const clientTraceId = await tracer("test").startActiveSpan("caller", async (span) => {
        await client.listApps({});
        span.end();
        return span.spanContext().traceId;
      });
      assert.match(clientTraceId, /^[0-9a-f]{32}$/);
      assert.notEqual(clientTraceId, "0".repeat(32));
      const last = seen.at(-1)!;
      assert.equal(last.ctx.traceparent?.split("-")[1], clientTraceId);
      assert.equal(last.activeTraceId, clientTraceId);
    } finally {
      client.close();
    }
  });

  test("each call logs one line with method, code, duration, principal and correlation id", async () => {
    const client = createGrpcClient(registryV1.RegistryService, address, { token: auth.admin, correlationId: "corr-42" });
    try {
      await client.listApps({});
      await assert.rejects(client.getApp({ id: "/x" }));
      const mine = lines.filter((l) => l.correlationId === "corr-42");
      assert.equal(mine.length, 2);
      const [ok, notFound] = mine;
      assert.equal(ok?.method, "/gantry.registry.v1.RegistryService/ListApps");
      assert.equal(ok?.code, "OK");
      assert.equal(ok?.principal, "alice");
      assert.equal(typeof ok?.durationMs, "number");
      assert.match(String(ok?.trace_id), /^[0-9a-f]{32}$/);
      assert.equal(seen.at(-1)?.ctx.correlationId, "corr-42");
      assert.equal(notFound?.code, "NOT_FOUND");
    } finally {
      client.close();
    }
  });

  test("a call without a correlation id gets a fresh UUID", async () => {
    const client = createGrpcClient(registryV1.RegistryService, address, { token: auth.admin });
    try {
      await client.listApps({});
      assert.match(seen.at(-1)!.ctx.correlationId, /^[0-9a-f-]{36}$/);
    } finally {
      client.close();
    }
  });
});
