import { context, propagation, trace, ROOT_CONTEXT, type Context, type TextMapGetter, type Tracer } from "@opentelemetry/api";

/** Header/metadata carrier: lower-case keys, string values (gRPC metadata, NATS headers, HTTP headers). */
export type TraceCarrier = Record<string, string | string[] | undefined>;

const getter: TextMapGetter<TraceCarrier> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const value = carrier[key] ?? carrier[key.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  },
};

/**
 * The W3C `traceparent` (and `tracestate`, when present) of the active context, to put into
 * outgoing gRPC metadata, NATS headers or HTTP headers. Empty when no span is active or
 * telemetry was not started (no propagator registered).
 */
export function injectTraceparent(from: Context = context.active()): { traceparent?: string; tracestate?: string } {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  const out: { traceparent?: string; tracestate?: string } = {};
  if (carrier.traceparent) out.traceparent = carrier.traceparent;
  if (carrier.tracestate) out.tracestate = carrier.tracestate;
  return out;
}

/** The context described by `carrier`'s `traceparent`/`tracestate`/`baggage` (the root context when absent or invalid). */
export function extractContext(carrier: TraceCarrier): Context {
  return propagation.extract(ROOT_CONTEXT, carrier, getter);
}

/**
 * Runs `fn` with the trace context found in `carrier` as the active context, so spans started
 * inside are children of the remote span (e.g. a NATS message handler). Returns what `fn` returns.
 */
export function withExtractedContext<T>(carrier: TraceCarrier, fn: () => T): T {
  return context.with(extractContext(carrier), fn);
}

/** The tracer of one Gantry component (`gantry.<component>`); a no-op until telemetry is started. */
export function tracer(component: string): Tracer {
  return trace.getTracer(`gantry.${component}`);
}
