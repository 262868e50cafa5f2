import { onApps, type Action, type Permission, type Permissions } from "@gantry/platform";
import type { registryV1 } from "@gantry/proto";
import type { RegistryQueries } from "../app/registry.queries.ts";
import { canonicalPath } from "../domain/index.ts";
import { onSecret } from "../secrets/secret-service.grpc.ts";

/** `gantry:apps` at the canonical path of `id` (the root for an empty or unreadable one). */
export function appsAt(action: Action, id: unknown, base = "/"): Permission {
  return onApps(action, typeof id === "string" && id !== "" ? canonicalPath(id, base) : canonicalPath(base));
}

/**
 * What each RegistryService method requires. Apps, pods and groups share `gantry:apps` at their
 * path (a group is the subtree of what it holds); a deployment is changed through the apps and
 * pods it affects; lists require nothing and show what the caller may read (see the handlers).
 */
/**
 * `gantry:secrets:<source> read` for every secret source a definition (an app, a pod, or a group
 * with its apps, pods and groups) names: using a secret in a task is reading it, so a team's
 * app cannot carry another team's secret into its environment.
 */
function secretReads(definition: unknown): Permission[] {
  const out: Permission[] = [];
  const walk = (d: unknown) => {
    if (d === null || typeof d !== "object") return;
    const o = d as Record<string, unknown>;
    if (o.secrets !== null && typeof o.secrets === "object") {
      for (const s of Object.values(o.secrets as Record<string, unknown>)) {
        const source = (s as { source?: unknown } | null)?.source;
        if (typeof source === "string" && source !== "") out.push(onSecret("read", source));
      }
    }
    for (const key of ["apps", "pods", "groups"]) if (Array.isArray(o[key])) (o[key] as unknown[]).forEach(walk);
  };
  walk(definition);
  return out;
}

export function registryPermissions(queries: RegistryQueries): Permissions<typeof registryV1.RegistryService> {
  const none = () => [];
  /** The apps and pods a running or past deployment affects (the root when it is unknown: the handler answers NotFound to those who may see it). */
  const deploymentTargets = (id: string, action: Action): Permission[] => {
    const found = queries.findDeployment(id);
    const targets = found ? [...found.affectedApps, ...found.affectedPods] : [];
    return targets.length > 0 ? targets.map((runSpec) => appsAt(action, runSpec)) : [appsAt(action, "/")];
  };
  return {
    createApp: (r) => [appsAt("create", r.definition?.id), ...secretReads(r.definition)],
    updateApp: (r) => [appsAt("update", r.id), ...secretReads(r.definition)],
    updateApps: (r) => r.definitions.flatMap((d) => [appsAt("update", d.id), ...secretReads(d)]),
    getApp: (r) => appsAt("read", r.id),
    listApps: none,
    listAppVersions: (r) => appsAt("read", r.id),
    getAppVersion: (r) => appsAt("read", r.id),
    deleteApp: (r) => appsAt("delete", r.id),
    restartApp: (r) => appsAt("update", r.id),

    createPod: (r) => [appsAt("create", r.definition?.id), ...secretReads(r.definition)],
    updatePod: (r) => [appsAt("update", r.id), ...secretReads(r.definition)],
    getPod: (r) => appsAt("read", r.id),
    listPods: none,
    listPodVersions: (r) => appsAt("read", r.id),
    getPodVersion: (r) => appsAt("read", r.id),
    deletePod: (r) => appsAt("delete", r.id),

    getGroup: (r) => appsAt("read", r.id),
    createGroup: (r) => [appsAt("create", r.definition?.id, r.parentId || "/"), ...secretReads(r.definition)],
    updateGroup: (r) => [appsAt(r.dryRun ? "read" : "update", r.id), ...secretReads(r.definition)],
    deleteGroup: (r) => appsAt("delete", r.id),
    listGroupVersions: (r) => appsAt("read", r.id),
    getGroupVersion: (r) => appsAt("read", r.id),

    listDeployments: none,
    getDeployment: (r) => deploymentTargets(r.id, "read"),
    cancelDeployment: (r) => deploymentTargets(r.id, "update"),
    killAndScale: (r) => r.runSpecs.map((s) => appsAt("update", s.id)),
  };
}
