import { ANONYMOUS, type Authenticator } from "../auth/index.ts";
import { GantryError } from "../errors/index.ts";
import type { CallInterceptor } from "./pipeline.ts";

/** Services any caller may use without credentials: gRPC health checking, server reflection, and logging in. */
export function isPublicMethod(path: string): boolean {
  return (
    path === "/gantry.registry.v1.IamService/Login" ||
    path.startsWith("/grpc.health.v1.Health/") ||
    path.startsWith("/grpc.reflection.v1.ServerReflection/") ||
    path.startsWith("/grpc.reflection.v1alpha.ServerReflection/")
  );
}

/**
 * Authenticates the call from its `authorization` metadata (`Bearer <token>` or DC/OS
 * `token=<token>`); public methods run as `anonymous`. A missing or invalid credential fails the call
 * with Unauthenticated before the handler (or the proxied backend) is reached.
 */
export function authenticationInterceptor(authenticator: Authenticator, isPublic: (path: string) => boolean = isPublicMethod): CallInterceptor {
  return async (call, next) => {
    if (isPublic(call.method.path)) {
      call.principal = ANONYMOUS;
      return next();
    }
    const header = call.metadata.authorization;
    const principal = authenticator.authenticate(header);
    if (!principal) {
      throw new GantryError("Unauthenticated", header ? "invalid or expired token" : "missing authorization metadata (Bearer token)");
    }
    call.principal = principal;
    return next();
  };
}
