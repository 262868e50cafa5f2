import { randomBytes } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { MIN_SIGNING_KEY_BYTES } from "./token-signer.ts";

/** Generates a new random cluster signing key (32 bytes). */
export function generateSigningKey(): Buffer {
  return randomBytes(MIN_SIGNING_KEY_BYTES);
}

/**
 * Reads the cluster signing key from `file` (base64 text, one line), or creates the file with a
 * new random key when it does not exist: mode 0600 in a directory created with mode 0700.
 * Creation is exclusive (`wx`), so two processes racing end up with the same key.
 * Throws when the file is readable by group or others, or does not hold at least 32 bytes.
 * (Any 32-byte cluster key kept in a file is made this way: `label` names it in errors.)
 */
export async function loadOrCreateSigningKey(file: string, label = "signing key"): Promise<Buffer> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, generateSigningKey().toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(`${label} file ${file} has mode ${mode.toString(8)}; it must not be readable by group or others (chmod 600)`);
  }
  return decodeKey((await readFile(file, "utf8")).trim(), `${label} file ${file}`);
}

/**
 * The signing key in `GANTRY_AUTH_KEY` (base64), or `undefined` when the variable is unset or empty.
 * Throws when it is set but does not decode to at least 32 bytes.
 */
export function signingKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const raw = env.GANTRY_AUTH_KEY?.trim();
  if (!raw) return undefined;
  return decodeKey(raw, "GANTRY_AUTH_KEY");
}

function decodeKey(text: string, source: string): Buffer {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) throw new Error(`${source} is not base64`);
  const key = Buffer.from(text, "base64");
  if (key.length < MIN_SIGNING_KEY_BYTES) {
    throw new Error(`${source} holds ${key.length} bytes; a signing key needs at least ${MIN_SIGNING_KEY_BYTES}`);
  }
  return key;
}
