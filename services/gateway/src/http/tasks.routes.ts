import type { FastifyInstance } from "fastify";
import type { Backends } from "../backends.ts";
import { callerMetadata } from "./caller.ts";
import { sendDeploymentResult } from "./deployment-result.ts";
import { askerOf } from "./held-answers.ts";
import { marathonTask } from "./marathon-task-view.ts";
import { sendRendered, type Reads } from "./reads.ts";
import { badRequest, requireObjectBody, type Query } from "./request-params.ts";
import { killOptions, killTasks } from "./task-kills.ts";

/**
 * Marathon's `GET /v2/tasks` (with `status=running|staging`, repeatable) and `POST
 * /v2/tasks/delete` (`{"ids": […]}`, with `scale`, `wipe`, `force`): ids that name no live task
 * are left out, as in Marathon.
 */
export function registerTaskRoutes(app: FastifyInstance, backends: Backends, reads: Reads): void {
  app.get("/v2/tasks", async (request, reply) => {
    const { tasks } = await reads.held.everyLiveTask(askerOf(request));
    const status = (request.query as { status?: string | string[]; "status[]"?: string | string[] });
    const wanted = [status.status ?? [], status["status[]"] ?? []].flat().map((s) => `TASK_${s.toUpperCase()}`);
    const body = reads.bodies.get(`tasks ${JSON.stringify(wanted)}`, [tasks], () => ({ tasks: tasks.map(marathonTask).filter((t) => wanted.length === 0 || wanted.includes(String(t.state))) }));
    return sendRendered(reply, body);
  });

  app.post("/v2/tasks/delete", async (request, reply) => {
    const options = killOptions(request.query as Query);
    const body = requireObjectBody(request.body);
    const ids = body.ids;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) throw badRequest("ids: expected an array of task ids");
    const call = callerMetadata(request);
    const { tasks } = await backends.scheduler.listTasks({}, call);
    const wanted = new Set(ids as string[]);
    const result = await killTasks(backends, call, tasks.filter((t) => wanted.has(t.taskId)), options);
    if (result.kind === "deployment") return sendDeploymentResult(reply, result.deployment);
    return { tasks: result.tasks.map(marathonTask) };
  });
}
