/**
 * Authentication and authorisation: HMAC-signed bearer tokens, the cluster signing key, the
 * authenticator that reads `authorization` values, and the authorisation rule.
 */
export type { Principal } from "./principal.ts";
export { ANONYMOUS } from "./principal.ts";
export type { TokenClaims, IssuedToken, TokenSigner } from "./token-signer.ts";
export { createTokenSigner, formatGrant, MIN_SIGNING_KEY_BYTES, parseGrant } from "./token-signer.ts";
export { generateSigningKey, loadOrCreateSigningKey, signingKeyFromEnv } from "./signing-key.ts";
export type { Authenticator } from "./authenticator.ts";
export type { DirectoryEntry, PrincipalDirectory } from "./principal-directory.ts";
export { createAuthenticator, tokenFromAuthorization } from "./authenticator.ts";
export { authorize, grantsOf, isAllowed } from "./authorize.ts";
export type { Action, Permission, ResourceKind } from "./permissions.ts";
export { ACTIONS, RESOURCES, covers, onApps, onPath, grantsOfRoles, parseAction, parseResourceId, permits, resourceIdOf } from "./permissions.ts";
