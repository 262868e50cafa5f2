import type { FastifyInstance } from "fastify";
import type { Backends } from "../backends.ts";
import { callerMetadata } from "./caller.ts";
import { badRequest, requireObjectBody } from "./request-params.ts";

/**
 * DC/OS's login, `POST /acs/api/v1/auth/login`: `{"uid", "password"}` for a user, `{"uid",
 * "token"}` for a service account (an RS256 JWT signed with its private key); answers
 * `{"token"}` (and when it expires). Wrong credentials are 401, the same whether or not the
 * principal exists.
 */
export function registerAuthRoutes(app: FastifyInstance, backends: Backends): void {
  app.post("/acs/api/v1/auth/login", async (request) => {
    const body = requireObjectBody(request.body);
    const field = (name: string) => {
      const v = body[name];
      if (v !== undefined && typeof v !== "string") throw badRequest(`${name}: expected a string`);
      return v ?? "";
    };
    const uid = field("uid");
    if (!uid) throw badRequest("uid: required");
    const password = field("password");
    const token = field("token");
    if (!password && !token) throw badRequest("password or token: one is required");
    const issued = await backends.iam.login({ uid, password, token }, callerMetadata(request));
    return { token: issued.token, tokenId: issued.tokenId, expiresAt: issued.expiresAt };
  });
}
