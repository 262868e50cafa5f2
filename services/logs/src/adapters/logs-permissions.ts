import { authorize, onPath, RESOURCES, type CallContext, type Permission, type Permissions } from "@gantry/platform";
import type { logsV1 } from "@gantry/proto";
import type { LogSelection } from "../domain/log-query.ts";
import type { LogStore } from "./log-store.postgres.ts";

const NODES_READ: Permission = { resource: RESOURCES.nodes, action: "read" };
const logsOn = (path: string): Permission => onPath(RESOURCES.logs, "read", path);

/** Whether a filter can only match structured component logs (never task output). */
const componentOnly = (f: { component: string; stream: string }) => f.component !== "" || f.stream === "log";

/**
 * What each LogsService method requires before it runs, from the request alone:
 * - a filter naming an app: `gantry:logs:read` on the app's path (task output is the app's);
 * - a filter naming a component, or an agent without a task/instance: `gantry:nodes` read (node
 *   and control-plane logs are the cluster's, like the agents themselves);
 * - a filter naming only a task or instance: nothing here; the handler finds the task's app
 *   and requires `gantry:logs:read` on it (see `authorizeSelection`).
 */
export function logsPermissions(): Permissions<typeof logsV1.LogsService> {
  const rule = (r: { filter?: logsV1.LogFilter }) => {
    const f = r.filter;
    if (!f) return [];
    if (f.appId) return logsOn(f.appId);
    if (componentOnly(f) || (f.agentId && !f.taskId && !f.instanceId && !f.taskIdPrefix)) return NODES_READ;
    return [];
  };
  return { queryLogs: rule, followLogs: rule };
}

/**
 * The checks a filter needs beyond its method rule (which has passed): the app of a named task or
 * instance (looked up in stored lines; unknown: the root), and for filters that reach every app's
 * task output (none named, or only an agent), `gantry:logs:read` on the root. Throws
 * PermissionDenied naming the permission.
 */
export async function authorizeSelection(ctx: CallContext, s: LogSelection, store: LogStore): Promise<void> {
  if (s.appId !== undefined) return;
  if (s.component !== undefined || s.stream === "log") {
    authorize(ctx.principal, NODES_READ);
    return;
  }
  if (s.taskId !== undefined) {
    authorize(ctx.principal, logsOn((await store.appOfTask(s.taskId)) ?? "/"));
    return;
  }
  if (s.instanceId !== undefined) {
    authorize(ctx.principal, logsOn((await store.appOfInstance(s.instanceId)) ?? "/"));
    return;
  }
  authorize(ctx.principal, logsOn("/"));
  if (s.agentId === undefined) authorize(ctx.principal, NODES_READ);
}
