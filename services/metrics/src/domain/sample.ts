/**
 * What every sample says about where it came from (dcos-metrics' "dimensions"): the node it was
 * taken on, and for task metrics the app or pod, instance, task and container, plus the task's
 * labels. Node metrics leave the task fields empty.
 */
export interface Dimensions {
  agentId: string;
  hostname: string;
  /** App id, or pod id for a pod's containers; "" for node metrics. */
  appId: string;
  instanceId: string;
  taskId: string;
  containerName: string;
  labels: Readonly<Record<string, string>>;
}

/** Where a series comes from: the node, a GPU of the node, a task's container (cgroup or /proc), the task's own metrics (StatsD, Prometheus scrape), or a control-plane service. */
export type Scope = "node" | "gpu" | "container" | "app" | "control";

/** Counters only go up (a reset restarts them); gauges go both ways. */
export type MetricKind = "gauge" | "counter";

/** What identifies a series beside its samples. */
export interface SeriesMeta {
  name: string;
  unit: string;
  kind: MetricKind;
  scope: Scope;
  dims: Dimensions;
  /** Per-series labels beyond the dimensions (a GPU index, a filesystem path, a network interface, a StatsD tag). */
  tags: Readonly<Record<string, string>>;
}

/** The key of a series among those of one source: scope, name and tags, in a stable order (ends in \u0001 when it has no tags). */
export function localSeriesKey(meta: Pick<SeriesMeta, "name" | "scope" | "tags">): string {
  return `${meta.scope}\u0001${meta.name}\u0001${recordKey(meta.tags)}`;
}

/** The part of a series key its dimensions make; computed once per batch group. */
export function dimensionsKey(d: Dimensions): string {
  return `${d.agentId}\u0000${d.hostname}\u0000${d.appId}\u0000${d.instanceId}\u0000${d.taskId}\u0000${d.containerName}\u0000${recordKey(d.labels)}`;
}

/** A record's name=value pairs in name order, as one string ("" when empty). */
export function recordKey(r: Readonly<Record<string, string>>): string {
  const keys = Object.keys(r);
  if (keys.length === 0) return "";
  keys.sort();
  let out = "";
  for (const k of keys) out += `${k}=${r[k]}\u0000`;
  return out;
}
