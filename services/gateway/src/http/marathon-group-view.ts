import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { marathonAppFromDefinition, resolveAppEmbeds, type AppEmbeds, type AppRuntime } from "./marathon-app-view.ts";

/** What a group view includes: which members, and which app embeds for its apps. */
export interface GroupEmbeds {
  apps: boolean;
  pods: boolean;
  groups: boolean;
  /** Embeds of each app (`group.apps.tasks`, …); none by default, as Marathon. */
  app: AppEmbeds;
}

/**
 * The embeds of `GET /v2/groups[/{id}]` as Marathon's `resolveAppGroup` reads them: with no
 * `embed`, apps + pods + groups; otherwise exactly the named members (`group.apps`, `group.pods`,
 * `group.groups`), and `group.apps.<x>` embeds for the apps (which also imply `group.apps`).
 */
export function resolveGroupEmbeds(requested: Set<string>): GroupEmbeds {
  const known = [...requested].filter((e) => e.startsWith("group."));
  if (known.length === 0) return { apps: true, pods: true, groups: true, app: resolveAppEmbeds([]) };
  const appEmbeds = known.filter((e) => e.startsWith("group.apps.")).map((e) => "apps." + e.slice("group.apps.".length));
  return {
    apps: known.includes("group.apps") || appEmbeds.length > 0,
    pods: known.includes("group.pods"),
    groups: known.includes("group.groups"),
    app: resolveAppEmbeds(appEmbeds),
  };
}

function asObjects(value: JsonValue | undefined): JsonObject[] {
  return Array.isArray(value) ? (value.filter((v) => v !== null && typeof v === "object" && !Array.isArray(v)) as JsonObject[]) : [];
}

/**
 * Marathon's group JSON (`GroupInfo`) from the registry's group: `id`, `version`,
 * `dependencies`, and only the embedded members; sub-groups are shaped the same way,
 * recursively, and apps get the requested app embeds from `runtime`.
 */
export function marathonGroup(group: JsonObject, embeds: GroupEmbeds, runtime: AppRuntime): JsonObject {
  const view: JsonObject = {};
  for (const [key, value] of Object.entries(group)) {
    if (key !== "apps" && key !== "pods" && key !== "groups") view[key] = value;
  }
  if (!Array.isArray(view.dependencies)) view.dependencies = [];
  if (embeds.apps) {
    const anyAppEmbed = Object.values(embeds.app).some(Boolean);
    view.apps = asObjects(group.apps).map((a) => (anyAppEmbed ? marathonAppFromDefinition(a, undefined, runtime, embeds.app) : a));
  }
  if (embeds.pods) view.pods = asObjects(group.pods);
  if (embeds.groups) view.groups = asObjects(group.groups).map((g) => marathonGroup(g, embeds, runtime));
  return view;
}
