import parsePrometheusTextFormat from "parse-prometheus-text-format";
import type { MetricPoint } from "./metrics-points.ts";

/**
 * The app labels that ask the agent to scrape a task's Prometheus endpoint (as DC/OS'
 * `DCOS_METRICS_FORMAT` did): `GANTRY_METRICS_FORMAT=prometheus`, `GANTRY_METRICS_PORT_INDEX`
 * (which of the task's ports, default 0: its `PORT<i>`) and `GANTRY_METRICS_PATH` (default `/metrics`).
 */
export const SCRAPE_LABELS = { format: "GANTRY_METRICS_FORMAT", portIndex: "GANTRY_METRICS_PORT_INDEX", path: "GANTRY_METRICS_PATH" } as const;

/** Where to scrape a task, from its labels and environment; undefined when it asked for nothing or names no port it has. */
export function prometheusScrapeOf(labels: Readonly<Record<string, string>>, env: Readonly<Record<string, string>>): { port: number; path: string } | undefined {
  if (labels[SCRAPE_LABELS.format]?.toLowerCase() !== "prometheus") return undefined;
  const index = Number(labels[SCRAPE_LABELS.portIndex] ?? "0");
  const port = Number(env[`PORT${index}`]);
  if (!Number.isInteger(index) || !Number.isInteger(port) || port <= 0) return undefined;
  const path = labels[SCRAPE_LABELS.path] || "/metrics";
  return { port, path: path.startsWith("/") ? path : `/${path}` };
}

/**
 * Points of a Prometheus text exposition: counters and gauges (untyped as gauges) as they are;
 * histograms as `<name>_count`, `<name>_sum` and `<name>_bucket` (tag `le`); summaries as
 * `<name>_count`, `<name>_sum` and `<name>` (tag `quantile`). The sample labels become tags.
 * Throws on text that is not Prometheus text format (the parser's error).
 */
export function pointsOfExposition(text: string): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const family of parsePrometheusTextFormat(text)) {
    const counter = family.type === "COUNTER";
    for (const m of family.metrics) {
      const tags = { ...(m.labels ?? {}) };
      const push = (name: string, raw: string | undefined, extra: Record<string, string> = {}, isCounter = counter) => {
        const value = Number(raw);
        if (raw !== undefined && !Number.isNaN(value)) out.push({ name, value, unit: "", counter: isCounter, tags: { ...tags, ...extra } });
      };
      if (family.type === "HISTOGRAM") {
        push(`${family.name}_count`, m.count, {}, true);
        push(`${family.name}_sum`, m.sum, {}, true);
        for (const [le, v] of Object.entries(m.buckets ?? {})) push(`${family.name}_bucket`, v, { le }, true);
      } else if (family.type === "SUMMARY") {
        push(`${family.name}_count`, m.count, {}, true);
        push(`${family.name}_sum`, m.sum, {}, true);
        for (const [quantile, v] of Object.entries(m.quantiles ?? {})) push(family.name, v, { quantile }, false);
      } else push(family.name, m.value);
    }
  }
  return out;
}

/** Scrapes `http://<host>:<port><path>` within `timeoutMs`; rejects on a failed request, a non-2xx answer or a malformed body. */
export async function scrapePrometheus(host: string, target: { port: number; path: string }, timeoutMs = 3_000): Promise<MetricPoint[]> {
  const res = await fetch(`http://${host}:${target.port}${target.path}`, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "text/plain;version=0.0.4" } });
  if (!res.ok) throw new Error(`scrape of :${target.port}${target.path} answered ${res.status}`);
  return pointsOfExposition(await res.text());
}
