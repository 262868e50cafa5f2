import type { DescService } from "@bufbuild/protobuf";
import {
  Client,
  credentials as grpcCredentials,
  Metadata,
  Server,
  status as grpcStatus,
  type ChannelCredentials,
  type ChannelOptions,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientWritableStream,
  type ServerCredentials,
  type StatusObject,
} from "@grpc/grpc-js";
import type { Authenticator } from "../auth/index.ts";
import { GantryError } from "../errors/index.ts";
import type { Logger } from "../logging/index.ts";
import { injectTraceparent } from "../telemetry/index.ts";
import type { CallIO, CallRunner } from "./call-adapter.ts";
import { CORRELATION_ID_KEY } from "./correlation.interceptor.ts";
import { createHealth } from "./health.ts";
import type { MethodInfo } from "./method-definitions.ts";
import { composePipeline, type CallState } from "./pipeline.ts";
import { addReflection } from "./reflection.ts";
import { addService, handlerRunner, serverHandle, serverInterceptors, type GrpcServer } from "./server.ts";
import { PassThroughStatus } from "./status-mapping.ts";
import type { ServiceBinding } from "./types.ts";

/** Options of `createGrpcProxy`. */
export interface GrpcProxyOptions {
  logger: Logger;
  /** The gateway authenticates every proxied call before forwarding it (the backend does so again). */
  authenticator: Authenticator;
  /** The services to forward: every method of each, whatever its kind. */
  services: readonly DescService[];
  /** Services the proxy serves itself (handlers, through the same pipeline), e.g. the gateway's exec routing. */
  own?: readonly ServiceBinding[];
  /** The backend address (`host:port`) of a service, by its type name; called per call, may throw. */
  backendFor(serviceTypeName: string): string;
  reflection?: boolean;
  health?: boolean;
  credentials?: ServerCredentials;
  /** Credentials towards the backends (default insecure). */
  backendCredentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
  /** Called as each forwarded call ends, before its answer goes back (e.g. to stop trusting answers held from before it). */
  onForwarded?: (info: MethodInfo) => void;
}

// Connection-level headers that belong to each hop, never forwarded.
const HOP_HEADERS = ["user-agent", "content-type", "te", "date", "accept-encoding", "grpc-encoding", "grpc-accept-encoding", "traceparent", "tracestate"];

function forwardable(metadata: Metadata): Metadata {
  const copy = metadata.clone();
  for (const key of HOP_HEADERS) copy.remove(key);
  return copy;
}

/**
 * A gRPC server that forwards every method of `services` as raw bytes to the backend chosen by
 * `backendFor`, after the same pipeline as any Gantry server (correlation, tracing, logging,
 * authentication). The request metadata travels on (the caller's `authorization` included, with the
 * gateway's correlation id and its span as `traceparent`), and so do the deadline, cancellation,
 * response headers, messages in both directions, status and trailers: a backend's error reaches
 * the client exactly as the backend sent it (`grpc-status-details-bin` and `gantry-error` included,
 * never re-encoded). Backend channels are opened lazily, one per address,
 * and closed by `shutdown`.
 */
export function createGrpcProxy(options: GrpcProxyOptions): GrpcServer {
  const server = new Server(options.channelOptions);
  const interceptors = serverInterceptors(options.authenticator);
  const backends = new Map<string, Client>();
  const backend = (address: string) => {
    let client = backends.get(address);
    if (!client) {
      client = new Client(address, options.backendCredentials ?? grpcCredentials.createInsecure(), options.channelOptions);
      backends.set(address, client);
    }
    return client;
  };
  const runner = (info: MethodInfo): CallRunner => (io) =>
    composePipeline(interceptors, (call) => forward(backend(options.backendFor(info.service)), info, call, io).finally(() => options.onForwarded?.(info)));
  for (const service of options.services) addService(server, service, "raw", options.logger, runner);
  for (const { service, handlers } of options.own ?? []) {
    addService(server, service, "server", options.logger, (info, output) => handlerRunner(info, output, handlers[info.localName]!, interceptors));
  }

  const health = options.health === false ? undefined : createHealth(options.services.map((s) => s.typeName));
  if (health) {
    // Health is the gateway's own, served as messages through the same pipeline.
    const { service, handlers } = health.binding;
    addService(server, service, "server", options.logger, (info, output) =>
      handlerRunner(info, output, handlers[info.localName]!, interceptors),
    );
  }
  if (options.reflection) addReflection(server, [...options.services, ...(options.own ?? []).map((b) => b.service), ...(health ? [health.binding.service] : [])]);

  const handle = serverHandle(server, options.credentials, () => health?.drain());
  return {
    server,
    listen: handle.listen,
    accept: handle.accept,
    async shutdown(graceMs) {
      await handle.shutdown(graceMs);
      for (const client of backends.values()) client.close();
      backends.clear();
    },
  };
}

type BackendCall = ClientReadableStream<Buffer> | ClientWritableStream<Buffer> | ClientDuplexStream<Buffer, Buffer>;

/** Forwards one call and resolves with the response (unary outputs) or after the last streamed message. */
async function forward(client: Client, info: MethodInfo, call: CallState, io: CallIO): Promise<unknown> {
  const metadata = forwardable(call.rawMetadata);
  metadata.set(CORRELATION_ID_KEY, call.correlationId);
  const { traceparent, tracestate } = injectTraceparent();
  if (traceparent) metadata.set("traceparent", traceparent);
  if (tracestate) metadata.set("tracestate", tracestate);
  const callOptions = Number.isFinite(call.deadline) ? { deadline: call.deadline } : {};
  const identity = (b: Buffer) => b;

  let unaryResponse: Buffer | undefined;
  let backendCall: BackendCall;
  switch (info.kind) {
    case "unary":
      backendCall = client.makeUnaryRequest(info.path, identity, identity, io.request as Buffer, metadata, callOptions, (_err, response) => {
        unaryResponse = response;
      }) as unknown as BackendCall;
      break;
    case "client_streaming":
      backendCall = client.makeClientStreamRequest(info.path, identity, identity, metadata, callOptions, (_err, response) => {
        unaryResponse = response;
      });
      break;
    case "server_streaming":
      backendCall = client.makeServerStreamRequest(info.path, identity, identity, io.request as Buffer, metadata, callOptions);
      break;
    case "bidi_streaming":
      backendCall = client.makeBidiStreamRequest(info.path, identity, identity, metadata, callOptions);
      break;
  }

  const received = new Promise<StatusObject>((resolve) => backendCall.once("status", resolve));
  backendCall.once("metadata", (headers: Metadata) => io.sendHeaders(forwardable(headers)));
  backendCall.on("error", () => {}); // the status event carries the outcome
  const cancel = () => backendCall.cancel();
  call.signal.addEventListener("abort", cancel, { once: true });
  try {
    if (info.kind === "client_streaming" || info.kind === "bidi_streaming") {
      const upstream = backendCall as ClientWritableStream<Buffer>;
      void (async () => {
        try {
          for await (const request of io.requests) {
            if (!upstream.write(request as Buffer)) await new Promise((resolve) => upstream.once("drain", resolve));
          }
          upstream.end();
        } catch {
          backendCall.cancel(); // the client went away mid-stream
        }
      })();
    }
    if (info.kind === "server_streaming" || info.kind === "bidi_streaming") {
      try {
        for await (const message of backendCall as ClientReadableStream<Buffer>) await io.send(message);
      } catch {
        // an error status ends the stream; it is read from `received` below
      }
    }
    const status = await received;
    if (status.code !== grpcStatus.OK) throw new PassThroughStatus({ ...status, metadata: forwardable(status.metadata) });
    io.setTrailers(forwardable(status.metadata));
    if (info.kind === "unary" || info.kind === "client_streaming") {
      if (unaryResponse === undefined) throw new GantryError("Internal", "backend sent no response");
      return unaryResponse;
    }
    return undefined;
  } finally {
    call.signal.removeEventListener("abort", cancel);
  }
}
