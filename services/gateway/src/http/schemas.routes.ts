import type { FastifyInstance } from "fastify";
import { appJsonSchema } from "@gantry/registry";

/**
 * `GET /v2/schemas/app`: Marathon's AppDefinition JSON schema, the one the registry publishes
 * (served, not enforced, as in Marathon: validation is the registry's validator).
 */
export function registerSchemaRoutes(app: FastifyInstance): void {
  app.get("/v2/schemas/app", async () => appJsonSchema);
}
