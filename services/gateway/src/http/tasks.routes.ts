import type { FastifyInstance } from "fastify";
import type { Backends } from "../backends.ts";
import { callerMetadata } from "./caller.ts";
import { marathonTask } from "./marathon-task-view.ts";

/** Marathon's `GET /v2/tasks` (with `status=running|staging`, repeatable). */
export function registerTaskRoutes(app: FastifyInstance, backends: Backends): void {
  app.get("/v2/tasks", async (request) => {
    const { tasks } = await backends.scheduler.listTasks({}, callerMetadata(request));
    const status = (request.query as { status?: string | string[]; "status[]"?: string | string[] });
    const wanted = [status.status ?? [], status["status[]"] ?? []].flat().map((s) => `TASK_${s.toUpperCase()}`);
    const views = tasks.map(marathonTask).filter((t) => wanted.length === 0 || wanted.includes(String(t.state)));
    return { tasks: views };
  });
}
