import { metricsV1 } from "@gantry/proto";
import { bindService, GantryError, type AccessAudit, type ServiceBinding } from "@gantry/platform";
import type { SeriesMeta, Scope } from "../domain/sample.ts";
import type { Selector, Series, SeriesStore } from "../domain/series-store.ts";
import { aggregateSeries, rangeOf, type Aggregation, type TimeRange } from "../domain/range-query.ts";
import { ColumnArena } from "../domain/column-arena.ts";
import { encodeAggregateAppResponse, encodeRangeResponse } from "./range-response.encoding.ts";
import { protoScope, scopeOf } from "../app/metrics-ingest.ts";
import { metricsPermissions, seriesVisibility } from "./metrics-permissions.ts";

/** Default span of a range query without a start: the last hour. */
const DEFAULT_RANGE_MS = 3_600_000;
/** Most points a stepped query may ask for per series. */
const MAX_STEPS = 11_000;

const AGGREGATIONS: Record<number, Aggregation> = {
  [metricsV1.Aggregation.UNSPECIFIED]: "sum",
  [metricsV1.Aggregation.SUM]: "sum",
  [metricsV1.Aggregation.AVG]: "avg",
  [metricsV1.Aggregation.MIN]: "min",
  [metricsV1.Aggregation.MAX]: "max",
};

/**
 * `gantry.metrics.v1.MetricsService` over the in-memory store: latest values and ranges by node,
 * task or app, an app's series combined over its tasks, and the tasks with metrics. Every answer
 * holds only series the caller may read (see metrics-permissions.ts).
 */
export function metricsService(store: SeriesStore, now: () => number, audit?: AccessAudit): ServiceBinding {
  const arena = new ColumnArena();
  /**
   * A Range answer: the series decoded into the arena and copied into the encoding in ONE
   * synchronous step (no await can come between them), so the next answer may reuse the arena.
   */
  const encodedRange = (series: readonly Series[], range: TimeRange) => {
    arena.reset();
    return encodeRangeResponse(series.map((s) => ({ info: seriesInfo(s.meta), columns: rangeOf(s, range, arena.columns) })));
  };
  return bindService(
    metricsV1.MetricsService,
    {
      async latest(request, ctx) {
        const visible = seriesVisibility(ctx.principal);
        const samples = store
          .select(selectorOf(request.selector))
          .filter((s) => visible(s.meta) && Number.isFinite(s.lastT))
          .map((s) => ({ series: seriesInfo(s.meta), timestampMs: BigInt(s.lastT), value: s.lastV }));
        return { samples };
      },
      async range(request, ctx) {
        const visible = seriesVisibility(ctx.principal);
        return encodedRange(store.select(selectorOf(request.selector)).filter((s) => visible(s.meta)), timeRange(request.startMs, request.endMs, request.stepMs, now()));
      },
      async aggregateApp(request) {
        if (!request.appId) throw new GantryError("InvalidArgument", "app_id: required (the app or pod whose tasks to combine)", { violations: [{ path: "/appId", errors: ["required"] }] });
        const range = timeRange(request.startMs, request.endMs, request.stepMs || 10_000n, now());
        const aggregation = AGGREGATIONS[request.aggregation];
        if (!aggregation) throw new GantryError("InvalidArgument", `aggregation: unknown value ${request.aggregation}`, { violations: [{ path: "/aggregation", errors: ["unknown value"] }] });
        const selected = store.select({ appId: request.appId, scopes: ["container", "app"], ...(request.names.length ? { names: request.names } : {}) });
        const taskIds = [...new Set(selected.map((s) => s.meta.dims.taskId))].sort();
        const series = aggregateSeries(selected, range, aggregation).map((a) => ({
          head: { name: a.name, unit: a.unit, scope: protoScope(a.scope), tags: { ...a.tags }, sources: a.sources },
          columns: a.points,
        }));
        return encodeAggregateAppResponse(series, taskIds);
      },
      async listContainers(request, ctx) {
        const visible = seriesVisibility(ctx.principal);
        const containers = store
          .tasks(request.agentId || undefined)
          .filter((dims) => visible({ scope: "container", dims }))
          .map(protoDimensions);
        return { containers };
      },
    },
    metricsPermissions(store),
    audit,
  );
}

function selectorOf(sel: metricsV1.Selector | undefined): Selector {
  const out: Selector = {};
  if (sel?.agentId) out.agentId = sel.agentId;
  if (sel?.taskId) out.taskId = sel.taskId;
  if (sel?.appId) out.appId = sel.appId;
  if (sel?.scopes.length) out.scopes = sel.scopes.map(scopeOf) as Scope[];
  if (sel?.names.length) out.names = sel.names;
  return out;
}

/** Checks and defaults a range; throws InvalidArgument naming the field. */
function timeRange(startMs: bigint, endMs: bigint, stepMs: bigint, now: number): { from: number; to: number; stepMs: number } {
  const to = endMs > 0n ? Number(endMs) : now;
  const from = startMs > 0n ? Number(startMs) : to - DEFAULT_RANGE_MS;
  const step = Number(stepMs);
  const bad = (path: string, problem: string) => new GantryError("InvalidArgument", `${path.slice(1)}: ${problem}`, { violations: [{ path, errors: [problem] }] });
  if (startMs < 0n) throw bad("/startMs", "must not be negative");
  if (endMs < 0n) throw bad("/endMs", "must not be negative");
  if (from > to) throw bad("/startMs", `is after end (${from} > ${to})`);
  if (step < 0) throw bad("/stepMs", "must not be negative");
  if (step > 0 && (to - from) / step > MAX_STEPS) throw bad("/stepMs", `too small: the range would have more than ${MAX_STEPS} steps`);
  return { from, to, stepMs: step };
}

/** The proto form of a series' identity. */
export function seriesInfo(meta: SeriesMeta): metricsV1.SeriesInfo {
  return {
    $typeName: "gantry.metrics.v1.SeriesInfo",
    name: meta.name,
    unit: meta.unit,
    kind: meta.kind === "counter" ? metricsV1.Kind.COUNTER : metricsV1.Kind.GAUGE,
    scope: protoScope(meta.scope),
    dimensions: protoDimensions(meta.dims),
    tags: { ...meta.tags },
  };
}

function protoDimensions(d: SeriesMeta["dims"]): metricsV1.Dimensions {
  return { $typeName: "gantry.metrics.v1.Dimensions", ...d, labels: { ...d.labels } };
}
