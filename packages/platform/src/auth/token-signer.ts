import { createHmac, createSecretKey, randomUUID, timingSafeEqual } from "node:crypto";
import { parseAction, parseResourceId, resourceIdOf, type Permission } from "./permissions.ts";
import type { Principal } from "./principal.ts";

/** The smallest signing key accepted, in bytes (HMAC-SHA256 gains nothing from more than 64). */
export const MIN_SIGNING_KEY_BYTES = 32;

const PREFIX = "gty_";
const SIG_BYTES = 32;
// A token is `gty_<payload>.<sig>`, both parts unpadded base64url.
/** Tokens whose signature and claims were checked, remembered (every request brings one; few callers bring many). */
const VERIFIED_TOKENS_KEPT = 1_024;
const TOKEN_SHAPE = /^gty_([A-Za-z0-9_-]{1,4096})\.([A-Za-z0-9_-]{43})$/;

/**
 * What a token carries, signed: subject, roles, grants (`"<resource id> <action>"`, e.g.
 * `"gantry:apps:/team-a full"`), token id, issue time and optional expiry (unix seconds).
 */
export interface TokenClaims {
  sub: string;
  roles: string[];
  grants?: string[];
  jti: string;
  iat: number;
  exp?: number;
}

/** A freshly issued token. Only `tokenId` may be recorded (e.g. in a TokenIssued event), never `token`. */
export interface IssuedToken {
  token: string;
  tokenId: string;
}

/**
 * Issues and verifies Gantry bearer tokens: `gty_<base64url(JSON claims)>.<base64url(HMAC-SHA256)>`,
 * self-contained, signed with the cluster signing key over the ASCII text `gty_<payload>`.
 */
export interface TokenSigner {
  /** Issues a token for `principal`; with `ttlSeconds` it carries an expiry (`exp`), otherwise it never expires. */
  issue(principal: Principal, options?: { ttlSeconds?: number }): IssuedToken;
  /**
   * The principal a token names, or `undefined` when the token is malformed, its signature does
   * not match (constant-time comparison), its claims are ill-typed, or it has expired. Never throws.
   */
  verify(token: string): Principal | undefined;
  /** Like `verify`, but returns every claim (for showing token ids and expiry). */
  verifyClaims(token: string): TokenClaims | undefined;
}

/**
 * Creates a token signer with `key` (at least 32 bytes, see `loadOrCreateSigningKey`).
 * `now` (milliseconds, default `Date.now`) is injectable for tests. Throws RangeError on a short key.
 */
export function createTokenSigner(key: Uint8Array, options: { now?: () => number } = {}): TokenSigner {
  if (key.byteLength < MIN_SIGNING_KEY_BYTES) {
    throw new RangeError(`signing key must be at least ${MIN_SIGNING_KEY_BYTES} bytes, got ${key.byteLength}`);
  }
  // A key object made once (copied from the caller's buffer, so later mutation of it cannot change
  // the key): importing the key on every signature check was most of a check's cost.
  const secret = createSecretKey(Buffer.from(key));
  const now = options.now ?? Date.now;
  const sign = (signedText: string) => createHmac("sha256", secret).update(signedText, "ascii").digest();
  // Claims of tokens already verified, by the whole token: a token is immutable, so only its
  // expiry needs checking again (revocation is the directory's, checked on every call).
  const verified = new Map<string, TokenClaims>();

  function verifyClaims(token: string): TokenClaims | undefined {
    if (typeof token !== "string") return undefined;
    const known = verified.get(token);
    if (known) return unexpired(known);
    const claims = checkToken(token);
    if (!claims) return undefined;
    if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
    verified.set(token, claims);
    return unexpired(claims);
  }

  function unexpired(claims: TokenClaims): TokenClaims | undefined {
    return claims.exp !== undefined && now() >= claims.exp * 1000 ? undefined : claims;
  }

  /** The claims of a well-formed, correctly signed token (frozen: they are handed out again), expired or not. */
  function checkToken(token: string): TokenClaims | undefined {
    const match = TOKEN_SHAPE.exec(token);
    if (!match) return undefined;
    const [, payload = "", sig = ""] = match;
    const given = Buffer.from(sig, "base64url");
    if (given.length !== SIG_BYTES) return undefined;
    if (!timingSafeEqual(given, sign(PREFIX + payload))) return undefined;
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      return undefined;
    }
    if (!isClaims(claims)) return undefined;
    // Signed but naming an unknown resource or action (a newer or older cluster's): refused whole.
    if (claims.grants?.some((g) => !isGrant(g))) return undefined;
    Object.freeze(claims.roles);
    if (claims.grants) Object.freeze(claims.grants);
    return Object.freeze(claims);
  }

  return {
    issue(principal, issueOptions = {}) {
      if (!principal.name) throw new RangeError("a token needs a principal name");
      const iat = Math.floor(now() / 1000);
      const claims: TokenClaims = { sub: principal.name, roles: [...principal.roles], jti: randomUUID(), iat };
      if (principal.grants && principal.grants.length > 0) claims.grants = principal.grants.map(formatGrant);
      if (issueOptions.ttlSeconds !== undefined) claims.exp = iat + issueOptions.ttlSeconds;
      const payload = Buffer.from(JSON.stringify(claims), "utf8").toString("base64url");
      const token = `${PREFIX}${payload}.${sign(PREFIX + payload).toString("base64url")}`;
      return { token, tokenId: claims.jti };
    },
    verify(token) {
      const claims = verifyClaims(token);
      return claims && principalOf(claims);
    },
    verifyClaims,
  };
}

function isClaims(value: unknown): value is TokenClaims {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.sub === "string" &&
    c.sub.length > 0 &&
    Array.isArray(c.roles) &&
    c.roles.every((r) => typeof r === "string") &&
    (c.grants === undefined || (Array.isArray(c.grants) && c.grants.every((g) => typeof g === "string"))) &&
    typeof c.jti === "string" &&
    typeof c.iat === "number" &&
    (c.exp === undefined || typeof c.exp === "number")
  );
}

/** The principal verified claims name: subject, roles and the grants the token carries. */
export function principalOf(claims: TokenClaims): Principal {
  return claims.grants ? { name: claims.sub, roles: [...claims.roles], grants: claims.grants.map(parseGrant) } : { name: claims.sub, roles: [...claims.roles] };
}

/** A grant as a token carries it: `"<resource id> <action>"`. */
export function formatGrant(grant: Permission): string {
  return `${resourceIdOf(grant)} ${grant.action}`;
}

/** Parses `"gantry:apps:/team-a full"`; throws a message naming the problem. */
export function parseGrant(text: string): Permission {
  const [id = "", action = "", ...rest] = text.trim().split(/\s+/);
  if (rest.length > 0 || !id || !action) throw new Error(`grant "${text}": expected "<resource id> <action>"`);
  return { ...parseResourceId(id), action: parseAction(action) };
}

function isGrant(text: string): boolean {
  try {
    parseGrant(text);
    return true;
  } catch {
    return false;
  }
}
