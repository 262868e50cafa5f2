import type { DescMessage, DescService } from "@bufbuild/protobuf";
import type { Duplex } from "node:stream";
import { Server, ServerCredentials, type ChannelOptions, type UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Authenticator } from "../auth/index.ts";
import type { Logger } from "../logging/index.ts";
import { tracer } from "../telemetry/index.ts";
import { authenticationInterceptor } from "./authentication.interceptor.ts";
import { grpcHandler, type CallRunner } from "./call-adapter.ts";
import { correlationInterceptor } from "./correlation.interceptor.ts";
import { errorMappingInterceptor } from "./error-mapping.interceptor.ts";
import { createHealth } from "./health.ts";
import { loggingInterceptor } from "./logging.interceptor.ts";
import { grpcServiceDefinition, messageSerializer, methodInfo, type Codec, type MethodInfo } from "./method-definitions.ts";
import { callContext, composePipeline, type CallInterceptor } from "./pipeline.ts";
import { addReflection } from "./reflection.ts";
import { tracingInterceptor } from "./tracing.interceptor.ts";
import type { AnyHandler, ServiceBinding } from "./types.ts";

/** Options of `createGrpcServer`. */
export interface GrpcServerOptions {
  /** The component logger; each call logs through a child with method and correlation id. */
  logger: Logger;
  /** Authenticates every call except health and reflection. */
  authenticator: Authenticator;
  /** The services to serve, each from `bindService(descriptor, handlers)`. */
  services: readonly ServiceBinding[];
  /** Serve gRPC server reflection for the services (default false). */
  reflection?: boolean;
  /** Serve `grpc.health.v1.Health` (default true). */
  health?: boolean;
  /** Default insecure (plain HTTP/2): Gantry's transport security is a later step. */
  credentials?: ServerCredentials;
  channelOptions?: ChannelOptions;
}

/** A gRPC server being built or serving. */
export interface GrpcServer {
  /** The underlying grpc-js server (for adding foreign services; Gantry services go through options). */
  readonly server: Server;
  /** Binds `host:port` (port 0 picks a free one) and starts serving; resolves to the bound port. */
  listen(host: string, port: number): Promise<number>;
  /**
   * Serves a connection accepted elsewhere (a port shared with HTTP), with the server's
   * credentials; any bytes already read from it must have been put back (`unshift`). Works
   * without `listen`; `shutdown` closes these connections too.
   */
  accept(connection: Duplex): void;
  /**
   * Reports NOT_SERVING on health, stops accepting calls, waits up to `graceMs` (default 5000) for
   * calls in flight, then cancels the rest (their `ctx.signal` aborts). Resolves when closed.
   */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * The call pipeline, outermost first, and why in this order: correlation first so every later
 * line carries the id; tracing next so the logging line and everything inside see the span;
 * logging around error mapping so it sees the original cause of internal errors; authentication
 * last, inside the others, so refused calls are still traced and logged with their code.
 */
export function serverInterceptors(authenticator: Authenticator, isPublic?: (path: string) => boolean): CallInterceptor[] {
  return [
    correlationInterceptor(),
    tracingInterceptor(tracer("grpc")),
    loggingInterceptor(),
    errorMappingInterceptor(),
    authenticationInterceptor(authenticator, isPublic),
  ];
}

/** Runs a Gantry handler of the method `info` behind `interceptors`. */
export function handlerRunner(
  info: MethodInfo,
  output: DescMessage,
  handler: AnyHandler,
  interceptors: readonly CallInterceptor[],
): CallRunner {
  const encode = messageSerializer(output);
  return (io) =>
    composePipeline(interceptors, async (call) => {
      const ctx = callContext(call);
      switch (info.kind) {
        case "unary":
          return encode(await handler(io.request, ctx));
        case "client_streaming":
          return encode(await handler(io.requests, ctx));
        case "server_streaming":
        case "bidi_streaming": {
          const input = info.kind === "server_streaming" ? io.request : io.requests;
          for await (const message of handler(input, ctx) as AsyncIterable<unknown>) await io.send(encode(message));
          return undefined;
        }
      }
    });
}

/** Registers `service` on `server` with one grpc-js handler per method built by `runnerFor`. */
export function addService(
  server: Server,
  service: DescService,
  codec: Codec,
  logger: Logger,
  runnerFor: (info: MethodInfo, output: DescMessage) => CallRunner,
): void {
  const implementation: UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const info = methodInfo(method);
    implementation[method.localName] = grpcHandler(info, logger, runnerFor(info, method.output));
  }
  server.addService(grpcServiceDefinition(service, codec), implementation);
}

/**
 * Serves `services` plus health (and reflection) on a new grpc-js server; not listening until
 * `listen`. Every Gantry call goes through `serverInterceptors`. Throws when two bindings
 * name the same service.
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const server = new Server(options.channelOptions);
  const interceptors = serverInterceptors(options.authenticator);
  const bindings = [...options.services];
  const health = options.health === false ? undefined : createHealth(bindings.map((b) => b.service.typeName));
  if (health) bindings.push(health.binding);
  for (const { service, handlers } of bindings) {
    addService(server, service, "server", options.logger, (info, output) =>
      handlerRunner(info, output, handlers[info.localName]!, interceptors),
    );
  }
  if (options.reflection) addReflection(server, bindings.map((b) => b.service));
  return serverHandle(server, options.credentials, () => health?.drain());
}

/** listen/shutdown around a grpc-js server (shared with the proxy). */
export function serverHandle(server: Server, credentials: ServerCredentials | undefined, onDrain: () => void): GrpcServer {
  let injector: ReturnType<Server["createConnectionInjector"]> | undefined;
  return {
    server,
    accept(connection) {
      injector ??= server.createConnectionInjector(credentials ?? ServerCredentials.createInsecure());
      injector.injectConnection(connection);
    },
    listen(host, port) {
      const address = host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) => {
        server.bindAsync(address, credentials ?? ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
      });
    },
    shutdown(graceMs = 5000) {
      onDrain();
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
