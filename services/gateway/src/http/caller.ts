import type { FastifyRequest } from "fastify";
import { GantryError, type Authenticator, type Principal } from "@gantry/platform";
import { isPublicRoute } from "./route-access.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated caller, set by the authentication hook. */
    principal?: Principal;
  }
}


/**
 * Authenticates every HTTP request but those of public routes (see `ROUTE_ACCESS`) from its `Authorization` header
 * (`Bearer <token>` or DC/OS's `token=<token>`); refuses the rest with 401.
 */
export function authenticateRequest(authenticator: Authenticator, request: FastifyRequest): void {
  if (request.routeOptions.url !== undefined && isPublicRoute(request.method, request.routeOptions.url)) return;
  const principal = authenticator.authenticate(request.headers.authorization);
  if (!principal) {
    throw new GantryError("Unauthenticated", "Authentication required: send 'Authorization: Bearer <token>' or 'Authorization: token=<token>'");
  }
  request.principal = principal;
}

/** The metadata that carries the caller's credentials and correlation id to a backend. */
export function callerMetadata(request: FastifyRequest): { metadata: Record<string, string> } {
  const metadata: Record<string, string> = { "x-correlation-id": String(request.id) };
  if (request.headers.authorization) metadata.authorization = request.headers.authorization;
  return { metadata };
}
