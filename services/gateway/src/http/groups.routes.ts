import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { GantryError } from "@gantry/platform";
import type { Backends } from "../backends.ts";
import { callerMetadata } from "./caller.ts";
import { locationOf, sendDeploymentResult } from "./deployment-result.ts";
import { marathonApp, NO_RUNTIME, resolveAppEmbeds, type AppRuntime } from "./marathon-app-view.ts";
import { marathonSteps } from "./marathon-deployment-view.ts";
import { marathonGroup, resolveGroupEmbeds } from "./marathon-group-view.ts";
import { booleanParam, canonicalId, embedParam, requireObjectBody, type Query } from "./request-params.ts";
import { parseGroupsPath } from "./resource-paths.ts";

function restOf(request: FastifyRequest): string {
  return (request.params as { "*"?: string })["*"] ?? "";
}

function query(request: FastifyRequest): Query {
  return request.query as Query;
}

async function runtimeIf(needed: boolean, backends: Backends, request: FastifyRequest): Promise<AppRuntime> {
  if (!needed) return NO_RUNTIME;
  const call = callerMetadata(request);
  const [{ tasks }, { deployments }] = await Promise.all([backends.scheduler.listTasks({}, call), backends.registry.listDeployments({}, call)]);
  return { tasks, deployments };
}

/** Where a group posted under `parent` lands: its body id, resolved against `parent` when relative. */
export function effectiveGroupId(parent: string, bodyId: unknown): string {
  if (typeof bodyId !== "string" || bodyId === "") return parent;
  return bodyId.startsWith("/") ? canonicalId(bodyId) : canonicalId(`${parent}/${bodyId}`);
}

function typeError(path: string, expected: string): GantryError {
  return new GantryError("InvalidArgument", "Invalid JSON", { details: { kind: "json" }, violations: [{ path, errors: [`error.expected.${expected}`] }] });
}

/**
 * Marathon's `/v2/groups` endpoints: GET (root or one group, with `embed`), `/{id}/apps`,
 * `/{id}/versions[/{v}]`, POST (201 + `Location`), PUT (update; body `{version}` rolls back,
 * `{scaleBy}` scales every app below; `dryRun=true` answers only the plan `{steps}`), DELETE.
 */
export function registerGroupRoutes(app: FastifyInstance, backends: Backends): void {
  const get = async (request: FastifyRequest) => {
    const call = callerMetadata(request);
    const embed = embedParam(query(request));
    const target = parseGroupsPath(restOf(request));
    switch (target.kind) {
      case "apps": {
        const embeds = resolveAppEmbeds(embed);
        const [{ apps }, runtime] = await Promise.all([
          backends.registry.listApps({ group: target.id }, call),
          runtimeIf(Object.values(embeds).some(Boolean), backends, request),
        ]);
        return apps.map((a) => marathonApp(a, runtime, embeds));
      }
      case "versions":
        return (await backends.registry.listGroupVersions({ id: target.id }, call)).versions;
      case "version": {
        const { group } = await backends.registry.getGroupVersion({ id: target.id, version: target.version }, call);
        return marathonGroup(group ?? { id: target.id }, resolveGroupEmbeds(embed), NO_RUNTIME);
      }
      default: {
        const embeds = resolveGroupEmbeds(embed);
        const [{ group }, runtime] = await Promise.all([
          backends.registry.getGroup({ id: target.id }, call),
          runtimeIf(Object.values(embeds.app).some(Boolean), backends, request),
        ]);
        return marathonGroup(group ?? { id: target.id }, embeds, runtime);
      }
    }
  };
  app.get("/v2/groups", get);
  app.get("/v2/groups/*", get);

  const create = async (request: FastifyRequest, reply: FastifyReply) => {
    const definition = requireObjectBody(request.body);
    const parentId = canonicalId(restOf(request));
    const result = await backends.registry.createGroup({ definition, parentId, force: booleanParam(query(request), "force", false) }, callerMetadata(request));
    return sendDeploymentResult(reply, result.deployment, { status: 201, location: locationOf("/v2/groups", effectiveGroupId(parentId, definition.id)) });
  };
  app.post("/v2/groups", create);
  app.post("/v2/groups/*", create);

  const update = async (request: FastifyRequest, reply: FastifyReply) => {
    const definition = requireObjectBody(request.body);
    const q = query(request);
    const { version, scaleBy } = definition;
    if (version !== undefined && version !== null && typeof version !== "string") throw typeError("/version", "jsstring");
    if (scaleBy !== undefined && scaleBy !== null && typeof scaleBy !== "number") throw typeError("/scaleBy", "jsnumber");
    const dryRun = booleanParam(q, "dryRun", false);
    const result = await backends.registry.updateGroup(
      {
        id: canonicalId(restOf(request)),
        definition,
        force: booleanParam(q, "force", false),
        dryRun,
        version: typeof version === "string" ? version : "",
        scaleBy: typeof scaleBy === "number" ? scaleBy : 0,
      },
      callerMetadata(request),
    );
    if (dryRun) return reply.code(200).send({ steps: marathonSteps(result.plan?.steps ?? []) });
    return sendDeploymentResult(reply, result.deployment);
  };
  app.put("/v2/groups", update);
  app.put("/v2/groups/*", update);

  const remove = async (request: FastifyRequest, reply: FastifyReply) => {
    const result = await backends.registry.deleteGroup({ id: canonicalId(restOf(request)), force: booleanParam(query(request), "force", false) }, callerMetadata(request));
    return sendDeploymentResult(reply, result.deployment);
  };
  app.delete("/v2/groups", remove);
  app.delete("/v2/groups/*", remove);
}
