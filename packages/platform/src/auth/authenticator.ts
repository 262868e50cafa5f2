import type { Principal } from "./principal.ts";
import type { PrincipalDirectory } from "./principal-directory.ts";
import { principalOf, type TokenSigner } from "./token-signer.ts";

/**
 * Turns the value of an `authorization` header (HTTP) or metadata entry (gRPC) into a principal.
 * Returns `undefined` for a missing, malformed, forged, expired or revoked credential; never throws.
 */
export interface Authenticator {
  authenticate(headerValue: string | undefined): Principal | undefined;
  /**
   * Looks every token's principal up in `directory` from now on: its current grants join the
   * token's, and a revoked token, or one issued before the principal's password changed or it
   * was deleted, no longer authenticates. With `keepExisting`, one already given stays (services
   * sharing an authenticator in one process use the registry's own view, not a copy of it).
   */
  useDirectory?(directory: PrincipalDirectory, options?: { keepExisting?: boolean }): void;
}

/**
 * The token in an authorization value: `Bearer <token>` (scheme case-insensitive) or the DC/OS
 * form `token=<token>`; `undefined` for anything else.
 */
export function tokenFromAuthorization(headerValue: string | undefined): string | undefined {
  if (!headerValue) return undefined;
  const value = headerValue.trim();
  const bearer = /^bearer\s+(\S+)$/i.exec(value);
  if (bearer) return bearer[1];
  const dcos = /^token=(\S+)$/.exec(value);
  return dcos ? dcos[1] : undefined;
}

/** Creates the authenticator that accepts tokens issued by `signer` (and, once given one, still valid in the directory). */
export function createAuthenticator(signer: Pick<TokenSigner, "verifyClaims">): Authenticator {
  let directory: PrincipalDirectory | undefined;
  return {
    authenticate(headerValue) {
      const token = tokenFromAuthorization(headerValue);
      if (token === undefined) return undefined;
      // One signature check and parse per call (this runs on every request).
      const claims = signer.verifyClaims(token);
      if (!claims) return undefined;
      const principal = principalOf(claims);
      if (!directory) return principal;
      if (directory.isRevoked(claims.jti)) return undefined;
      const entry = directory.lookup(claims.sub);
      if (!entry) return { ...principal, tokenId: claims.jti };
      if (claims.iat < entry.notBefore) return undefined;
      return { ...principal, grants: [...(principal.grants ?? []), ...entry.grants], tokenId: claims.jti };
    },
    useDirectory(d, options = {}) {
      if (!(options.keepExisting && directory)) directory = d;
    },
  };
}
