import type { FastifyInstance, FastifyRequest } from "fastify";
import { GantryError } from "@gantry/platform";
import type { Backends } from "../backends.ts";
import { callerMetadata } from "./caller.ts";
import { DEPLOYMENT_HEADER, locationOf } from "./deployment-result.ts";
import { marathonPod, marathonPodStatus, podInstanceStatus } from "./marathon-pod-view.ts";
import { booleanParam, requireObjectBody, requireStringArray, type Query } from "./request-params.ts";
import { parsePodsPath } from "./resource-paths.ts";

function restOf(request: FastifyRequest): string {
  return (request.params as { "*": string })["*"];
}

function forceOf(request: FastifyRequest): boolean {
  return booleanParam(request.query as Query, "force", false);
}

/** Ids of the pods a running deployment stops (their status is TERMINAL meanwhile). */
async function podsBeingDeleted(backends: Backends, request: FastifyRequest): Promise<Set<string>> {
  const { deployments } = await backends.registry.listDeployments({}, callerMetadata(request));
  return new Set(deployments.flatMap((d) => d.steps.flatMap((s) => s.actions)).filter((a) => a.action === "StopPod").map((a) => a.pod));
}

/**
 * Marathon's `/v2/pods` endpoints: `HEAD` (pods are supported), create (201 + `Location` +
 * `Marathon-Deployment-Id`, body = the normalised pod), list, get, replace (200 + header; 400
 * when the body's id is not the path's), delete (202 + header, no body), `::versions[/{v}]` and
 * `::status` for one or all pods, built from the scheduler's tasks of the pod.
 */
export function registerPodRoutes(app: FastifyInstance, backends: Backends): void {
  app.head("/v2/pods", async (_request, reply) => reply.code(200).send());

  app.post("/v2/pods", async (request, reply) => {
    const definition = requireObjectBody(request.body);
    const created = await backends.registry.createPod({ definition, force: forceOf(request) }, callerMetadata(request));
    return reply
      .code(201)
      .header("Location", locationOf("/v2/pods", created.pod!.id))
      .header(DEPLOYMENT_HEADER, created.deploymentId)
      .send(marathonPod(created.pod!));
  });

  app.get("/v2/pods", async (request) => {
    const { pods } = await backends.registry.listPods({}, callerMetadata(request));
    return pods.map(marathonPod);
  });

  app.get("/v2/pods/*", async (request, reply) => {
    const call = callerMetadata(request);
    const target = parsePodsPath(restOf(request));
    const now = new Date().toISOString();
    switch (target.kind) {
      case "all-status": {
        const [{ pods }, { tasks }, deleting] = await Promise.all([
          backends.registry.listPods({}, call),
          backends.scheduler.listTasks({}, call),
          podsBeingDeleted(backends, request),
        ]);
        return pods.map((p) => marathonPodStatus(p, tasks, { now, beingDeleted: deleting.has(p.id) }));
      }
      case "status": {
        const [{ pod }, { tasks }, deleting] = await Promise.all([
          backends.registry.getPod({ id: target.id }, call),
          backends.scheduler.listTasks({ appId: target.id }, call),
          podsBeingDeleted(backends, request),
        ]);
        return marathonPodStatus(pod!, tasks, { now, beingDeleted: deleting.has(target.id) });
      }
      case "versions":
        return (await backends.registry.listPodVersions({ id: target.id }, call)).versions;
      case "version":
        return marathonPod((await backends.registry.getPodVersion({ id: target.id, version: target.version }, call)).pod!);
      case "pod":
        return marathonPod((await backends.registry.getPod({ id: target.id }, call)).pod!);
      default:
        return reply.callNotFound();
    }
  });

  app.put("/v2/pods/*", async (request, reply) => {
    const target = parsePodsPath(restOf(request));
    if (target.kind !== "pod") return reply.callNotFound();
    const body = requireObjectBody(request.body);
    // The body's id goes to the registry as given: validated first (a relative id is refused), then
    // compared with the path's, as Marathon does; a body without one takes the path's.
    const definition = body.id === undefined ? { ...body, id: target.id } : body;
    const updated = await backends.registry.updatePod({ id: target.id, definition, force: forceOf(request) }, callerMetadata(request));
    return reply.code(200).header(DEPLOYMENT_HEADER, updated.deploymentId).send(marathonPod(updated.pod!));
  });

  app.delete("/v2/pods/*", async (request, reply) => {
    const target = parsePodsPath(restOf(request));
    if (target.kind === "instance" || target.kind === "instances") {
      // Marathon's pod instance kills: the instances are killed and replaced; wipe changes nothing more here.
      const call = callerMetadata(request);
      const [{ pod }, { tasks }] = await Promise.all([backends.registry.getPod({ id: target.id }, call), backends.scheduler.listTasks({ appId: target.id }, call)]);
      const wanted = target.kind === "instance" ? [target.instanceId] : requireStringArray(request.body);
      const live = new Set(tasks.map((t) => t.instanceId));
      const known = wanted.filter((id) => live.has(id));
      if (target.kind === "instance" && known.length === 0) throw new GantryError("NotFound", `Instance '${target.instanceId}' does not exist`, { details: { instanceId: target.instanceId } });
      const killed = known.length === 0 ? [] : (await backends.scheduler.killTasks({ instanceIds: known }, call)).tasks;
      const now = new Date().toISOString();
      const statuses = known.map((id) => podInstanceStatus(pod!, id, killed.filter((t) => t.instanceId === id), now));
      return target.kind === "instance" ? statuses[0] : statuses;
    }
    if (target.kind !== "pod") return reply.callNotFound();
    const result = await backends.registry.deletePod({ id: target.id, force: forceOf(request) }, callerMetadata(request));
    const deploymentId = result.deployment?.deploymentId ?? "";
    return reply.code(202).header("Location", locationOf("", deploymentId)).header(DEPLOYMENT_HEADER, deploymentId).send();
  });
}

