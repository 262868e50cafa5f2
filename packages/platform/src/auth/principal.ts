import type { Permission } from "./permissions.ts";

/**
 * Who is calling: a principal name (a user or a service account, e.g. `alice`, `svc:scheduler`)
 * the roles granted to it when its token was issued (`admin`, `viewer`: see `grantsOfRoles`)
 * and its own grants.
 */
export interface Principal {
  name: string;
  roles: string[];
  /** Permissions granted to it (or its groups) besides what its roles stand for. */
  grants?: readonly Permission[];
  /** The id of the token it authenticated with (for logout and `whoami`). */
  tokenId?: string;
}

/**
 * The principal of calls that need no credentials (gRPC health and reflection). It has no roles,
 * so `authorize` refuses it everything.
 */
export const ANONYMOUS: Principal = Object.freeze({ name: "anonymous", roles: Object.freeze([]) as unknown as string[] });
