import type { FastifyInstance, FastifyRequest } from "fastify";
import type { JsonObject } from "@bufbuild/protobuf";
import type { Backends } from "../backends.ts";
import { callerMetadata } from "./caller.ts";
import { marathonApp } from "./marathon-app-view.ts";

/** The app id addressed by a `/v2/apps/*` path, absolute and without a trailing slash. */
function appIdOf(request: FastifyRequest): string {
  const rest = (request.params as { "*": string })["*"];
  return "/" + rest.replace(/^\/+|\/+$/g, "");
}

function embedsTasks(request: FastifyRequest): boolean {
  const embed = (request.query as { embed?: string | string[] }).embed;
  const list = Array.isArray(embed) ? embed : embed ? [embed] : [];
  return list.some((e) => e === "apps.tasks" || e === "app.tasks");
}

/** Marathon's `/v2/apps` endpoints, answered from the registry (desired state) and the scheduler (tasks). */
export function registerAppRoutes(app: FastifyInstance, backends: Backends): void {
  app.get("/v2/apps", async (request) => {
    const call = callerMetadata(request);
    const [{ apps }, { tasks }] = await Promise.all([backends.registry.listApps({}, call), backends.scheduler.listTasks({}, call)]);
    return { apps: apps.map((a) => marathonApp(a, tasks, { embedTasks: embedsTasks(request) })) };
  });

  app.post("/v2/apps", async (request, reply) => {
    const call = callerMetadata(request);
    const definition = (request.body ?? {}) as JsonObject;
    const created = await backends.registry.createApp({ definition }, call);
    const view = marathonApp(created.app!, [], { embedTasks: false });
    view.deployments = [{ id: created.deploymentId }];
    view.tasks = [];
    return reply
      .code(201)
      .header("Location", `/v2/apps${created.app!.id}`)
      .header("Marathon-Deployment-Id", created.deploymentId)
      .send(view);
  });

  app.get("/v2/apps/*", async (request) => {
    const call = callerMetadata(request);
    const id = appIdOf(request);
    const [{ app: found }, { tasks }] = await Promise.all([backends.registry.getApp({ id }, call), backends.scheduler.listTasks({ appId: id }, call)]);
    return { app: marathonApp(found!, tasks, { embedTasks: true }) };
  });

  app.delete("/v2/apps/*", async (request, reply) => {
    const result = await backends.registry.deleteApp({ id: appIdOf(request) }, callerMetadata(request));
    return reply.header("Marathon-Deployment-Id", result.deploymentId).send({ deploymentId: result.deploymentId, version: result.version });
  });
}
