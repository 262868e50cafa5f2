import { create } from "@bufbuild/protobuf";
import { metricsV1 } from "@gantry/proto";
import type { Logger } from "@gantry/platform/logging";
import type { MetricPoint, MetricTarget } from "./metrics-points.ts";
import type { StatsdPoint } from "./statsd-parser.ts";

/** What the collector reads from and ships to (OS adapters and the bus in production; plain functions in tests). */
export interface MetricsCollectorPorts {
  node(): MetricPoint[];
  gpus(): Promise<MetricPoint[]>;
  targets(): MetricTarget[];
  task(target: MetricTarget): MetricPoint[];
  statsd(): Map<string, StatsdPoint[]>;
  /** Scrapes a task's Prometheus endpoint (only called for targets with `scrape`). */
  scrape(target: MetricTarget): Promise<MetricPoint[]>;
  /** Publishes a batch durably (JetStream ack); rejects when it could not. */
  publish(batch: metricsV1.MetricBatch, msgId: string): Promise<void>;
  logger: Logger;
  now(): number;
}

/** Who the agent is and how often it samples. */
export interface MetricsCollectorOptions {
  agentId: string;
  hostname: string;
  intervalMs: number;
}

/**
 * Samples the node, its GPUs and every running task once per interval and ships one MetricBatch
 * (`metrics.<agentId>`). Every sample carries the agent id and hostname; task samples the app or
 * pod id, instance id, task id, container name and labels. Timestamps are the tick's slot on the
 * interval grid (`floor(now / interval) * interval`), not the instant of reading: series stay
 * regular, which is what makes delta-of-delta timestamps cost one bit. A batch that cannot be
 * published is retried at the next tick together with the new one (at most 6 kept, then the
 * oldest is dropped and logged), so a short NATS outage loses nothing.
 */
export function startMetricsCollector(options: MetricsCollectorOptions, ports: MetricsCollectorPorts): { tick(): Promise<void>; stop(): void } {
  const boot = ports.now().toString(36);
  let counter = 0;
  const backlog: Array<{ batch: metricsV1.MetricBatch; msgId: string }> = [];
  let running: Promise<void> | undefined;

  const sample = async (): Promise<metricsV1.MetricBatch> => {
    const t = BigInt(Math.floor(ports.now() / options.intervalMs) * options.intervalMs);
    const nodeDims = { agentId: options.agentId, hostname: options.hostname };
    const groups: metricsV1.MetricGroup[] = [
      create(metricsV1.MetricGroupSchema, { dimensions: nodeDims, timestampMs: t, datapoints: ports.node().map((p) => datapoint(p, metricsV1.Scope.NODE)) }),
    ];
    const gpus = await ports.gpus();
    if (gpus.length > 0) groups.push(create(metricsV1.MetricGroupSchema, { dimensions: nodeDims, timestampMs: t, datapoints: gpus.map((p) => datapoint(p, metricsV1.Scope.GPU)) }));
    const statsd = ports.statsd();
    for (const target of ports.targets()) {
      const dimensions = { ...nodeDims, appId: target.appId, instanceId: target.instanceId, taskId: target.taskId, containerName: target.containerName, labels: target.labels };
      const container = ports.task(target).map((p) => datapoint(p, metricsV1.Scope.CONTAINER));
      const app = (statsd.get(target.taskId) ?? []).map((p) => datapoint({ name: p.name, value: p.value, unit: "", counter: p.counter, tags: p.tags }, metricsV1.Scope.APP));
      if (target.scrape) {
        try {
          for (const p of await ports.scrape(target)) app.push(datapoint(p, metricsV1.Scope.APP));
        } catch (err) {
          ports.logger.debug({ err, task: target.taskId, port: target.scrape.port }, "scraping the task's Prometheus endpoint failed");
        }
      }
      if (container.length + app.length > 0) groups.push(create(metricsV1.MetricGroupSchema, { dimensions, timestampMs: t, datapoints: [...container, ...app] }));
    }
    return create(metricsV1.MetricBatchSchema, { source: options.agentId, groups });
  };

  const tick = async () => {
    try {
      backlog.push({ batch: await sample(), msgId: `${options.agentId}:${boot}:${counter++}` });
    } catch (err) {
      ports.logger.warn({ err }, "sampling metrics failed");
    }
    while (backlog.length > 6) {
      backlog.shift();
      ports.logger.warn("metrics backlog full: the oldest batch was dropped");
    }
    while (backlog.length > 0) {
      const next = backlog[0]!;
      try {
        await ports.publish(next.batch, next.msgId);
        backlog.shift();
      } catch (err) {
        ports.logger.warn({ err, waiting: backlog.length }, "publishing metrics failed; retrying next tick");
        break;
      }
    }
  };
  const timer = setInterval(() => {
    if (!running) running = tick().finally(() => (running = undefined));
  }, options.intervalMs);
  timer.unref();
  return {
    tick: () => (running ??= tick().finally(() => (running = undefined))),
    stop: () => clearInterval(timer),
  };
}

function datapoint(p: MetricPoint, scope: metricsV1.Scope): metricsV1.Datapoint {
  return create(metricsV1.DatapointSchema, { name: p.name, value: p.value, unit: p.unit, kind: p.counter ? metricsV1.Kind.COUNTER : metricsV1.Kind.GAUGE, scope, tags: p.tags ?? {} });
}
