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
