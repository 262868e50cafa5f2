import type { FastifyInstance } from "fastify";
import type { Backends } from "../backends.ts";
import { callerMetadata } from "./caller.ts";
import { sendDeploymentResult } from "./deployment-result.ts";
import { readinessResults } from "./marathon-app-view.ts";
import { marathonDeployment } from "./marathon-deployment-view.ts";
import { booleanParam, type Query } from "./request-params.ts";

/**
 * Marathon's `/v2/deployments`: GET lists the running deployments; DELETE `/{id}` cancels one,
 * by default with a rollback deployment (200 `{deploymentId, version}` + header), with
 * `force=true` only stopping it (202, no body). Unknown ids are the registry's 404.
 */
export function registerDeploymentRoutes(app: FastifyInstance, backends: Backends): void {
  app.get("/v2/deployments", async (request) => {
    const call = callerMetadata(request);
    const { deployments } = await backends.registry.listDeployments({}, call);
    // Readiness of the apps the current steps act on (only those with readiness checks have results).
    const acting = [...new Set(deployments.flatMap((d) => d.currentActions.map((a) => a.app).filter((id) => id !== "")))];
    const views = await Promise.all(acting.map(async (appId) => {
      const [app, { tasks }] = await Promise.all([backends.registry.getApp({ id: appId }, call).then((r) => r.app, () => undefined), backends.scheduler.listTasks({ appId }, call)]);
      return [appId, app ? readinessResults({ ...(app.definition ?? {}) }, tasks) : []] as const;
    }));
    const byApp = new Map(views);
    return deployments.map((d) => marathonDeployment(d, (appId) => byApp.get(appId) ?? []));
  });

  app.delete("/v2/deployments/:id", async (request, reply) => {
    const { id } = request.params as { id: string };
    const force = booleanParam(request.query as Query, "force", false);
    const result = await backends.registry.cancelDeployment({ id, force }, callerMetadata(request));
    if (force) return reply.code(202).send();
    return sendDeploymentResult(reply, result.rollback);
  });
}
