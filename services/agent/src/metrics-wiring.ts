import { METRICS_STREAM, metricsV1 } from "@gantry/proto";
import { ensureStream, publishDurable, type Bus } from "@gantry/platform/bus";
import type { Logger } from "@gantry/platform/logging";
import { startMetricsCollector } from "./app/metrics-collector.ts";
import type { MetricTarget } from "./app/metrics-points.ts";
import { scrapePrometheus } from "./app/metrics-scrape.ts";
import { readNodeMetrics } from "./adapters/metrics-node.os.ts";
import { readTaskMetrics } from "./adapters/metrics-task.os.ts";
import { readGpuMetrics } from "./adapters/metrics-gpu.os.ts";
import { startStatsdListeners, type StatsdListeners } from "./adapters/statsd-listener.os.ts";

/** Default sampling interval; `GANTRY_AGENT_METRICS_INTERVAL_MS` overrides it (tests use 1000). */
export const DEFAULT_METRICS_INTERVAL_MS = 10_000;

/** Reads `GANTRY_AGENT_METRICS_INTERVAL_MS`; throws naming the variable when it is not a whole number of ms ≥ 100. */
export function metricsIntervalFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GANTRY_AGENT_METRICS_INTERVAL_MS;
  if (raw === undefined || raw === "") return DEFAULT_METRICS_INTERVAL_MS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 100) throw new Error(`GANTRY_AGENT_METRICS_INTERVAL_MS=${raw}: expected a whole number of milliseconds, at least 100`);
  return n;
}

/** The agent's metrics: the StatsD listeners (for the supervisor's ports) and the collector, started by `start`. */
export interface AgentMetrics {
  statsd: StatsdListeners;
  /** Starts sampling once the supervisor knows its tasks. */
  start(targets: () => MetricTarget[]): Promise<void>;
  stop(): void;
}

/**
 * Wires the agent's metric collection: per-task StatsD listeners, node (/proc), GPU (nvidia-smi
 * when the agent has GPUs) and per-task (cgroups or /proc) sampling every interval, shipped as
 * MetricBatch on `metrics.<agentId>` (METRICS stream, declared here too so an agent started before
 * the metrics service loses nothing).
 */
export function agentMetrics(options: { agentId: string; hostname: string; gpuCount: number }, deps: { bus: Bus; logger: Logger }): AgentMetrics {
  const statsd = startStatsdListeners();
  const logger = deps.logger.child({ component: "metrics" });
  let collector: { stop(): void } | undefined;
  return {
    statsd,
    async start(targets) {
      await ensureStream(deps.bus, METRICS_STREAM);
      const intervalMs = metricsIntervalFromEnv();
      collector = startMetricsCollector(
        { agentId: options.agentId, hostname: options.hostname, intervalMs },
        {
          node: () => readNodeMetrics(),
          gpus: () => (options.gpuCount > 0 ? readGpuMetrics() : Promise.resolve([])),
          targets,
          task: (t) => readTaskMetrics(t),
          statsd: () => statsd.flush(),
          scrape: (t) => scrapePrometheus("127.0.0.1", t.scrape!),
          publish: async (batch, msgId) => void (await publishDurable(deps.bus, `metrics.${options.agentId}`, metricsV1.MetricBatchSchema, batch, { msgId })),
          logger,
          now: Date.now,
        },
      );
      logger.info({ intervalMs }, "metrics collection started");
    },
    stop() {
      collector?.stop();
      statsd.closeAll();
    },
  };
}
