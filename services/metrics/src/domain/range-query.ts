import { recordKey, type Scope } from "./sample.ts";
import type { Series } from "./series-store.ts";
import type { ColumnAllocator } from "./column-arena.ts";

/** How the series of an app's tasks are combined, step by step. */
export type Aggregation = "sum" | "avg" | "min" | "max";

/** A time range, both ends inclusive, in epoch milliseconds; `stepMs` 0 returns samples as stored. */
export interface TimeRange {
  from: number;
  to: number;
  stepMs: number;
}

/**
 * Points over a range as two columns: the i-th point is `(timestamps[i], values[i])`, timestamps
 * ascending. Float64Arrays, the form the gRPC answer carries them in (`columnBytes`): a range of
 * thousands of points is two buffers, not an object (or a boxed number) per point.
 */
export interface PointColumns {
  timestamps: Float64Array;
  values: Float64Array;
}

/**
 * A series' samples over a range; with a step, one point per step that has samples, at the step's
 * start: the average of its samples, or the last one for counters (so rates stay computable).
 * The columns come from `allocate` (see `Series.points`).
 */
export function rangeOf(s: Series, range: TimeRange, allocate?: ColumnAllocator): PointColumns {
  const raw = s.points(range.from, range.to, allocate);
  if (range.stepMs <= 0) return raw;
  // Reduced in place: a step's point goes at or before the index of its first sample, which is
  // read before anything is written there.
  const { timestamps, values } = raw;
  const step = range.stepMs;
  const last = s.meta.kind === "counter";
  let n = 0;
  let start = Number.NaN;
  let sum = 0;
  let inStep = 0;
  let lastV = 0;
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i]!;
    const v = values[i]!;
    const b = t - (t % step);
    if (b !== start) {
      if (inStep > 0) {
        timestamps[n] = start;
        values[n++] = last ? lastV : sum / inStep;
      }
      start = b;
      sum = 0;
      inStep = 0;
    }
    sum += v;
    inStep++;
    lastV = v;
  }
  if (inStep > 0) {
    timestamps[n] = start;
    values[n++] = last ? lastV : sum / inStep;
  }
  return { timestamps: timestamps.subarray(0, n), values: values.subarray(0, n) };
}

/** One combined series of an app: a metric name and tags, and how many task series went into it. */
export interface AggregatedSeries {
  name: string;
  scope: Scope;
  unit: string;
  tags: Readonly<Record<string, string>>;
  sources: number;
  points: PointColumns;
}

/**
 * Combines series of the same name and tags (e.g. every task's `cpus.user.time` of an app) step by
 * step with `agg`. Each series is first reduced to one value per step (`rangeOf`); a step where
 * only some tasks have a value combines those. A step of 0 is treated as 10 s (raw timestamps of
 * different tasks never line up).
 */
export function aggregateSeries(series: readonly Series[], range: TimeRange, agg: Aggregation): AggregatedSeries[] {
  const stepped: TimeRange = { ...range, stepMs: range.stepMs > 0 ? range.stepMs : 10_000 };
  const groups = new Map<string, { first: Series; sources: number; buckets: Map<number, { sum: number; n: number; min: number; max: number }> }>();
  for (const s of series) {
    const key = `${s.meta.scope}\u0001${s.meta.name}\u0001${recordKey(s.meta.tags)}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { first: s, sources: 0, buckets: new Map() }));
    g.sources++;
    const { timestamps, values } = rangeOf(s, stepped);
    for (let i = 0; i < timestamps.length; i++) {
      const t = timestamps[i]!;
      const v = values[i]!;
      const b = g.buckets.get(t);
      if (!b) g.buckets.set(t, { sum: v, n: 1, min: v, max: v });
      else {
        b.sum += v;
        b.n++;
        if (v < b.min) b.min = v;
        if (v > b.max) b.max = v;
      }
    }
  }
  const out: AggregatedSeries[] = [];
  for (const g of groups.values()) {
    const steps = [...g.buckets.entries()].sort((x, y) => x[0] - y[0]);
    const points: PointColumns = { timestamps: new Float64Array(steps.length), values: new Float64Array(steps.length) };
    steps.forEach(([t, b], i) => {
      points.timestamps[i] = t;
      points.values[i] = agg === "sum" ? b.sum : agg === "avg" ? b.sum / b.n : agg === "min" ? b.min : b.max;
    });
    out.push({ name: g.first.meta.name, scope: g.first.meta.scope, unit: g.first.meta.unit, tags: g.first.meta.tags, sources: g.sources, points });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
