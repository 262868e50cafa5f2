import assert from "node:assert/strict";
import { test } from "node:test";
import { createAuthenticator, createTokenSigner, generateSigningKey, tokenFromAuthorization } from "./index.ts";

const signer = createTokenSigner(generateSigningKey());
const authenticator = createAuthenticator(signer);
const { token } = signer.issue({ name: "alice", roles: ["viewer"] });

test("accepts `Bearer <token>` (any case of the scheme) and the DC/OS form `token=<token>`", () => {
  for (const header of [`Bearer ${token}`, `bearer ${token}`, `  Bearer   ${token} `, `token=${token}`]) {
    assert.deepEqual(authenticator.authenticate(header), { name: "alice", roles: ["viewer"] }, header);
  }
});

test("refuses a missing header, other schemes and bare tokens", () => {
  for (const header of [undefined, "", token, `Basic ${token}`, `Bearer`, `token=`, `Bearer ${token} extra`, `Token=${token}`]) {
    assert.equal(authenticator.authenticate(header), undefined, String(header));
  }
  assert.equal(tokenFromAuthorization("Bearer abc"), "abc");
});

test("with a directory: the principal's current grants join the token's; a revoked token, or one older than its principal's notBefore, no longer authenticates", async () => {
  const { createAuthenticator: create } = await import("./index.ts");
  const withDirectory = create(signer);
  const teamA = { resource: "gantry:apps", action: "full", path: "/team-a" } as const;
  const entries = new Map<string, { grants: (typeof teamA)[]; notBefore: number }>([["alice", { grants: [teamA], notBefore: 0 }]]);
  const revoked = new Set<string>();
  withDirectory.useDirectory!({ lookup: (name) => entries.get(name), isRevoked: (id) => revoked.has(id) });
  const issued = signer.issue({ name: "alice", roles: [] });
  assert.deepEqual(withDirectory.authenticate(`Bearer ${issued.token}`), { name: "alice", roles: [], grants: [teamA], tokenId: issued.tokenId });
  const bootstrap = signer.issue({ name: "admin", roles: ["admin"] });
  assert.deepEqual(withDirectory.authenticate(`Bearer ${bootstrap.token}`), { name: "admin", roles: ["admin"], tokenId: bootstrap.tokenId }, "a principal the directory does not know: its token decides");
  revoked.add(issued.tokenId);
  assert.equal(withDirectory.authenticate(`Bearer ${issued.token}`), undefined, "revoked");
  const second = signer.issue({ name: "alice", roles: [] });
  entries.set("alice", { grants: [teamA], notBefore: Math.floor(Date.now() / 1000) + 5 });
  assert.equal(withDirectory.authenticate(`Bearer ${second.token}`), undefined, "issued before the principal's password changed");
});
