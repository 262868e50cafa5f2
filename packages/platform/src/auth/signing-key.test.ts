import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadOrCreateSigningKey, signingKeyFromEnv } from "./index.ts";

const dir = await mkdtemp(join(tmpdir(), "gantry-key-"));
after(() => rm(dir, { recursive: true, force: true }));

test("creates a 32-byte key with mode 0600 when missing, then reads the same key back", async () => {
  const file = join(dir, "nested", "signing.key");
  const created = await loadOrCreateSigningKey(file);
  assert.equal(created.length, 32);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(await loadOrCreateSigningKey(file), created);
  assert.equal((await readFile(file, "utf8")).trim(), created.toString("base64"));
});

test("refuses a key file readable by others, or one holding too few bytes", async () => {
  const open = join(dir, "open.key");
  await writeFile(open, Buffer.alloc(32, 7).toString("base64"), { mode: 0o644 });
  await chmod(open, 0o644);
  await assert.rejects(loadOrCreateSigningKey(open), /chmod 600/);
  const short = join(dir, "short.key");
  await writeFile(short, Buffer.alloc(16).toString("base64"), { mode: 0o600 });
  await assert.rejects(loadOrCreateSigningKey(short), /at least 32/);
});

test("GANTRY_AUTH_KEY: unset means none, base64 of ≥32 bytes is the key, anything else throws", () => {
  assert.equal(signingKeyFromEnv({}), undefined);
  assert.equal(signingKeyFromEnv({ GANTRY_AUTH_KEY: "" }), undefined);
  const key = Buffer.alloc(32, 9);
  assert.deepEqual(signingKeyFromEnv({ GANTRY_AUTH_KEY: key.toString("base64") }), key);
  assert.throws(() => signingKeyFromEnv({ GANTRY_AUTH_KEY: Buffer.alloc(8).toString("base64") }), /at least 32/);
  assert.throws(() => signingKeyFromEnv({ GANTRY_AUTH_KEY: "not base64!" }), /not base64/);
});
