import { context, SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import { GantryError } from "../errors/index.ts";
import { extractContext } from "../telemetry/index.ts";
import { PassThroughStatus, grpcStatusFor, grpcStatusName } from "./status-mapping.ts";

import type { CallInterceptor } from "./pipeline.ts";

/**
 * Continues the caller's trace: extracts W3C `traceparent`/`tracestate` from the metadata, starts a
 * SERVER span named after the method as its child, and runs the rest of the call with that span
 * active (so logs carry trace_id/span_id and downstream calls inject it). The span ends with the
 * call, marked ERROR for INTERNAL/UNAVAILABLE-class failures.
 */
export function tracingInterceptor(tracer: Tracer): CallInterceptor {
  return async (call, next) => {
    const parent = extractContext(call.metadata);
    call.traceparent = call.metadata.traceparent;
    const span = tracer.startSpan(
      call.method.path.slice(1),
      {
        kind: SpanKind.SERVER,
        attributes: { "rpc.system": "grpc", "rpc.service": call.method.service, "rpc.method": call.method.name },
      },
      parent,
    );
    try {
      const result = await context.with(trace.setSpan(parent, span), next);
      span.setAttribute("rpc.grpc.status_code", 0);
      return result;
    } catch (err) {
      const code = err instanceof PassThroughStatus ? err.status.code : grpcStatusFor(err instanceof GantryError ? err.code : "Internal");
      span.setAttribute("rpc.grpc.status_code", code);
      // Client mistakes are not server failures; only mark the span as failed for server-side faults.
      if (err instanceof GantryError ? err.code === "Internal" || err.code === "Unavailable" : true) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: grpcStatusName(code) });
      }
      throw err;
    } finally {
      span.end();
    }
  };
}
