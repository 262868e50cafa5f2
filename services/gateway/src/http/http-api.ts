import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import etag from "@fastify/etag";
import { GantryError, type Authenticator, type Logger } from "@gantry/platform";
import type { Backends } from "../backends.ts";
import { registerAppRoutes } from "./apps.routes.ts";
import { registerAuthRoutes } from "./auth.routes.ts";
import { authenticateRequest } from "./caller.ts";
import { registerDeploymentRoutes } from "./deployments.routes.ts";
import { registerEventRoutes, type OpenEventFeed } from "./events.routes.ts";
import { registerGroupRoutes } from "./groups.routes.ts";
import { registerInfoRoutes, type GatewayInfo } from "./info.routes.ts";
import { installJsonBody, MAX_BODY_BYTES } from "./json-body.ts";
import { toMarathonError } from "./marathon-errors.ts";
import { registerPodRoutes } from "./pods.routes.ts";
import { registerQueueRoutes } from "./queue.routes.ts";
import { enforceRouteAccess } from "./route-access.ts";
import { DebugRequestLogs } from "./request-logs.ts";
import { createReads, invalidateOnWrites, type Reads } from "./reads.ts";
import { registerSchemaRoutes } from "./schemas.routes.ts";
import { registerTaskRoutes } from "./tasks.routes.ts";
import { registerLogsRoutes } from "./logs.routes.ts";
import { registerMetricsRoutes } from "./metrics.routes.ts";
import { recordApiLatency } from "./metrics-api-latency.ts";
import { registerExecWebSocket } from "../exec/exec-websocket.routes.ts";
import type { ExecRouter } from "../exec/exec-router.ts";

/**
 * The gateway's HTTP API (fastify): Marathon's REST endpoints in front of the backends.
 * Every request is authenticated before routing; every error leaves through `toMarathonError`.
 */
export async function buildHttpApi(options: { backends: Backends; authenticator: Authenticator; logger: Logger; info: GatewayInfo; openEventFeed: OpenEventFeed; exec?: ExecRouter; reads?: Reads }): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: options.logger as FastifyBaseLogger, logController: new DebugRequestLogs(), bodyLimit: MAX_BODY_BYTES, routerOptions: { maxParamLength: 1000 } });
  installJsonBody(app);
  // Every answer has an ETag (SHA-1 of the body); a client that sends it back in If-None-Match
  // gets 304 and no body (tools that poll /v2/apps save the transfer and the parse).
  await app.register(etag);
  app.addHook("onRequest", async (request) => authenticateRequest(options.authenticator, request));
  enforceRouteAccess(app);
  recordApiLatency(app);
  app.setErrorHandler((err: unknown, request, reply) => {
    const fastifyCode = (err as { statusCode?: number; code?: string }).statusCode;
    if (!(err instanceof GantryError) && fastifyCode && fastifyCode < 500) {
      // fastify's own refusals (body too large, bad content length, …) keep their status.
      return reply.code(fastifyCode).send({ message: (err as Error).message });
    }
    const { status, body } = toMarathonError(err);
    if (status >= 500) request.log.error({ err }, "request failed");
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ message: `Resource not found: ${request.method} ${request.url.split("?")[0]}` }));
  registerInfoRoutes(app, options.info);
  registerAuthRoutes(app, options.backends);
  const reads = options.reads ?? createReads(options.backends);
  invalidateOnWrites(app, reads);
  registerAppRoutes(app, options.backends, reads);
  registerTaskRoutes(app, options.backends, reads);
  registerPodRoutes(app, options.backends);
  registerGroupRoutes(app, options.backends);
  registerDeploymentRoutes(app, options.backends);
  registerQueueRoutes(app, options.backends, reads);
  registerEventRoutes(app, options.backends, options.openEventFeed);
  registerSchemaRoutes(app);
  registerLogsRoutes(app, options.backends);
  registerMetricsRoutes(app, options.backends, options.info.cluster);
  // Exec for browser terminals (WebSocket); 503 when the gateway routes no exec sessions.
  await registerExecWebSocket(app, options.exec);
  await app.ready();
  return app;
}
