import type { FastifyInstance, FastifyRequest } from "fastify";
import { authorize, GantryError, RESOURCES, type Requirement } from "@gantry/platform";

/**
 * How one HTTP route is authorised. Every route declares one (the gateway refuses to start with
 * a route that does not; `route-access.test.ts` checks the table against the services):
 *
 * - `public`: anyone, without credentials (liveness only);
 * - `gateway`: what the gateway itself serves, checked here before the handler;
 * - `backend`: the route only calls these gRPC methods with the caller's credentials, and each
 *   one's rule (its service's `bindService` permissions) decides, so there is one rule per
 *   permission, not a copy of it here. Lists among them show only what the caller may read.
 */
export type RouteAccess = { public: true } | { gateway: (request: FastifyRequest) => Requirement } | { backend: readonly string[] };

const registry = (...methods: string[]) => methods.map((m) => `gantry.registry.v1.RegistryService/${m}`);
const scheduler = (...methods: string[]) => methods.map((m) => `gantry.scheduler.v1.SchedulerService/${m}`);
const logs = (...methods: string[]) => methods.map((m) => `gantry.logs.v1.LogsService/${m}`);
const anyAuthenticated = { gateway: () => [] };
const metrics = (...methods: string[]) => methods.map((m) => `gantry.metrics.v1.MetricsService/${m}`);

/** Every route of the HTTP API, by `METHOD url` as registered. */
export const ROUTE_ACCESS: Readonly<Record<string, RouteAccess>> = {
  "GET /ping": { public: true },
  "POST /acs/api/v1/auth/login": { public: true },
  "GET /v2/info": anyAuthenticated,
  "GET /v2/leader": anyAuthenticated,
  "GET /v2/schemas/app": anyAuthenticated,
  "GET /v2/events": { gateway: () => ({ resource: RESOURCES.events, action: "read" }) },

  "GET /v2/apps": { backend: [...registry("ListApps", "ListDeployments"), ...scheduler("ListTasks", "ListTaskCounts", "ListTaskFailures")] },
  "POST /v2/apps": { backend: registry("CreateApp") },
  "PUT /v2/apps": { backend: registry("UpdateApps") },
  "PATCH /v2/apps": { backend: registry("UpdateApps") },
  "GET /v2/apps/*": { backend: [...registry("ListApps", "GetApp", "ListAppVersions", "GetAppVersion", "ListDeployments"), ...scheduler("ListTasks", "ListTaskFailures")] },
  "PUT /v2/apps/*": { backend: registry("UpdateApp") },
  "PATCH /v2/apps/*": { backend: registry("UpdateApp") },
  "POST /v2/apps/*": { backend: registry("RestartApp") },
  "DELETE /v2/apps/*": { backend: [...registry("DeleteApp", "GetApp", "KillAndScale"), ...scheduler("ListTasks", "KillTasks")] },

  "HEAD /v2/pods": anyAuthenticated,
  "POST /v2/pods": { backend: registry("CreatePod") },
  "GET /v2/pods": { backend: registry("ListPods") },
  "GET /v2/pods/*": { backend: [...registry("GetPod", "ListPods", "ListPodVersions", "GetPodVersion"), ...scheduler("ListTasks")] },
  "PUT /v2/pods/*": { backend: registry("UpdatePod") },
  "DELETE /v2/pods/*": { backend: [...registry("DeletePod", "GetPod", "KillAndScale"), ...scheduler("ListTasks", "KillTasks")] },

  "GET /v2/groups": { backend: [...registry("GetGroup", "ListGroupVersions", "GetGroupVersion"), ...scheduler("ListTasks", "ListTaskCounts")] },
  "GET /v2/groups/*": { backend: [...registry("GetGroup", "ListGroupVersions", "GetGroupVersion"), ...scheduler("ListTasks", "ListTaskCounts")] },
  "POST /v2/groups": { backend: registry("CreateGroup") },
  "POST /v2/groups/*": { backend: registry("CreateGroup") },
  "PUT /v2/groups": { backend: registry("UpdateGroup") },
  "PUT /v2/groups/*": { backend: registry("UpdateGroup") },
  "DELETE /v2/groups": { backend: registry("DeleteGroup") },
  "DELETE /v2/groups/*": { backend: registry("DeleteGroup") },

  "GET /v2/deployments": { backend: [...registry("ListDeployments", "GetApp"), ...scheduler("ListTasks")] },
  "DELETE /v2/deployments/:id": { backend: registry("CancelDeployment") },
  "GET /v2/queue": { backend: [...scheduler("ListQueue", "ListTasks", "ListTaskCounts", "ListTaskFailures"), ...registry("GetApp", "GetPod", "ListDeployments")] },
  "DELETE /v2/queue/*": { backend: scheduler("ResetLaunchDelay") },
  "GET /v2/tasks": { backend: scheduler("ListTasks") },
  "POST /v2/tasks/delete": { backend: [...scheduler("ListTasks", "KillTasks"), ...registry("KillAndScale")] },
  // Exec over WebSocket (exec-websocket.routes.ts): the exec router checks gantry:tasks:exec on the task's app, as for gRPC Exec (refusals recorded).
  "GET /v2/tasks/:taskId/exec": anyAuthenticated,

  // dcos-log v1 (logs.routes.ts): the logs service decides (task output: gantry:logs:read on the app; node logs: gantry:nodes).
  "GET /system/v1/logs/v1/range/": { backend: logs("QueryLogs") },
  "GET /system/v1/logs/v1/range/framework/:frameworkId/executor/:executorId/container/:containerId": { backend: logs("QueryLogs") },
  "GET /system/v1/logs/v1/stream/": { backend: logs("QueryLogs", "FollowLogs") },
  "GET /system/v1/logs/v1/stream/framework/:frameworkId/executor/:executorId/container/:containerId": { backend: logs("QueryLogs", "FollowLogs") },
  "GET /system/v1/agent/:agentId/logs/v1/range/": { backend: logs("QueryLogs") },
  "GET /system/v1/agent/:agentId/logs/v1/range/framework/:frameworkId/executor/:executorId/container/:containerId": { backend: logs("QueryLogs") },
  "GET /system/v1/agent/:agentId/logs/v1/stream/": { backend: logs("QueryLogs", "FollowLogs") },
  "GET /system/v1/agent/:agentId/logs/v1/stream/framework/:frameworkId/executor/:executorId/container/:containerId": { backend: logs("QueryLogs", "FollowLogs") },
  "GET /system/v1/metrics/v0/ping": anyAuthenticated,
  "GET /system/v1/metrics/v0/node": { backend: metrics("Latest") },
  "GET /system/v1/metrics/v0/containers": { backend: metrics("ListContainers") },
  "GET /system/v1/metrics/v0/containers/:id": { backend: metrics("Latest") },
  "GET /system/v1/metrics/v0/containers/:id/app": { backend: metrics("Latest") },
  "GET /system/v1/metrics/v0/containers/:id/app/:metric": { backend: metrics("Latest") },
  "GET /system/v1/agent/:agentId/metrics/v0/ping": anyAuthenticated,
  "GET /system/v1/agent/:agentId/metrics/v0/node": { backend: metrics("Latest") },
  "GET /system/v1/agent/:agentId/metrics/v0/containers": { backend: metrics("ListContainers") },
  "GET /system/v1/agent/:agentId/metrics/v0/containers/:id": { backend: metrics("Latest") },
  "GET /system/v1/agent/:agentId/metrics/v0/containers/:id/app": { backend: metrics("Latest") },
  "GET /system/v1/agent/:agentId/metrics/v0/containers/:id/app/:metric": { backend: metrics("Latest") },
  "GET /metrics": { backend: metrics("Latest") },
};

/** The access of `METHOD url` (a HEAD fastify adds to a GET has the GET's); undefined for a route nobody declared. */
export function accessOf(method: string, url: string): RouteAccess | undefined {
  return ROUTE_ACCESS[`${method} ${url}`] ?? (method === "HEAD" ? ROUTE_ACCESS[`GET ${url}`] : undefined);
}

/**
 * Makes every route carry its declared access: registering one without a declaration fails
 * (the gateway does not start), and routes served by the gateway itself are checked before
 * their handler (refusals logged with principal, action and resource).
 */
export function enforceRouteAccess(app: FastifyInstance): void {
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      const access = accessOf(method, route.url);
      if (!access) throw new Error(`HTTP route ${method} ${route.url} declares no access: add it to ROUTE_ACCESS (route-access.ts)`);
      if (!("gateway" in access)) continue;
      const check = async (request: FastifyRequest) => {
        try {
          authorize(request.principal!, access.gateway(request));
        } catch (err) {
          if (err instanceof GantryError) request.log.warn({ principal: request.principal?.name, denied: err.details }, "permission denied");
          throw err;
        }
      };
      route.preHandler = [check, ...[route.preHandler ?? []].flat()];
    }
  });
}

/** Whether anyone may call `path` without credentials (the authentication hook asks). */
export function isPublicRoute(method: string, path: string): boolean {
  const access = accessOf(method, path);
  return access !== undefined && "public" in access;
}
