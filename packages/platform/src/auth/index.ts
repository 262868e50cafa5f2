/**
 * Authentication and authorisation: HMAC-signed bearer tokens, the cluster signing key, the
 * authenticator that reads `authorization` values, and the authorisation rule.
 */
export type { Principal } from "./principal.ts";
export { ANONYMOUS } from "./principal.ts";
export type { TokenClaims, IssuedToken, TokenSigner } from "./token-signer.ts";
export { createTokenSigner, MIN_SIGNING_KEY_BYTES } from "./token-signer.ts";
export { generateSigningKey, loadOrCreateSigningKey, signingKeyFromEnv } from "./signing-key.ts";
export type { Authenticator } from "./authenticator.ts";
export { createAuthenticator, tokenFromAuthorization } from "./authenticator.ts";
export { authorize, isAllowed } from "./authorize.ts";
