/**
 * Tracing: starting OpenTelemetry once per process and carrying W3C trace context across
 * gRPC, NATS and HTTP.
 */
export type { Telemetry } from "./start-telemetry.ts";
export { startTelemetry } from "./start-telemetry.ts";
export type { TraceCarrier } from "./propagation.ts";
export { injectTraceparent, extractContext, withExtractedContext, tracer } from "./propagation.ts";
export { recordPlacements, recordQueueDepth, timedAppend, recordRelayLag, recordApiRequest, LATENCY_BUCKETS_MS } from "./control-metrics.ts";
export { attachControlMetrics, controlBatch } from "./control-metrics-export.ts";
