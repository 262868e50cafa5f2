import { canonicalId } from "./request-params.ts";

/**
 * Parsing of the wildcard part of Marathon's resource paths. Ids contain slashes, so fastify
 * routes `/v2/apps/*` (and pods, groups) to one handler per method, and these functions tell
 * which resource the rest of the path names, with Marathon's own precedence (its JAX-RS regexes):
 * a known suffix wins, so an app literally named `/x/versions` cannot be addressed, as in Marathon.
 */

/** What a `/v2/apps/<rest>` path names. */
export type AppsTarget =
  | { kind: "app"; id: string }
  | { kind: "versions"; id: string }
  | { kind: "version"; id: string; version: string }
  | { kind: "restart"; id: string }
  | { kind: "tasks"; id: string }
  | { kind: "task"; id: string; taskId: string }
  /** `/v2/apps/<group>/*`: the apps at or below a group. */
  | { kind: "group-apps"; id: string };

const APP_RULES: Array<[AppsTarget["kind"], RegExp]> = [
  ["group-apps", /^(.*)\/\*$/],
  ["version", /^(.+)\/versions\/([^/]+)$/],
  ["versions", /^(.+)\/versions$/],
  ["restart", /^(.+)\/restart$/],
  ["task", /^(.+)\/tasks\/([^/]+)$/],
  ["tasks", /^(.+)\/tasks$/],
];

/**
 * The resource a `/v2/apps/<rest>` path names, considering only the suffix kinds in `allowed`
 * (those the HTTP method has); anything else names the app `rest` itself.
 */
export function parseAppsPath(rest: string, allowed: ReadonlyArray<AppsTarget["kind"]>): AppsTarget {
  const path = rest.replace(/\/+$/, "") === "*" ? "/*" : rest.replace(/\/+$/, "");
  for (const [kind, re] of APP_RULES) {
    if (!allowed.includes(kind)) continue;
    const m = re.exec(path);
    if (!m) continue;
    const id = canonicalId(m[1]!);
    if (kind === "version") return { kind, id, version: m[2]! };
    if (kind === "task") return { kind, id, taskId: m[2]! };
    return { kind, id } as AppsTarget;
  }
  return { kind: "app", id: canonicalId(path) };
}

/** What a `/v2/pods/<rest>` path names. */
export type PodsTarget =
  | { kind: "pod"; id: string }
  /** `/v2/pods/::status`: the status of every pod. */
  | { kind: "all-status" }
  | { kind: "status"; id: string }
  | { kind: "versions"; id: string }
  | { kind: "version"; id: string; version: string }
  | { kind: "instances"; id: string }
  | { kind: "instance"; id: string; instanceId: string };

/** The resource a `/v2/pods/<rest>` path names (Marathon's `{id}::status`, `{id}::versions[/{v}]`, `{id}::instances[/{i}]`). */
export function parsePodsPath(rest: string): PodsTarget {
  if (rest === "::status") return { kind: "all-status" };
  let m = /^(.+)::status$/.exec(rest);
  if (m) return { kind: "status", id: canonicalId(m[1]!) };
  m = /^(.+)::versions\/([^/]+)$/.exec(rest);
  if (m) return { kind: "version", id: canonicalId(m[1]!), version: m[2]! };
  m = /^(.+)::versions$/.exec(rest);
  if (m) return { kind: "versions", id: canonicalId(m[1]!) };
  m = /^(.+)::instances\/([^/]+)$/.exec(rest);
  if (m) return { kind: "instance", id: canonicalId(m[1]!), instanceId: m[2]! };
  m = /^(.+)::instances$/.exec(rest);
  if (m) return { kind: "instances", id: canonicalId(m[1]!) };
  return { kind: "pod", id: canonicalId(rest) };
}

/** What a `/v2/groups/<rest>` path names (GET only; other methods take the whole rest as the group id). */
export type GroupsTarget =
  | { kind: "group"; id: string }
  | { kind: "apps"; id: string }
  | { kind: "versions"; id: string }
  | { kind: "version"; id: string; version: string };

/** The resource a GET `/v2/groups/<rest>` names, by Marathon's `GroupsResource` path matchers. */
export function parseGroupsPath(rest: string): GroupsTarget {
  const path = rest.replace(/^\/+|\/+$/g, "");
  let m = /^((?:.+\/)|)apps$/.exec(path);
  if (m) return { kind: "apps", id: canonicalId(m[1]!) };
  m = /^(?:(.+)\/)?versions\/([^/]+)$/.exec(path);
  if (m) return { kind: "version", id: canonicalId(m[1] ?? ""), version: m[2]! };
  m = /^(?:(.+)\/)?versions$/.exec(path);
  if (m) return { kind: "versions", id: canonicalId(m[1] ?? "") };
  return { kind: "group", id: canonicalId(path) };
}

/**
 * The run spec id a `/v2/queue/<rest>` path names for its launch delay (Marathon's
 * `{appId:.+}/delay`), or undefined when the path is anything else.
 */
export function parseQueueDelayPath(rest: string): string | undefined {
  const m = /^(.+)\/delay\/*$/.exec(rest);
  if (!m || m[1]!.replace(/\//g, "") === "") return undefined;
  return canonicalId(m[1]!);
}
