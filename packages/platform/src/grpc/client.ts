import type { DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import {
  Client,
  credentials as grpcCredentials,
  Metadata,
  type ChannelCredentials,
  type ChannelOptions,
  type ClientWritableStream,
  type MethodDefinition,
  type ServiceError,
} from "@grpc/grpc-js";
import { context, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import { injectTraceparent, tracer } from "../telemetry/index.ts";
import { CORRELATION_ID_KEY } from "./correlation.interceptor.ts";
import { grpcServiceDefinition } from "./method-definitions.ts";
import { currentCorrelationId } from "./pipeline.ts";
import { fromGrpcStatus, grpcStatusName } from "./status-mapping.ts";
import type { In, Out } from "./types.ts";

/** Options of `createGrpcClient`, fixed for the client's lifetime. */
export interface GrpcClientOptions {
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** Sent as `x-correlation-id`; by default the id of the call being served, if any, else none (the server makes one). */
  correlationId?: string;
  /** Default deadline of every call, in milliseconds from its start (streams included); none by default. */
  deadlineMs?: number;
  /** Default insecure (plain HTTP/2). */
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
}

/** Per-call options, overriding the client's. */
export interface GrpcCallOptions {
  /** Cancels the call; the call then rejects/throws with `signal.reason`. */
  signal?: AbortSignal;
  deadlineMs?: number;
  correlationId?: string;
  /** Extra request metadata (ASCII values). */
  metadata?: Record<string, string>;
}

/** The client function of one method, by its kind. */
export type ClientMethod<M> = M extends { methodKind: "unary" }
  ? (request: MessageInitShape<In<M>>, options?: GrpcCallOptions) => Promise<MessageShape<Out<M>>>
  : M extends { methodKind: "server_streaming" }
    ? (request: MessageInitShape<In<M>>, options?: GrpcCallOptions) => AsyncIterable<MessageShape<Out<M>>>
    : M extends { methodKind: "client_streaming" }
      ? (requests: AsyncIterable<MessageInitShape<In<M>>>, options?: GrpcCallOptions) => Promise<MessageShape<Out<M>>>
      : M extends { methodKind: "bidi_streaming" }
        ? (requests: AsyncIterable<MessageInitShape<In<M>>>, options?: GrpcCallOptions) => AsyncIterable<MessageShape<Out<M>>>
        : never;

/**
 * A typed client of service S: one function per method, keyed by localName, plus `close()`.
 * Failed calls reject/throw the GantryError the server threw (code, message, violations, details
 * rebuilt from the status and its trailers: the standard `grpc-status-details-bin` preferred,
 * `gantry-error` as fallback and for nested details; see `fromGrpcStatus`); statuses outside the
 * Gantry family read as their nearest code with `details.grpcStatus` (e.g. DEADLINE_EXCEEDED → Unavailable).
 */
export type GrpcClient<S extends GenService<GenServiceMethods>> = {
  [K in keyof S["method"]]: ClientMethod<S["method"][K]>;
} & {
  /** Closes the channel; calls in flight are cancelled. */
  close(): void;
};

type Definition = MethodDefinition<unknown, unknown>;

/**
 * Creates a typed client of `service` at `address` (`host:port`). Every call carries the token,
 * the correlation id and the W3C traceparent of a CLIENT span started as a child of the active
 * context. Streams start when first iterated; leaving a response stream early cancels the call.
 */
export function createGrpcClient<S extends GenService<GenServiceMethods>>(
  service: S,
  address: string,
  options: GrpcClientOptions = {},
): GrpcClient<S> {
  const desc = service as unknown as DescService;
  const client = new Client(address, options.credentials ?? grpcCredentials.createInsecure(), options.channelOptions);
  const definition = grpcServiceDefinition(desc, "message") as Record<string, Definition>;
  const out: Record<string, unknown> = { close: () => client.close() };
  for (const method of desc.methods) {
    const def = definition[method.localName]!;
    const call = (callOptions: GrpcCallOptions = {}) => startCall(def, options, callOptions);
    switch (method.methodKind) {
      case "unary":
        out[method.localName] = (request: unknown, o?: GrpcCallOptions) => unary(client, def, request, call(o));
        break;
      case "server_streaming":
        out[method.localName] = (request: unknown, o?: GrpcCallOptions) => serverStream(client, def, request, call(o));
        break;
      case "client_streaming":
        out[method.localName] = (requests: AsyncIterable<unknown>, o?: GrpcCallOptions) => clientStream(client, def, requests, call(o));
        break;
      case "bidi_streaming":
        out[method.localName] = (requests: AsyncIterable<unknown>, o?: GrpcCallOptions) => bidiStream(client, def, requests, call(o));
        break;
    }
  }
  return out as GrpcClient<S>;
}

interface OutgoingCall {
  metadata: Metadata;
  deadline: number | undefined;
  signal: AbortSignal | undefined;
  span: Span;
  /** Ends the span and maps the error (or the caller's abort reason). */
  fail(err: unknown): unknown;
  succeed(): void;
}

function startCall(def: Definition, clientOptions: GrpcClientOptions, callOptions: GrpcCallOptions): () => OutgoingCall {
  // Deferred so a stream's deadline, span and trace context are those of its first iteration.
  return () => {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(callOptions.metadata ?? {})) metadata.set(key, value);
    if (clientOptions.token) metadata.set("authorization", `Bearer ${clientOptions.token}`);
    const correlationId = callOptions.correlationId ?? clientOptions.correlationId ?? currentCorrelationId();
    if (correlationId) metadata.set(CORRELATION_ID_KEY, correlationId);
    const span = tracer("grpc").startSpan(
      def.path.slice(1),
      { kind: SpanKind.CLIENT, attributes: { "rpc.system": "grpc" } },
      context.active(),
    );
    const carried = injectTraceparent(trace.setSpan(context.active(), span));
    if (carried.traceparent) metadata.set("traceparent", carried.traceparent);
    if (carried.tracestate) metadata.set("tracestate", carried.tracestate);
    const deadlineMs = callOptions.deadlineMs ?? clientOptions.deadlineMs;
    const signal = callOptions.signal;
    return {
      metadata,
      deadline: deadlineMs === undefined ? undefined : Date.now() + deadlineMs,
      signal,
      span,
      fail(err) {
        if (signal?.aborted) {
          span.end();
          return signal.reason;
        }
        const code = isServiceError(err) ? err.code : 2;
        span.setAttribute("rpc.grpc.status_code", code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: grpcStatusName(code) });
        span.end();
        return isServiceError(err) ? fromGrpcStatus(err) : err;
      },
      succeed() {
        span.setAttribute("rpc.grpc.status_code", 0);
        span.end();
      },
    };
  };
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number" && "metadata" in err;
}

function callOptionsOf(call: OutgoingCall) {
  return call.deadline === undefined ? {} : { deadline: call.deadline };
}

function onAbort(signal: AbortSignal | undefined, cancel: () => void): () => void {
  if (!signal) return () => {};
  signal.addEventListener("abort", cancel, { once: true });
  return () => signal.removeEventListener("abort", cancel);
}

function unary(client: Client, def: Definition, request: unknown, begin: () => OutgoingCall): Promise<unknown> {
  const call = begin();
  if (call.signal?.aborted) return Promise.reject(call.fail(undefined));
  return new Promise((resolve, reject) => {
    const grpcCall = client.makeUnaryRequest(
      def.path, def.requestSerialize, def.responseDeserialize, request, call.metadata, callOptionsOf(call),
      (err, response) => {
        release();
        if (err) return reject(call.fail(err));
        call.succeed();
        resolve(response);
      },
    );
    const release = onAbort(call.signal, () => grpcCall.cancel());
  });
}

async function* serverStream(client: Client, def: Definition, request: unknown, begin: () => OutgoingCall): AsyncGenerator<unknown> {
  const call = begin();
  if (call.signal?.aborted) throw call.fail(undefined);
  const stream = client.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, request, call.metadata, callOptionsOf(call));
  const release = onAbort(call.signal, () => stream.cancel());
  let finished = false;
  try {
    for await (const message of stream) yield message;
    finished = true;
    call.succeed();
  } catch (err) {
    finished = true;
    throw call.fail(err);
  } finally {
    release();
    if (!finished) {
      stream.cancel(); // the consumer stopped early
      call.span.end();
    }
  }
}

/** Writes `requests` to `stream` with backpressure and half-closes; stops quietly once `isDone()`. */
async function pump(requests: AsyncIterable<unknown>, stream: ClientWritableStream<unknown>, isDone: () => boolean): Promise<void> {
  for await (const request of requests) {
    if (isDone()) return;
    if (!stream.write(request)) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          stream.removeListener("drain", wake);
          stream.removeListener("close", wake);
          resolve();
        };
        stream.once("drain", wake);
        stream.once("close", wake);
      });
    }
  }
  if (!isDone()) stream.end();
}

function clientStream(client: Client, def: Definition, requests: AsyncIterable<unknown>, begin: () => OutgoingCall): Promise<unknown> {
  const call = begin();
  if (call.signal?.aborted) return Promise.reject(call.fail(undefined));
  return new Promise((resolve, reject) => {
    let done = false;
    const stream = client.makeClientStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, call.metadata, callOptionsOf(call), (err, response) => {
      done = true;
      release();
      if (err) return reject(call.fail(err));
      call.succeed();
      resolve(response);
    });
    const release = onAbort(call.signal, () => stream.cancel());
    pump(requests, stream, () => done).catch((err: unknown) => {
      // The request source failed: abandon the call and report the source's error.
      if (done) return;
      done = true;
      release();
      stream.cancel();
      call.span.end();
      reject(err);
    });
  });
}

async function* bidiStream(client: Client, def: Definition, requests: AsyncIterable<unknown>, begin: () => OutgoingCall): AsyncGenerator<unknown> {
  const call = begin();
  if (call.signal?.aborted) throw call.fail(undefined);
  const stream = client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, call.metadata, callOptionsOf(call));
  const release = onAbort(call.signal, () => stream.cancel());
  let finished = false;
  let sourceError: { error: unknown } | undefined;
  pump(requests, stream, () => finished).catch((error: unknown) => {
    sourceError = { error };
    stream.cancel();
  });
  try {
    for await (const message of stream) yield message;
    finished = true;
    call.succeed();
  } catch (err) {
    finished = true;
    if (sourceError) {
      call.span.end();
      throw sourceError.error;
    }
    throw call.fail(err);
  } finally {
    release();
    if (!finished) {
      finished = true;
      stream.cancel();
      call.span.end();
    }
  }
}
