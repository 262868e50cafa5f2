import { recordKey, type Scope } from "./sample.ts";
import type { Series } from "./series-store.ts";

/** How the series of an app's tasks are combined, step by step. */
export type Aggregation = "sum" | "avg" | "min" | "max";

/** A time range, both ends inclusive, in epoch milliseconds; `stepMs` 0 returns samples as stored. */
export interface TimeRange {
  from: number;
  to: number;
  stepMs: number;
}

/** One series' points over a range. */
export type Points = Array<[t: number, v: number]>;

const asTuple = (t: number, v: number): [number, number] => [t, v];

/**
 * A series' samples over a range; with a step, one point per step that has samples, at the step's
 * start: the average of its samples, or the last one for counters (so rates stay computable).
 * Each point is made by `make` (default `[t, v]`), so a caller building its own shape (a gRPC
 * answer) allocates one object per point, not two.
 */
export function rangeOf(s: Series, range: TimeRange): Points;
export function rangeOf<T>(s: Series, range: TimeRange, make: (t: number, v: number) => T): T[];
export function rangeOf<T>(s: Series, range: TimeRange, make: (t: number, v: number) => T = asTuple as unknown as (t: number, v: number) => T): T[] {
  const out: T[] = [];
  if (range.stepMs <= 0) {
    s.visit(range.from, range.to, (t, v) => out.push(make(t, v)));
    return out;
  }
  const step = range.stepMs;
  const last = s.meta.kind === "counter";
  let start = Number.NaN;
  let sum = 0;
  let n = 0;
  let lastV = 0;
  const flush = () => {
    if (n > 0) out.push(make(start, last ? lastV : sum / n));
  };
  s.visit(range.from, range.to, (t, v) => {
    const b = t - (t % step);
    if (b !== start) {
      flush();
      start = b;
      sum = 0;
      n = 0;
    }
    sum += v;
    n++;
    lastV = v;
  });
  flush();
  return out;
}

/** One combined series of an app: a metric name and tags, and how many task series went into it. */
export interface AggregatedSeries {
  name: string;
  scope: Scope;
  unit: string;
  tags: Readonly<Record<string, string>>;
  sources: number;
  points: Points;
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
    for (const [t, v] of rangeOf(s, stepped)) {
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
    const points: Points = [...g.buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([t, b]) => [t, agg === "sum" ? b.sum : agg === "avg" ? b.sum / b.n : agg === "min" ? b.min : b.max]);
    out.push({ name: g.first.meta.name, scope: g.first.meta.scope, unit: g.first.meta.unit, tags: g.first.meta.tags, sources: g.sources, points });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
