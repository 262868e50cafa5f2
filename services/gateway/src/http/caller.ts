import type { FastifyRequest } from "fastify";
import { GantryError, type Authenticator, type Principal } from "@gantry/platform";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated caller, set by the authentication hook. */
    principal?: Principal;
  }
}

/** Paths anyone may read without credentials (liveness only). */
const PUBLIC_PATHS = new Set(["/ping"]);

/**
 * Authenticates every HTTP request but the public ones from its `Authorization` header
 * (`Bearer <token>` or DC/OS's `token=<token>`); refuses the rest with 401.
 */
export function authenticateRequest(authenticator: Authenticator, request: FastifyRequest): void {
  if (PUBLIC_PATHS.has(request.url.split("?")[0]!)) return;
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
