import type { JsonObject } from "@bufbuild/protobuf";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { registryV1App } from "@gantry/proto";
import { GantryError } from "@gantry/platform";
import type { Backends } from "../backends.ts";
import { appById, fetchAppsAndRuntime } from "./app-runtime.ts";
import { askerOf } from "./held-answers.ts";
import { callerMetadata } from "./caller.ts";
import { locationOf, sendDeploymentResult } from "./deployment-result.ts";
import { APP_DETAIL_EMBEDS, marathonApp, needsTasks, NO_RUNTIME, resolveAppEmbeds, type AppEmbeds, type AppRuntime } from "./marathon-app-view.ts";
import { marathonTask } from "./marathon-task-view.ts";
import { booleanParam, embedParam, requireArrayOfObjects, requireObjectBody, stringParam, type Query } from "./request-params.ts";
import { sendRendered, type Reads } from "./reads.ts";
import { parseAppsPath } from "./resource-paths.ts";
import { killOptions, killTasks } from "./task-kills.ts";

function restOf(request: FastifyRequest): string {
  return (request.params as { "*": string })["*"];
}

function query(request: FastifyRequest): Query {
  return request.query as Query;
}

/**
 * Marathon's `/v2/apps` endpoints: desired state from the registry, tasks from the scheduler.
 * Every change forwards the caller's credentials (`callerMetadata`) and `force`; a change answers
 * `{deploymentId, version}` with the `Marathon-Deployment-Id` header (201 + `Location` and the app
 * itself for POST, as Marathon does).
 */
export function registerAppRoutes(app: FastifyInstance, backends: Backends, reads: Reads): void {
  /** A list of app views, rendered once per change of the apps or of their runtime. */
  const appsBody = (name: string, apps: readonly registryV1App.AppVersion[], runtime: AppRuntime, embeds: AppEmbeds, shape: (views: JsonObject[]) => object) =>
    reads.bodies.get(`${name} ${JSON.stringify(embeds)}`, [apps, ...runtimeInputs(runtime)], () => shape(apps.map((a) => marathonApp(a, runtime, embeds))));

  app.get("/v2/apps", async (request, reply) => {
    const q = query(request);
    const filters = { id: stringParam(q, "id"), cmd: stringParam(q, "cmd"), label: stringParam(q, "label") };
    const embeds = resolveAppEmbeds(embedParam(q), { counts: true, deployments: true });
    const { apps, runtime } = await fetchAppsAndRuntime(reads.held, askerOf(request), filters, { tasks: needsTasks(embeds) });
    return sendRendered(reply, appsBody(`apps ${JSON.stringify(filters)}`, apps, runtime, embeds, (views) => ({ apps: views })));
  });

  app.post("/v2/apps", async (request, reply) => {
    const definition = requireObjectBody(request.body);
    const created = await backends.registry.createApp({ definition, force: booleanParam(query(request), "force", false) }, callerMetadata(request));
    const view = marathonApp(created.app!, NO_RUNTIME, resolveAppEmbeds([], { counts: true, deployments: true, tasks: true }));
    view.deployments = [{ id: created.deploymentId }];
    return reply
      .code(201)
      .header("Location", locationOf("/v2/apps", created.app!.id))
      .header("Marathon-Deployment-Id", created.deploymentId)
      .send(view);
  });

  // Batch create/update: PUT (partialUpdate, default true) and PATCH (always partial), one deployment.
  const batch = (partialDefault: boolean | "always") => async (request: FastifyRequest, reply: FastifyReply) => {
    const definitions = requireArrayOfObjects(request.body);
    const q = query(request);
    const partial = partialDefault === "always" ? true : booleanParam(q, "partialUpdate", partialDefault);
    const result = await backends.registry.updateApps({ definitions, partial, force: booleanParam(q, "force", false) }, callerMetadata(request));
    return sendDeploymentResult(reply, result.deployment);
  };
  app.put("/v2/apps", batch(true));
  app.patch("/v2/apps", batch("always"));

  app.get("/v2/apps/*", async (request, reply) => {
    const q = query(request);
    const call = callerMetadata(request);
    const target = parseAppsPath(restOf(request), ["group-apps", "version", "versions", "tasks"]);
    switch (target.kind) {
      case "group-apps": {
        const embeds = resolveAppEmbeds(embedParam(q), { counts: true, deployments: true });
        const { apps, runtime } = await fetchAppsAndRuntime(reads.held, askerOf(request), { group: target.id }, { tasks: needsTasks(embeds) });
        return sendRendered(reply, appsBody(`group-apps ${target.id}`, apps, runtime, embeds, (views) => ({ "*": views })));
      }
      case "versions": {
        const { versions } = await backends.registry.listAppVersions({ id: target.id }, call);
        return { versions };
      }
      case "version": {
        // Marathon answers the bare definition at that version (no runtime fields).
        const { app: found } = await backends.registry.getAppVersion({ id: target.id, version: target.version }, call);
        return { ...(found!.definition ?? {}), id: found!.id, version: found!.version };
      }
      case "tasks": {
        const [, { tasks }] = await Promise.all([backends.registry.getApp({ id: target.id }, call), backends.scheduler.listTasks({ appId: target.id }, call)]);
        return { tasks: tasks.filter((t) => t.appId === target.id).map(marathonTask) };
      }
      default: {
        // The app from the whole listing for a caller who may read every app (versioned, one held
        // answer for every app's GET), else from a list filtered by its id; the registry's GetApp
        // only when the list lacks it, for its NotFound (or a non-canonical id).
        const asker = askerOf(request);
        const { apps: listed, runtime } = await fetchAppsAndRuntime(reads.held, asker, asker.readsAll ? {} : { id: target.id });
        const found = appById(listed, target.id) ?? (await backends.registry.getApp({ id: target.id }, call)).app!;
        const embeds = resolveAppEmbeds(embedParam(q), APP_DETAIL_EMBEDS);
        const body = reads.appBodies.get(`app ${found.id} ${JSON.stringify(embeds)}`, [found, ...runtimeInputs(runtime)], () => ({ app: marathonApp(found, runtime, embeds) }));
        return sendRendered(reply, body);
      }
    }
  });

  // PUT /v2/apps/{id}: partialUpdate (default true) = PATCH semantics; the body's id is ignored.
  const update = (partialDefault: boolean | "always") => async (request: FastifyRequest, reply: FastifyReply) => {
    const target = parseAppsPath(restOf(request), []);
    const definition = { ...requireObjectBody(request.body), id: target.id };
    const q = query(request);
    const partial = partialDefault === "always" ? true : booleanParam(q, "partialUpdate", partialDefault);
    const result = await backends.registry.updateApp({ id: target.id, definition, partial, force: booleanParam(q, "force", false) }, callerMetadata(request));
    const ref = { deploymentId: result.deploymentId, version: result.app?.version ?? "" };
    return result.created ? sendDeploymentResult(reply, ref, { status: 201, location: locationOf("/v2/apps", target.id) }) : sendDeploymentResult(reply, ref);
  };
  app.put("/v2/apps/*", update(true));
  app.patch("/v2/apps/*", update("always"));

  app.post("/v2/apps/*", async (request, reply) => {
    const target = parseAppsPath(restOf(request), ["restart"]);
    if (target.kind !== "restart") throw notFound(request);
    const result = await backends.registry.restartApp({ id: target.id, force: booleanParam(query(request), "force", false) }, callerMetadata(request));
    return sendDeploymentResult(reply, result.deployment);
  });

  app.delete("/v2/apps/*", async (request, reply) => {
    const target = parseAppsPath(restOf(request), ["tasks", "task"]);
    if (target.kind === "tasks" || target.kind === "task") {
      const q = query(request);
      const options = killOptions(q);
      const call = callerMetadata(request);
      // The app must exist (404 with Marathon's message otherwise).
      await backends.registry.getApp({ id: target.id }, call);
      const { tasks } = await backends.scheduler.listTasks({ appId: target.id }, call);
      if (target.kind === "task") {
        const task = tasks.find((t) => t.taskId === target.taskId);
        if (!task) throw new GantryError("NotFound", `Task '${target.taskId}' does not exist`, { details: { taskId: target.taskId } });
        const result = await killTasks(backends, call, [task], options);
        if (result.kind === "deployment") return sendDeploymentResult(reply, result.deployment);
        return { task: marathonTask(result.tasks.find((t) => t.taskId === task.taskId) ?? task) };
      }
      const host = stringParam(q, "host");
      const chosen = tasks.filter((t) => host === "" || host === "*" || t.host === host);
      const result = await killTasks(backends, call, chosen, options, [target.id]);
      if (result.kind === "deployment") return sendDeploymentResult(reply, result.deployment);
      return { tasks: result.tasks.map(marathonTask) };
    }
    // Marathon's one exception: DELETE /v2/apps/{id} is forced unless told otherwise.
    const result = await backends.registry.deleteApp({ id: target.id, force: booleanParam(query(request), "force", true) }, callerMetadata(request));
    return sendDeploymentResult(reply, result);
  });
}

/** The parts of a runtime a view is built from (same objects = same view). */
function runtimeInputs(runtime: AppRuntime): unknown[] {
  return [runtime.tasks, runtime.counts, runtime.deployments, runtime.failures];
}

function notFound(request: FastifyRequest): GantryError {
  return new GantryError("NotFound", `Resource not found: ${request.method} ${request.url.split("?")[0]}`);
}
