import { LogController, type FastifyReply, type FastifyRequest } from "fastify";

/**
 * fastify's per-request lines ("incoming request", "request completed") at `debug` instead of
 * `info`: one line per request is noise in an operator's log (`GANTRY_LOG_LEVEL=debug` shows
 * them). A request that failed keeps fastify's `error` line.
 */
export class DebugRequestLogs extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, "incoming request");
  }

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply, metadata: unknown): void {
    if (error) return super.requestCompleted(error, request, reply, metadata as never);
    reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, "request completed");
  }
}
