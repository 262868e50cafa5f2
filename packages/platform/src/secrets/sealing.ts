import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { GantryError } from "../errors/index.ts";

/** The secrets key's length: AES-256. */
export const SECRETS_KEY_BYTES = 32;
const VERSION = "v1";

/**
 * Seals a secret's value: AES-256-GCM with `key` and a fresh 96-bit nonce, with the secret's
 * `path` as additional data (a sealed value moved to another path does not open). The form is
 * `v1.<nonce>.<ciphertext+tag>` (base64url): what the log and run specs keep instead of the value.
 */
export function sealSecret(key: Uint8Array, path: string, value: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(path, "utf8"));
  const body = Buffer.concat([cipher.update(value, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${nonce.toString("base64url")}.${body.toString("base64url")}`;
}

/** Opens what `sealSecret` made for `path`; throws (never returning a wrong value) for another key, path or a tampered seal. */
export function openSecret(key: Uint8Array, path: string, sealed: string): string {
  const [version, nonce, body] = sealed.split(".");
  if (version !== VERSION || !nonce || !body) throw new Error(`secret ${path}: not a sealed value`);
  const data = Buffer.from(body, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64url"));
  decipher.setAAD(Buffer.from(path, "utf8"));
  decipher.setAuthTag(data.subarray(data.length - 16));
  try {
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString("utf8");
  } catch {
    throw new Error(`secret ${path}: cannot be opened with this secrets key`);
  }
}

/**
 * The cluster's secrets key, kept outside the database: `GANTRY_SECRETS_KEY_FILE` (a file
 * holding it in base64) or `GANTRY_SECRETS_KEY` (base64); undefined when neither is set (then
 * secrets are refused). InvalidArgument naming the variable when it is not 32 bytes.
 */
export function secretsKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const [name, text] = env.GANTRY_SECRETS_KEY_FILE
    ? ["GANTRY_SECRETS_KEY_FILE", readFileSync(env.GANTRY_SECRETS_KEY_FILE, "utf8")]
    : env.GANTRY_SECRETS_KEY
      ? ["GANTRY_SECRETS_KEY", env.GANTRY_SECRETS_KEY]
      : [undefined, undefined];
  if (!name) return undefined;
  const key = Buffer.from(text!.trim(), "base64");
  if (key.length !== SECRETS_KEY_BYTES) throw new GantryError("InvalidArgument", `${name}: the secrets key must be ${SECRETS_KEY_BYTES} bytes (base64), got ${key.length}`);
  return key;
}

/** A fresh secrets key. */
export function generateSecretsKey(): Buffer {
  return randomBytes(SECRETS_KEY_BYTES);
}
