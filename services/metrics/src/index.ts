/**
 * The metrics service: node, container, app and control-plane metrics ingested from JetStream into
 * Gorilla-compressed in-memory series, persisted to its data dir, queried over gRPC; see README.md.
 */
export { startMetrics } from "./start-metrics.ts";
export type { MetricsOptions, RunningMetrics } from "./start-metrics.ts";
export { METRICS_NODE_FLAGS } from "./metrics-node-flags.ts";
