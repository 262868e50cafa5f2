import { onPath, RESOURCES, isAllowed, type Permission, type Permissions, type Principal } from "@gantry/platform";
import type { metricsV1 } from "@gantry/proto";
import type { SeriesMeta } from "../domain/sample.ts";
import type { SeriesStore } from "../domain/series-store.ts";

/** `gantry:metrics:read` on an app's (or pod's) path. */
export const readMetricsOf = (appId: string): Permission => onPath(RESOURCES.metrics, "read", appId);
/** `gantry:nodes` read: node, GPU and control-plane metrics. */
export const READ_NODES: Permission = { resource: RESOURCES.nodes, action: "read" };

/** What reading one series requires: its app's metrics for task series, nodes read for the rest. */
export function permissionForSeries(meta: Pick<SeriesMeta, "scope" | "dims">): Permission {
  return (meta.scope === "container" || meta.scope === "app") && meta.dims.appId ? readMetricsOf(meta.dims.appId) : READ_NODES;
}

/** A per-call check of series visibility, asking once per distinct requirement. */
export function seriesVisibility(principal: Principal): (meta: Pick<SeriesMeta, "scope" | "dims">) => boolean {
  const known = new Map<string, boolean>();
  return (meta) => {
    const p = permissionForSeries(meta);
    const key = `${p.resource}:${p.path ?? ""}`;
    let may = known.get(key);
    if (may === undefined) known.set(key, (may = isAllowed(principal, p)));
    return may;
  };
}

/**
 * What each MetricsService method requires before it runs. A selector naming an app requires
 * `gantry:metrics:read` on the app's path; one naming a task, on the path of the task's app (a
 * task the store does not know requires nothing and finds nothing). Other selectors require
 * nothing up front: the handlers return only the series the caller may read (task and app series:
 * metrics read on their app; node, GPU and control-plane series: `gantry:nodes` read).
 */
export function metricsPermissions(store: SeriesStore): Permissions<typeof metricsV1.MetricsService> {
  const ofSelector = (sel: metricsV1.Selector | undefined): Permission[] => {
    if (sel?.appId) return [readMetricsOf(sel.appId)];
    if (sel?.taskId) {
      const appId = store.select({ taskId: sel.taskId })[0]?.meta.dims.appId;
      return appId ? [readMetricsOf(appId)] : [];
    }
    return [];
  };
  return {
    latest: (r) => ofSelector(r.selector),
    range: (r) => ofSelector(r.selector),
    aggregateApp: (r) => readMetricsOf(r.appId),
    listContainers: () => [],
  };
}
