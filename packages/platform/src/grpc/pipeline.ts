import { AsyncLocalStorage } from "node:async_hooks";
import type { Metadata } from "@grpc/grpc-js";
import type { Principal } from "../auth/index.ts";
import { GantryError } from "../errors/index.ts";
import type { Logger } from "../logging/index.ts";
import type { MethodInfo } from "./method-definitions.ts";
import type { CallContext } from "./types.ts";

/**
 * One incoming call as it passes through the interceptors. The fields below the line are filled in
 * by interceptors on the way in (correlation id, then principal); outer interceptors read them after
 * `next()` returns (e.g. logging reports the principal that authentication found).
 */
export interface CallState {
  readonly method: MethodInfo;
  readonly metadata: Record<string, string>;
  readonly rawMetadata: Metadata;
  readonly signal: AbortSignal;
  /** When the call must end (ms since epoch), Infinity without a deadline. */
  readonly deadline: number;
  // ---
  logger: Logger;
  correlationId: string;
  principal: Principal | undefined;
  traceparent: string | undefined;
}

/**
 * One step of the call pipeline: may read or fill in `call`, must call `next()` at most once and
 * return (or throw) what it returns; throwing before `next()` means the handler never runs.
 */
export type CallInterceptor = (call: CallState, next: () => Promise<unknown>) => Promise<unknown>;

/** The innermost step: runs the handler (or forwards the call) and returns the response, if any. */
export type CallTerminal = (call: CallState) => Promise<unknown>;

/** Composes interceptors, outermost first, around `terminal`. */
export function composePipeline(interceptors: readonly CallInterceptor[], terminal: CallTerminal): CallTerminal {
  return interceptors.reduceRight<CallTerminal>(
    (inner, interceptor) => (call) => interceptor(call, () => inner(call)),
    terminal,
  );
}

// The correlation id of the call being served, so that clients created anywhere send it on.
const currentCorrelation = new AsyncLocalStorage<string>();

/** The correlation id of the gRPC call being served in this async context, if any. */
export function currentCorrelationId(): string | undefined {
  return currentCorrelation.getStore();
}

/** Runs `fn` with `correlationId` as the current one (see `currentCorrelationId`). */
export function withCorrelationId<T>(correlationId: string, fn: () => T): T {
  return currentCorrelation.run(correlationId, fn);
}

/** The handler's view of a call (without the `authorization` entry); throws Internal when the pipeline ran without authentication. */
export function callContext(call: CallState): CallContext {
  if (!call.principal) throw new GantryError("Internal", "call pipeline has no authentication step");
  // The credential stays out of handlers' reach, so it cannot end up in a log line by accident.
  const { authorization: _credential, ...metadata } = call.metadata;
  const ctx: CallContext = {
    principal: call.principal,
    metadata,
    signal: call.signal,
    logger: call.logger,
    correlationId: call.correlationId,
  };
  if (call.traceparent !== undefined) ctx.traceparent = call.traceparent;
  return ctx;
}
