import type { Principal } from "./principal.ts";
import type { TokenSigner } from "./token-signer.ts";

/**
 * Turns the value of an `authorization` header (HTTP) or metadata entry (gRPC) into a principal.
 * Returns `undefined` for a missing, malformed, forged or expired credential; never throws.
 */
export interface Authenticator {
  authenticate(headerValue: string | undefined): Principal | undefined;
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

/** Creates the authenticator that accepts tokens issued by `signer`. */
export function createAuthenticator(signer: Pick<TokenSigner, "verify">): Authenticator {
  return {
    authenticate(headerValue) {
      const token = tokenFromAuthorization(headerValue);
      return token === undefined ? undefined : signer.verify(token);
    },
  };
}
