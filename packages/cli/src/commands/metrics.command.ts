import { InvalidArgumentError, type Command } from "commander";
import { float64Column, metricsV1 } from "@gantry/proto";
import { printView, type OutputOptions } from "../output.ts";
import { renderMetricsSummary, summaryRows } from "../render/metrics-summary.ts";
import { pointsJson } from "../render/metric-points-json.ts";
import { withClient, withJson } from "./command-kit.ts";

/** The switches of the metrics commands. */
interface MetricsOptions extends OutputOptions {
  since: number;
  step: number;
  name?: string[];
  aggregate?: string;
}

/** `15m`, `2h`, `30s`, `1d` → milliseconds; throws commander's InvalidArgumentError naming the problem. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`"${text}" is not a duration like 30s, 15m, 2h or 1d`);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds `--since`, `--step`, `--name` and `--json` to a metrics command. */
function withRange(cmd: Command): Command {
  return withJson(cmd)
    .option("--since <duration>", "how far back (30s, 15m, 2h, 1d)", parseDuration, 15 * 60_000)
    .option("--step <duration>", "one point per step (the step's average; last value for counters)", parseDuration, 30_000)
    .option("--name <metric>", "only this metric (repeatable)", collect);
}

const spanText = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);

/** `gantry task metrics <task>`: the task's container and app metrics over a range, with sparklines; --json has every point. */
export function addTaskMetricsCommand(task: Command): void {
  withRange(task.command("metrics").description("a task's container (cpu, memory, processes) and app (StatsD, Prometheus) metrics, with sparklines").argument("<taskId>", "task id (see `gantry task list`)")).action(
    async (taskId: string, opts: MetricsOptions) => {
      const now = Date.now();
      const result = await withClient((api) => api.metrics.range({ selector: { taskId, names: opts.name ?? [] }, startMs: BigInt(now - opts.since), endMs: BigInt(now), stepMs: BigInt(opts.step) }));
      printView(opts, () => pointsJson(metricsV1.RangeResponseSchema, result), () =>
        renderMetricsSummary(`task ${taskId}, last ${spanText(opts.since)}`, summaryRows(result.series.map((s) => ({ ...s.series!, values: Array.from(float64Column(s.values)) }))), `no metrics of task ${taskId} in the last ${spanText(opts.since)}`),
      );
    },
  );
}

/** `gantry node metrics <agent>`: the node's metrics (and its GPUs') over a range. */
export function addNodeMetricsCommand(node: Command): void {
  withRange(node.command("metrics").description("a node's metrics (cpu, load, memory, swap, filesystems, network, GPUs), with sparklines").argument("<agentId>", "agent id (see `gantry node list`)")).action(
    async (agentId: string, opts: MetricsOptions) => {
      const now = Date.now();
      const result = await withClient((api) =>
        api.metrics.range({ selector: { agentId, scopes: [metricsV1.Scope.NODE, metricsV1.Scope.GPU], names: opts.name ?? [] }, startMs: BigInt(now - opts.since), endMs: BigInt(now), stepMs: BigInt(opts.step) }),
      );
      printView(opts, () => pointsJson(metricsV1.RangeResponseSchema, result), () =>
        renderMetricsSummary(`node ${agentId}, last ${spanText(opts.since)}`, summaryRows(result.series.map((s) => ({ ...s.series!, values: Array.from(float64Column(s.values)) }))), `no metrics of node ${agentId} in the last ${spanText(opts.since)}`),
      );
    },
  );
}

const AGGREGATIONS: Record<string, metricsV1.Aggregation> = { sum: metricsV1.Aggregation.SUM, avg: metricsV1.Aggregation.AVG, min: metricsV1.Aggregation.MIN, max: metricsV1.Aggregation.MAX };

/** `gantry app metrics <id>`: an app's (or pod's) metrics combined over its tasks. */
export function addAppMetricsCommand(app: Command): void {
  withRange(app.command("metrics").description("an app's or pod's metrics combined over its tasks (sum by default), with sparklines").argument("<id>", "app or pod id"))
    .option("--aggregate <how>", "how tasks combine: sum, avg, min or max", (v: string) => {
      if (!(v in AGGREGATIONS)) throw new InvalidArgumentError(`"${v}" is not one of sum, avg, min, max`);
      return v;
    }, "sum")
    .action(async (id: string, opts: MetricsOptions) => {
      const now = Date.now();
      const appId = id.startsWith("/") ? id : `/${id}`;
      const result = await withClient((api) =>
        api.metrics.aggregateApp({ appId, startMs: BigInt(now - opts.since), endMs: BigInt(now), stepMs: BigInt(opts.step), aggregation: AGGREGATIONS[opts.aggregate ?? "sum"]!, names: opts.name ?? [] }),
      );
      printView(opts, () => pointsJson(metricsV1.AggregateAppResponseSchema, result), () =>
        renderMetricsSummary(`${appId}: ${opts.aggregate ?? "sum"} over ${result.taskIds.length} task(s), last ${spanText(opts.since)}`, summaryRows(result.series.map((s) => ({ ...s, values: Array.from(float64Column(s.values)) }))), `no metrics of ${appId} in the last ${spanText(opts.since)}`),
      );
    });
}
