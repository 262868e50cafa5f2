import assert from "node:assert/strict";
import { test } from "node:test";
import { generateSecretsKey, openSecret, sealSecret, secretsKeyFromEnv } from "./sealing.ts";

test("a sealed secret opens with its key and path only, and never shows its value", () => {
  const key = generateSecretsKey();
  const sealed = sealSecret(key, "/team-a/db", "hunter2-hunter2");
  assert.match(sealed, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  assert.ok(!sealed.includes("hunter2") && !Buffer.from(sealed).toString("base64").includes("hunter2"));
  assert.notEqual(sealSecret(key, "/team-a/db", "hunter2-hunter2"), sealed, "a fresh nonce each time");
  assert.equal(openSecret(key, "/team-a/db", sealed), "hunter2-hunter2");
  assert.throws(() => openSecret(generateSecretsKey(), "/team-a/db", sealed), /cannot be opened with this secrets key/);
  assert.throws(() => openSecret(key, "/team-b/db", sealed), /cannot be opened/, "bound to its path");
  const [v, n, body] = sealed.split(".");
  const flipped = Buffer.from(body!, "base64url");
  flipped[0]! ^= 1;
  assert.throws(() => openSecret(key, "/team-a/db", `${v}.${n}.${flipped.toString("base64url")}`), /cannot be opened/, "tampered");
});

test("the key comes from GANTRY_SECRETS_KEY(_FILE), 32 bytes or refused naming the variable", () => {
  const key = generateSecretsKey();
  assert.deepEqual(secretsKeyFromEnv({ GANTRY_SECRETS_KEY: key.toString("base64") }), key);
  assert.equal(secretsKeyFromEnv({}), undefined);
  assert.throws(() => secretsKeyFromEnv({ GANTRY_SECRETS_KEY: "c2hvcnQ=" }), /GANTRY_SECRETS_KEY: the secrets key must be 32 bytes/);
});
