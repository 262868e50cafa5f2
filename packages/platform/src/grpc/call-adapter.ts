import type {
  Metadata,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  UntypedHandleCall,
  sendUnaryData,
} from "@grpc/grpc-js";
import { GantryError } from "../errors/index.ts";
import type { Logger } from "../logging/index.ts";
import { flattenMetadata } from "./metadata.ts";
import type { MethodInfo } from "./method-definitions.ts";
import type { CallState, CallTerminal } from "./pipeline.ts";
import { toGrpcStatus } from "./status-mapping.ts";

/**
 * What the innermost step of a call can do with the grpc-js call: read the request(s), stream
 * responses with backpressure, send response headers and set trailers.
 */
export interface CallIO {
  /** The request of a unary or server-streaming call (undefined for streamed requests). */
  readonly request: unknown;
  /** The requests of a client-streaming or bidi call; ends when the client half-closes, throws on cancel. */
  readonly requests: AsyncIterable<unknown>;
  /** Sends one response of a streamed call; waits while the transport is full, throws once cancelled. */
  send(message: unknown): Promise<void>;
  sendHeaders(metadata: Metadata): void;
  /** Trailers sent with an OK status. */
  setTrailers(metadata: Metadata): void;
}

/** Builds the pipeline for one call, given how to read and write it. */
export type CallRunner = (io: CallIO) => CallTerminal;

type AnyCall =
  | ServerUnaryCall<unknown, unknown>
  | ServerReadableStream<unknown, unknown>
  | ServerWritableStream<unknown, unknown>
  | ServerDuplexStream<unknown, unknown>;

/** How much earlier than our deadline a client's own deadline may expire (the call's transit and queueing). */
const DEADLINE_TRANSIT_SLACK_MS = 250;

function cancelledError(deadlinePassed: boolean): GantryError {
  return deadlinePassed
    ? new GantryError("Unavailable", "deadline exceeded", { details: { grpcStatus: "DEADLINE_EXCEEDED" } })
    : new GantryError("Unavailable", "call cancelled by the client", { details: { grpcStatus: "CANCELLED" } });
}

function startCall(call: AnyCall, method: MethodInfo, logger: Logger) {
  const controller = new AbortController();
  const deadlineValue = call.getDeadline();
  const deadline = deadlineValue instanceof Date ? deadlineValue.getTime() : deadlineValue;
  // grpc-js reports both client cancellation and its own deadline expiry as 'cancelled'. The
  // client's deadline runs from its own start, ours from the call's arrival: the client's expires
  // first and its RST_STREAM reaches us just before ours would. A cancellation that close to the
  // deadline is the deadline.
  const onCancel = () => controller.abort(cancelledError(Date.now() >= deadline - DEADLINE_TRANSIT_SLACK_MS));
  const events = call as unknown as NodeJS.EventEmitter;
  events.once("cancelled", onCancel);
  const state: CallState = {
    method,
    metadata: flattenMetadata(call.metadata),
    rawMetadata: call.metadata,
    signal: controller.signal,
    deadline,
    logger,
    correlationId: "",
    principal: undefined,
    traceparent: undefined,
  };
  const finish = () => {
    events.removeListener("cancelled", onCancel);
  };
  return { state, finish };
}

function writer(stream: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>, signal: AbortSignal) {
  return async (message: unknown) => {
    signal.throwIfAborted();
    if (stream.write(message)) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        stream.removeListener("drain", onDrain);
        reject(signal.reason);
      };
      const onDrain = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      stream.once("drain", onDrain);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  };
}

const noRequests: AsyncIterable<unknown> = {
  [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }),
};

/**
 * The grpc-js handler of one method: builds the call state, runs the pipeline built by `run`, and
 * sends its outcome as the response (unary outputs) or end of stream, or as a status mapped in
 * status-mapping.ts. After cancellation nothing is sent; grpc-js has already closed the call.
 */
export function grpcHandler(method: MethodInfo, logger: Logger, run: CallRunner): UntypedHandleCall {
  switch (method.kind) {
    case "unary":
    case "client_streaming":
      // One response either way; only where the request comes from differs.
      return (call: ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const { state, finish } = startCall(call, method, logger);
        let trailers: Metadata | undefined;
        const unary = method.kind === "unary";
        const io: CallIO = {
          request: unary ? (call as ServerUnaryCall<unknown, unknown>).request : undefined,
          requests: unary ? noRequests : (call as ServerReadableStream<unknown, unknown>),
          send: () => Promise.reject(new GantryError("Internal", `a ${method.kind} call cannot stream responses`)),
          sendHeaders: (md) => call.sendMetadata(md),
          setTrailers: (md) => (trailers = md),
        };
        Promise.resolve()
          .then(() => run(io)(state))
          .then(
            (response) => callback(null, response, trailers),
            (err: unknown) => callback(toGrpcStatus(err)),
          )
          .finally(finish);
      };
    case "server_streaming":
    case "bidi_streaming":
      return (call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>) => {
        const { state, finish } = startCall(call, method, logger);
        let trailers: Metadata | undefined;
        const io: CallIO = {
          request: "request" in call ? call.request : undefined,
          requests: "request" in call ? noRequests : call,
          send: writer(call, state.signal),
          sendHeaders: (md) => call.sendMetadata(md),
          setTrailers: (md) => (trailers = md),
        };
        Promise.resolve()
          .then(() => run(io)(state))
          .then(
            () => {
              if (!call.cancelled) call.end(trailers);
            },
            (err: unknown) => {
              if (!call.cancelled) call.emit("error", toGrpcStatus(err));
            },
          )
          .finally(finish);
      };
  }
}
