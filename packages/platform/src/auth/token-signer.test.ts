import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createTokenSigner, generateSigningKey } from "./index.ts";

const key = generateSigningKey();

describe("token signer", () => {
  test("issues a gty_ token that verifies to the same principal, with a fresh token id each time", () => {
    const signer = createTokenSigner(key);
    const first = signer.issue({ name: "alice", roles: ["admin", "viewer"] });
    const second = signer.issue({ name: "alice", roles: ["admin", "viewer"] });
    assert.match(first.token, /^gty_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(signer.verify(first.token), { name: "alice", roles: ["admin", "viewer"] });
    assert.notEqual(first.tokenId, second.tokenId);
    assert.equal(signer.verifyClaims(first.token)?.jti, first.tokenId);
    assert.ok(!first.token.includes(key.toString("base64url")));
  });

  test("a token signed with another key does not verify", () => {
    const token = createTokenSigner(generateSigningKey()).issue({ name: "mallory", roles: ["admin"] }).token;
    assert.equal(createTokenSigner(key).verify(token), undefined);
  });

  test("tampering with the claims or the signature invalidates the token", () => {
    const signer = createTokenSigner(key);
    const { token } = signer.issue({ name: "bob", roles: ["viewer"] });
    const [head, sig] = token.split(".") as [string, string];
    const claims = JSON.parse(Buffer.from(head.slice(4), "base64url").toString());
    claims.roles = ["admin"];
    const forgedHead = "gty_" + Buffer.from(JSON.stringify(claims)).toString("base64url");
    assert.equal(signer.verify(`${forgedHead}.${sig}`), undefined, "escalated roles");
    const flipped = sig.slice(0, 10) + (sig[10] === "A" ? "B" : "A") + sig.slice(11);
    assert.equal(signer.verify(`${head}.${flipped}`), undefined, "flipped signature");
    assert.equal(signer.verify(`${head}x.${sig}`), undefined, "extended payload");
  });

  test("malformed tokens are invalid, never errors", () => {
    const signer = createTokenSigner(key);
    const { token } = signer.issue({ name: "bob", roles: [] });
    for (const bad of ["", "gty_", "gty_.", token.replace("gty_", "gtx_"), token + ".", token.slice(0, -1), "Bearer " + token, "gty_abc.def", "gty_a b.c", "\u0000"]) {
      assert.equal(signer.verify(bad), undefined, JSON.stringify(bad));
    }
    assert.equal(signer.verify(123 as unknown as string), undefined);
  });

  test("a token carries its principal's grants: path-scoped permissions come back as they were given", () => {
    const signer = createTokenSigner(key);
    const grants = [{ resource: "gantry:apps", action: "full", path: "/team-a" }, { resource: "gantry:logs:read", action: "read" }] as const;
    const { token } = signer.issue({ name: "alice", roles: [], grants: [...grants] });
    assert.deepEqual(signer.verifyClaims(token)?.grants, ["gantry:apps:/team-a full", "gantry:logs:read read"]);
    assert.deepEqual(signer.verify(token), { name: "alice", roles: [], grants: [...grants] });
  });

  test("a correctly signed token with ill-typed claims is invalid", async () => {
    const { createHmac } = await import("node:crypto");
    const signer = createTokenSigner(key);
    for (const claims of [
      { sub: "", roles: [], jti: "x", iat: 1 },
      { sub: "a", roles: "admin", jti: "x", iat: 1 },
      { sub: "a", roles: [1], jti: "x", iat: 1 },
      { sub: "a", roles: [], grants: "gantry:apps full", jti: "x", iat: 1 },
      { sub: "a", roles: [], grants: ["gantry:widgets full"], jti: "x", iat: 1 },
      { sub: "a", roles: [], grants: ["gantry:apps:/a own"], jti: "x", iat: 1 },
      [1, 2],
      "text",
    ]) {
      const payload = "gty_" + Buffer.from(JSON.stringify(claims)).toString("base64url");
      const sig = createHmac("sha256", key).update(payload).digest("base64url");
      assert.equal(signer.verify(`${payload}.${sig}`), undefined, JSON.stringify(claims));
    }
    const payload = "gty_" + Buffer.from("{not json").toString("base64url");
    assert.equal(signer.verify(`${payload}.${createHmac("sha256", key).update(payload).digest("base64url")}`), undefined);
  });

  test("a token with a ttl expires; one without never does", () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const signer = createTokenSigner(key, { now: () => now });
    const short = signer.issue({ name: "ci", roles: ["viewer"] }, { ttlSeconds: 60 }).token;
    const forever = signer.issue({ name: "svc", roles: ["admin"] }).token;
    now += 59_000;
    assert.equal(signer.verify(short)?.name, "ci");
    now += 1_000;
    assert.equal(signer.verify(short), undefined);
    now += 10 * 365 * 86_400_000;
    assert.equal(signer.verify(forever)?.name, "svc");
  });

  test("a token verified once is not a pass for another signature or a changed payload", () => {
    const signer = createTokenSigner(key);
    const token = signer.issue({ name: "ops", roles: ["admin"] }).token;
    assert.equal(signer.verify(token)?.name, "ops");
    const [payload = "", sig = ""] = token.split(".");
    const otherSig = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    assert.equal(signer.verify(`${payload}.${otherSig}`), undefined);
    const forged = "gty_" + Buffer.from(JSON.stringify({ sub: "ops", roles: ["admin", "x"], jti: "y", iat: 1 })).toString("base64url");
    assert.equal(signer.verify(`${forged}.${sig}`), undefined);
    // What a caller does to the principal it got does not reach the next caller.
    signer.verify(token)!.roles.push("intruder");
    assert.deepEqual(signer.verify(token)?.roles, ["admin"]);
    assert.throws(() => (signer.verifyClaims(token)!.roles as string[]).push("intruder"), TypeError);
  });

  test("refuses keys shorter than 32 bytes", () => {
    assert.throws(() => createTokenSigner(Buffer.alloc(31)), RangeError);
    assert.doesNotThrow(() => createTokenSigner(Buffer.alloc(32, 1)));
  });
});
