import { renderTable } from "./table.ts";

const BARS = "▁▂▃▄▅▆▇█";

/**
 * A sparkline of `values` (▁…█), scaled between their min and max; one bar per value, at most
 * `width` (the newest kept). A flat series is a row of ▁; non-finite values are skipped.
 */
export function sparkline(values: readonly number[], width = 20): string {
  const v = values.filter(Number.isFinite).slice(-width);
  if (v.length === 0) return "";
  const min = Math.min(...v);
  const max = Math.max(...v);
  const span = max - min;
  return v.map((x) => BARS[span === 0 ? 0 : Math.min(BARS.length - 1, Math.floor(((x - min) / span) * BARS.length))]).join("");
}

/** A value in its unit, for a human: bytes in KiB/MiB/GiB, seconds with 2 decimals, others as numbers. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  if (unit === "bytes") {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = value;
    let i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(2);
  return unit && unit !== "count" ? `${text} ${unit}` : text;
}

/** One row of a summary: a series (its name and tags) and its values over the range, oldest first. */
export interface SummaryRow {
  name: string;
  tags: Readonly<Record<string, string>>;
  unit: string;
  values: readonly number[];
}

/** Rows of series over a range (Range or AggregateApp answers: their `values` column), sorted by name then tags. */
export function summaryRows(series: ReadonlyArray<SummaryRow>): SummaryRow[] {
  return series
    .map((s) => ({ name: s.name, unit: s.unit, tags: s.tags, values: s.values }))
    .sort((a, b) => a.name.localeCompare(b.name) || tagText(a.tags).localeCompare(tagText(b.tags)));
}

// reduce, not Math.min(...values): a day at 10 s steps is more arguments than a call should take.
const min = (a: number, b: number) => (b < a ? b : a);
const max = (a: number, b: number) => (b > a ? b : a);

const tagText = (tags: Readonly<Record<string, string>>) =>
  Object.entries(tags)
    .sort()
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/**
 * The compact summary: METRIC, TAGS, LAST, MIN, MAX and a sparkline of the range, one row per
 * series; `title` above it (what was asked, over which span).
 */
export function renderMetricsSummary(title: string, rows: readonly SummaryRow[], empty: string): string {
  const table = renderTable(
    ["metric", "tags", "last", "min", "max", "trend"],
    rows.map((r) => {
      const { values } = r;
      const last = values.at(-1);
      return [r.name, tagText(r.tags), last === undefined ? "" : formatValue(last, r.unit), values.length ? formatValue(values.reduce(min), r.unit) : "", values.length ? formatValue(values.reduce(max), r.unit) : "", sparkline(values)];
    }),
    empty,
  );
  return rows.length === 0 ? table : `${title}\n${table}`;
}
