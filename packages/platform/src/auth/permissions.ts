/**
 * Gantry's permission model. A permission is a resource id and an action:
 *
 *   gantry:apps[:/path]            apps, pods, groups, their deployments, tasks and queue entries
 *   gantry:tasks:exec[:/path]      a shell in the tasks of apps and pods under the path
 *   gantry:logs:read[:/path]       task logs of apps and pods under the path
 *   gantry:metrics:read[:/path]    task metrics of apps and pods under the path
 *   gantry:secrets[:/path]         secrets under the path (values are never read back: read lists them, and lets an app use them)
 *   gantry:nodes                   agents: list, explain placements, drain
 *   gantry:events                  the cluster's event stream and parked bus messages
 *   gantry:iam                     users, groups, service accounts and grants
 *   gantry:superuser               everything
 *
 * with the actions `create`, `read`, `update`, `delete` and `full` (all four). A grant covers a
 * required permission when its resource is the same (or `gantry:superuser`), its action is the
 * same or `full`, and its path is the required path or an ancestor of it by whole segments
 * (`/team-a` covers `/team-a/web`, not `/team-ab`); a grant without a path covers every path.
 */

/** What a caller may do to a resource. */
export type Action = "create" | "read" | "update" | "delete" | "full";

export const ACTIONS: readonly Action[] = ["create", "read", "update", "delete", "full"];

/** The resource ids (without a path), each with what it guards. */
export const RESOURCES = {
  apps: "gantry:apps",
  tasksExec: "gantry:tasks:exec",
  logs: "gantry:logs:read",
  metrics: "gantry:metrics:read",
  secrets: "gantry:secrets",
  nodes: "gantry:nodes",
  events: "gantry:events",
  iam: "gantry:iam",
  superuser: "gantry:superuser",
} as const;

export type ResourceKind = (typeof RESOURCES)[keyof typeof RESOURCES];

/** The resources that take a path (`gantry:apps:/team-a`). */
const PATH_SCOPED: ReadonlySet<string> = new Set([RESOURCES.apps, RESOURCES.tasksExec, RESOURCES.logs, RESOURCES.metrics, RESOURCES.secrets]);

/** A permission a call needs, or one a principal was granted: resource, action and (for path-scoped resources) a path. */
export interface Permission {
  resource: ResourceKind;
  action: Action;
  /** Absolute path for path-scoped resources; absent = every path (in a grant) or the root (in a requirement). */
  path?: string;
}

/** Parses `gantry:apps:/team-a` into its resource and path; throws a message naming the problem. */
export function parseResourceId(id: string): { resource: ResourceKind; path?: string } {
  const colonSlash = id.indexOf(":/");
  const resource = colonSlash < 0 ? id : id.slice(0, colonSlash);
  const path = colonSlash < 0 ? undefined : normalisePath(id.slice(colonSlash + 1));
  if (!(Object.values(RESOURCES) as string[]).includes(resource)) {
    throw new Error(`unknown resource "${resource}": expected one of ${Object.values(RESOURCES).join(", ")}`);
  }
  if (path !== undefined && !PATH_SCOPED.has(resource)) throw new Error(`resource "${resource}" takes no path`);
  return path === undefined || path === "/" ? { resource: resource as ResourceKind } : { resource: resource as ResourceKind, path };
}

/** The resource id of a permission, as operators write it (`gantry:apps:/team-a`). */
export function resourceIdOf(p: Pick<Permission, "resource" | "path">): string {
  return p.path && p.path !== "/" ? `${p.resource}:${p.path}` : p.resource;
}

/** Checks an action name; throws a message naming the problem. */
export function parseAction(action: string): Action {
  if (!(ACTIONS as readonly string[]).includes(action)) throw new Error(`unknown action "${action}": expected one of ${ACTIONS.join(", ")}`);
  return action as Action;
}

function normalisePath(path: string): string {
  const segments = path.split("/").filter((s) => s.length > 0);
  return `/${segments.join("/")}`;
}

/** A path-scoped permission: `resource` at an absolute path (the root when empty). */
export function onPath(resource: ResourceKind, action: Action, path = "/"): Permission {
  return { resource, action, path: normalisePath(path) };
}

/** `gantry:apps` at an absolute path of apps, pods or groups (the root when empty). */
export function onApps(action: Action, path = "/"): Permission {
  return onPath(RESOURCES.apps, action, path);
}

/** True when `grant` covers `required` (see the module comment). */
export function covers(grant: Permission, required: Permission): boolean {
  if (grant.resource === RESOURCES.superuser) return grant.action === "full" || grant.action === required.action;
  if (grant.resource !== required.resource) return false;
  if (grant.action !== "full" && grant.action !== required.action) return false;
  if (grant.path === undefined || grant.path === "/") return true;
  const path = required.path ?? "/";
  return path === grant.path || path.startsWith(`${grant.path}/`);
}

/** True when some grant covers `required`. */
export function permits(grants: readonly Permission[], required: Permission): boolean {
  return grants.some((g) => covers(g, required));
}

/** The permissions the built-in roles stand for: `admin` is a superuser, `viewer` reads apps, nodes, logs, metrics and events. */
export function grantsOfRoles(roles: readonly string[]): Permission[] {
  const grants: Permission[] = [];
  if (roles.includes("admin")) grants.push({ resource: RESOURCES.superuser, action: "full" });
  if (roles.includes("viewer")) {
    for (const resource of [RESOURCES.apps, RESOURCES.nodes, RESOURCES.logs, RESOURCES.metrics, RESOURCES.events]) grants.push({ resource, action: "read" });
  }
  return grants;
}
