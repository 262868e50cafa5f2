import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** Reads the gateway's Ed25519 private key (PEM, PKCS#8); throws naming `source` when it is not one. */
export function execTicketPrivateKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${source}: not a PEM private key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`${source}: an exec ticket key must be Ed25519, got ${key.asymmetricKeyType}`);
  return key;
}

/** The public key of a private one, PEM (SPKI): what agents are given (`--exec-key-file`). */
export function execTicketPublicKeyPem(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
}

/**
 * The cluster's exec ticket key pair, kept in `file` (private, PEM, mode 0600, created with a
 * new Ed25519 key when missing: exclusive, so racing processes end with one key) and
 * `<file>.pub` (public, written from the private one each time, mode 0644). Throws when the
 * private file is readable by group or others, or holds no Ed25519 key.
 */
export async function loadOrCreateExecTicketKeys(file: string): Promise<{ privateKey: KeyObject; publicKeyFile: string }> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    const { privateKey } = generateKeyPairSync("ed25519");
    await writeFile(file, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new Error(`exec ticket key file ${file} has mode ${mode.toString(8)}; it must not be readable by group or others (chmod 600)`);
  const privateKey = execTicketPrivateKey(await readFile(file, "utf8"), `exec ticket key file ${file}`);
  const publicKeyFile = `${file}.pub`;
  await writeFile(publicKeyFile, execTicketPublicKeyPem(privateKey), { mode: 0o644 });
  await chmod(publicKeyFile, 0o644);
  return { privateKey, publicKeyFile };
}
