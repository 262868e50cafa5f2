import { metricsV1 } from "@gantry/proto";
import { dimensionsKey, type Dimensions, type MetricKind, type Scope } from "../domain/sample.ts";
import type { AppendOutcome, SeriesStore } from "../domain/series-store.ts";

/** Counts of what one batch did to the store. */
export type IngestCounts = Record<AppendOutcome, number>;

const SCOPES: Record<number, Scope> = {
  [metricsV1.Scope.NODE]: "node",
  [metricsV1.Scope.GPU]: "gpu",
  [metricsV1.Scope.CONTAINER]: "container",
  [metricsV1.Scope.APP]: "app",
  [metricsV1.Scope.CONTROL]: "control",
};

/** The domain scope of a proto scope (UNSPECIFIED reads as app: a sender that did not say). */
export const scopeOf = (s: metricsV1.Scope): Scope => SCOPES[s] ?? "app";
/** The proto scope of a domain scope. */
export const protoScope = (s: Scope): metricsV1.Scope =>
  s === "node" ? metricsV1.Scope.NODE : s === "gpu" ? metricsV1.Scope.GPU : s === "container" ? metricsV1.Scope.CONTAINER : s === "control" ? metricsV1.Scope.CONTROL : metricsV1.Scope.APP;
/** The domain kind of a proto kind (UNSPECIFIED reads as gauge). */
export const kindOf = (k: metricsV1.Kind): MetricKind => (k === metricsV1.Kind.COUNTER ? "counter" : "gauge");

/** Domain dimensions of proto ones (absent reads as all empty). */
export function dimensionsOf(d: metricsV1.Dimensions | undefined): Dimensions {
  return {
    agentId: d?.agentId ?? "",
    hostname: d?.hostname ?? "",
    appId: d?.appId ?? "",
    instanceId: d?.instanceId ?? "",
    taskId: d?.taskId ?? "",
    containerName: d?.containerName ?? "",
    labels: d?.labels ?? {},
  };
}

/**
 * Stores every datapoint of a batch. A non-finite timestamp or a datapoint without a name is
 * counted as refused (out-of-order) rather than stored: a batch is never refused whole, so one bad
 * sender cannot hold the stream back. Idempotent: a batch ingested twice stores its samples once.
 */
export function ingestBatch(store: SeriesStore, batch: metricsV1.MetricBatch, now: number): IngestCounts {
  const counts: IngestCounts = { stored: 0, duplicate: 0, "out-of-order": 0, "too-old": 0, "series-limit": 0 };
  for (const g of batch.groups) {
    const dims = dimensionsOf(g.dimensions);
    const dimsKey = dimensionsKey(dims);
    const groupT = Number(g.timestampMs);
    for (const p of g.datapoints) {
      const t = p.timestampMs !== 0n ? Number(p.timestampMs) : groupT;
      if (!p.name || !Number.isFinite(t) || t <= 0) {
        counts["out-of-order"]++;
        continue;
      }
      counts[store.append(dims, dimsKey, { name: p.name, unit: p.unit, kind: kindOf(p.kind), scope: scopeOf(p.scope), tags: p.tags, t, v: p.value }, now)]++;
    }
  }
  return counts;
}
