import type { FastifyInstance } from "fastify";
import { marathonAppSchema } from "@gantry/proto";

/**
 * `GET /v2/schemas/app`: Marathon's AppDefinition JSON schema, as the contract carries it
 * (`@gantry/proto`, generated from the registry's validator fields; served, not enforced, as
 * in Marathon: validation is the registry's validator). The gateway does not import the registry.
 */
export function registerSchemaRoutes(app: FastifyInstance): void {
  app.get("/v2/schemas/app", async () => marathonAppSchema);
}
