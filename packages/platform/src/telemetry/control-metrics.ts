import type { Counter, Histogram, Meter } from "@opentelemetry/api";

/**
 * The control plane's own metrics, as OpenTelemetry instruments: placements, the launch queue's
 * depth, event-store append latency, relay lag, API latency by route. Code records through the
 * functions below; they do nothing until `attachControlMetrics` (control-metrics-export.ts) gave
 * this process a MeterProvider, so recording costs nothing where metrics are not shipped (tests,
 * the CLI) and no module needs to know whether they are.
 *
 * Names (without the `gantry_` prefix the exposition adds): `scheduler.placements` (counter),
 * `scheduler.queue.depth` (gauge: run specs waiting), `eventstore.append.duration` (histogram,
 * ms, attribute `streams`), `relay.lag` (gauge, ms from commit to acknowledged publish),
 * `api.request.duration` (histogram, ms, attributes `method`, `route`, `status`).
 */
interface Instruments {
  placements: Counter;
  queueDepth: { record(value: number): void };
  appendDuration: Histogram;
  relayLag: { record(value: number): void };
  apiDuration: Histogram;
}

let instruments: Instruments | undefined;

/** Millisecond buckets for latencies: 0.5 ms … 10 s. */
export const LATENCY_BUCKETS_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000];

/** Creates the instruments on `meter` (attach); `undefined` detaches (recording does nothing again). */
export function useControlMeter(meter: Meter | undefined): void {
  instruments = meter && {
    placements: meter.createCounter("scheduler.placements", { description: "Instances placed by the scheduler", unit: "1" }),
    queueDepth: meter.createGauge("scheduler.queue.depth", { description: "Run specs with instances waiting to be placed", unit: "1" }),
    appendDuration: meter.createHistogram("eventstore.append.duration", { description: "Event-store append latency (commit included)", unit: "ms", advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS } }),
    relayLag: meter.createGauge("relay.lag", { description: "From an event's commit to its acknowledged publish on JetStream", unit: "ms" }),
    apiDuration: meter.createHistogram("api.request.duration", { description: "Gateway HTTP API latency by route", unit: "ms", advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS } }),
  };
}

/** Counts `count` placements written by one scheduler decision. */
export function recordPlacements(count: number): void {
  if (count > 0) instruments?.placements.add(count);
}

/** The number of run specs with instances waiting to be placed, after a scheduler pass. */
export function recordQueueDepth(waiting: number): void {
  instruments?.queueDepth.record(waiting);
}

/** Awaits an append and records how long it took (also when it fails). */
export async function timedAppend<T>(streams: number, append: Promise<T>): Promise<T> {
  if (!instruments) return append;
  const started = performance.now();
  try {
    return await append;
  } finally {
    instruments?.appendDuration.record(performance.now() - started, { streams: streams > 1 ? "many" : "one" });
  }
}

/** The relay's lag: now minus the commit time of the last event it got acknowledged. */
export function recordRelayLag(lastCommittedAt: Date): void {
  instruments?.relayLag.record(Math.max(0, Date.now() - lastCommittedAt.getTime()));
}

/** One HTTP API answer: its method, route pattern (not the URL: bounded label values) and status. */
export function recordApiRequest(method: string, route: string, status: number, durationMs: number): void {
  instruments?.apiDuration.record(durationMs, { method, route, status: String(status) });
}
