import type { FastifyInstance } from "fastify";
import { recordApiRequest } from "@gantry/platform";

/**
 * Records every HTTP API answer's latency by method, route pattern (`/v2/apps/*`, never the URL,
 * so label values stay bounded) and status as the control-plane metric `api.request.duration`
 * (nothing is recorded where the process ships no control-plane metrics).
 */
export function recordApiLatency(app: FastifyInstance): void {
  app.addHook("onResponse", async (request, reply) => {
    recordApiRequest(request.method, request.routeOptions.url ?? "unmatched", reply.statusCode, reply.elapsedTime);
  });
}
