import { hostname } from "node:os";
import { create } from "@bufbuild/protobuf";
import { metricsV1 } from "@gantry/proto";
import { AggregationTemporality, DataPointType, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { publishDurable } from "../bus/messages.ts";
import type { Bus } from "../bus/bus.ts";
import type { Logger } from "../logging/index.ts";
import { useControlMeter } from "./control-metrics.ts";

/**
 * Converts what an OpenTelemetry reader collected into one MetricBatch of control-plane series:
 * sums as counters (monotonic) or gauges, gauges as gauges, histograms as `<name>_count`,
 * `<name>_sum` and cumulative `<name>_bucket` (tag `le`, `+Inf` last), all with scope CONTROL.
 * Attributes become tags. Dimensions: the host, and the service in `container_name`. Timestamps
 * are the export's slot on the interval grid (regular series compress to a bit per timestamp).
 */
export function controlBatch(metrics: ResourceMetrics, service: string, host: string, timestampMs: number): metricsV1.MetricBatch {
  const points: metricsV1.Datapoint[] = [];
  const point = (name: string, value: number, unit: string, counter: boolean, tags: Record<string, string>) =>
    points.push(create(metricsV1.DatapointSchema, { name, value, unit, kind: counter ? metricsV1.Kind.COUNTER : metricsV1.Kind.GAUGE, scope: metricsV1.Scope.CONTROL, tags }));
  for (const scope of metrics.scopeMetrics) {
    for (const m of scope.metrics) {
      const { name, unit } = m.descriptor;
      for (const dp of m.dataPoints) {
        const tags = Object.fromEntries(Object.entries(dp.attributes).map(([k, v]) => [k, String(v)]));
        if (m.dataPointType === DataPointType.SUM) point(name, dp.value as number, unit, m.isMonotonic, tags);
        else if (m.dataPointType === DataPointType.GAUGE) point(name, dp.value as number, unit, false, tags);
        else if (m.dataPointType === DataPointType.HISTOGRAM) {
          const h = dp.value as { count: number; sum?: number; buckets: { boundaries: number[]; counts: number[] } };
          point(`${name}_count`, h.count, "", true, tags);
          point(`${name}_sum`, h.sum ?? 0, unit, true, tags);
          let cumulative = 0;
          h.buckets.counts.forEach((c, i) => {
            cumulative += c;
            point(`${name}_bucket`, cumulative, "", true, { ...tags, le: i < h.buckets.boundaries.length ? String(h.buckets.boundaries[i]) : "+Inf" });
          });
        }
      }
    }
  }
  return create(metricsV1.MetricBatchSchema, { source: `control.${service}`, groups: [{ dimensions: { hostname: host, containerName: service }, timestampMs: BigInt(timestampMs), datapoints: points }] });
}

/** An OpenTelemetry push exporter publishing to the METRICS stream (`metrics.control.<service>`). */
class BusMetricExporter implements PushMetricExporter {
  #counter = 0;
  readonly #boot = Date.now().toString(36);
  readonly bus: Bus;
  readonly service: string;
  readonly intervalMs: number;
  readonly logger: Logger;

  constructor(bus: Bus, service: string, intervalMs: number, logger: Logger) {
    this.bus = bus;
    this.service = service;
    this.intervalMs = intervalMs;
    this.logger = logger;
  }

  export(metrics: ResourceMetrics, done: (result: { code: number; error?: Error }) => void): void {
    const t = Math.floor(Date.now() / this.intervalMs) * this.intervalMs;
    const batch = controlBatch(metrics, this.service, hostname(), t);
    if (batch.groups[0]!.datapoints.length === 0) return done({ code: 0 });
    publishDurable(this.bus, `metrics.control.${this.service}`, metricsV1.MetricBatchSchema, batch, { msgId: `control.${this.service}:${this.#boot}:${this.#counter++}` }).then(
      () => done({ code: 0 }),
      (error: Error) => {
        this.logger.debug({ err: error }, "control-plane metrics not published");
        done({ code: 1, error });
      },
    );
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE;
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

let attached: { provider: MeterProvider; users: number } | undefined;

/**
 * Ships this process's control-plane metrics (control-metrics.ts) every `intervalMs` (default
 * 10 s; `GANTRY_CONTROL_METRICS_INTERVAL_MS`) on `bus` to the METRICS stream, where the metrics
 * service ingests them like any other series. One provider per process: in `gantry up`, where
 * every service shares a process, the first to attach names the series (`service`), the others
 * share it. `stop()` detaches when the last user stops. The stream must exist (the metrics service
 * and agents declare it); until it does, exports fail quietly and are retried at the next interval.
 */
export function attachControlMetrics(bus: Bus, service: string, logger: Logger, intervalMs = Number(process.env.GANTRY_CONTROL_METRICS_INTERVAL_MS) || 10_000): { stop(): Promise<void> } {
  if (!attached) {
    const reader = new PeriodicExportingMetricReader({ exporter: new BusMetricExporter(bus, service, intervalMs, logger), exportIntervalMillis: intervalMs, exportTimeoutMillis: Math.min(intervalMs, 5_000) });
    const provider = new MeterProvider({ readers: [reader] });
    useControlMeter(provider.getMeter("gantry"));
    attached = { provider, users: 0 };
  }
  const mine = attached;
  mine.users++;
  let stopped = false;
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      if (--mine.users > 0 || attached !== mine) return;
      attached = undefined;
      useControlMeter(undefined);
      await mine.provider.shutdown().catch(() => undefined);
    },
  };
}
