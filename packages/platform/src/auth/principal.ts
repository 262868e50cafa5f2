/**
 * Who is calling: a principal name (a user or a service account, e.g. `alice`, `svc:scheduler`)
 * and the roles granted to it when its token was issued. Roles are plain strings; the
 * authorisation rule (authorize.ts) gives meaning to `admin` and `viewer`.
 */
export interface Principal {
  name: string;
  roles: string[];
}

/**
 * The principal of calls that need no credentials (gRPC health and reflection). It has no roles,
 * so `authorize` refuses it everything.
 */
export const ANONYMOUS: Principal = Object.freeze({ name: "anonymous", roles: Object.freeze([]) as unknown as string[] });
