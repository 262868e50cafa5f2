import { Gauge, Counter, Registry } from "prom-client";
import { metricsV1 } from "@gantry/proto";

/** Prometheus' metric name rule: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
const sanitizeName = (name: string) => {
  const s = name.replace(/[^a-zA-Z0-9_:]/g, "_");
  return /^[a-zA-Z_:]/.test(s) ? s : `_${s}`;
};
/** Label names: `[a-zA-Z_][a-zA-Z0-9_]*`, and none may start with `__` (reserved). */
const sanitizeLabel = (name: string) => {
  const s = name.replace(/[^a-zA-Z0-9_]/g, "_");
  const t = /^[a-zA-Z_]/.test(s) ? s : `_${s}`;
  return t.startsWith("__") ? t.replace(/^_+/, "_") : t;
};

const SCOPE_NAMES: Record<number, string> = {
  [metricsV1.Scope.NODE]: "node",
  [metricsV1.Scope.GPU]: "gpu",
  [metricsV1.Scope.CONTAINER]: "container",
  [metricsV1.Scope.APP]: "app",
  [metricsV1.Scope.CONTROL]: "control",
};

/** The labels of one series: its dimensions (non-empty ones), its tags, and its task's labels as `label_<name>`. */
export function seriesLabels(info: metricsV1.SeriesInfo): Record<string, string> {
  const d = info.dimensions;
  const labels: Record<string, string> = { scope: SCOPE_NAMES[info.scope] ?? "app" };
  const put = (k: string, v: string | undefined) => {
    if (v) labels[sanitizeLabel(k)] = v;
  };
  put("agent_id", d?.agentId);
  put("hostname", d?.hostname);
  put("app_id", d?.appId);
  put("instance_id", d?.instanceId);
  put("task_id", d?.taskId);
  put("container_name", d?.containerName);
  for (const [k, v] of Object.entries(d?.labels ?? {})) put(`label_${k}`, v);
  // Tags last but never over a dimension (a StatsD tag named task_id does not hide the real one).
  for (const [k, v] of Object.entries(info.tags)) if (!(sanitizeLabel(k) in labels)) put(k, v);
  return labels;
}

/**
 * Prometheus text exposition (format 0.0.4) of the latest sample of every series, built with
 * prom-client: names prefixed `gantry_` and sanitized (dots and dashes become `_`, as DC/OS'
 * Prometheus producer does), counters as counters, everything else as gauges, labels from the
 * dimensions, the tags and the task labels (`label_<name>`); a label a series lacks is "".
 * Sample timestamps are not written (Prometheus stamps the scrape), as prom-client does.
 */
export async function prometheusExposition(samples: readonly metricsV1.LatestSample[]): Promise<{ contentType: string; text: string }> {
  const registry = new Registry();
  const byName = new Map<string, { kind: metricsV1.Kind; help: string; rows: Array<{ labels: Record<string, string>; value: number }> }>();
  for (const s of samples) {
    const info = s.series!;
    const name = sanitizeName(`gantry_${info.name}`);
    let family = byName.get(name);
    if (!family) byName.set(name, (family = { kind: info.kind, help: `Gantry ${SCOPE_NAMES[info.scope] ?? "app"} metric ${info.name}${info.unit ? ` (${info.unit})` : ""}`, rows: [] }));
    family.rows.push({ labels: seriesLabels(info), value: s.value });
  }
  for (const [name, family] of byName) {
    const labelNames = [...new Set(family.rows.flatMap((r) => Object.keys(r.labels)))].sort();
    const complete = (labels: Record<string, string>) => Object.fromEntries(labelNames.map((l) => [l, labels[l] ?? ""]));
    if (family.kind === metricsV1.Kind.COUNTER) {
      const c = new Counter({ name, help: family.help, labelNames, registers: [registry] });
      // prom-client counters only go up from 0: a series' total is one increment of its value.
      for (const r of family.rows) if (r.value >= 0 && Number.isFinite(r.value)) c.inc(complete(r.labels), r.value);
    } else {
      const g = new Gauge({ name, help: family.help, labelNames, registers: [registry] });
      for (const r of family.rows) g.set(complete(r.labels), r.value);
    }
  }
  return { contentType: registry.contentType, text: await registry.metrics() };
}
