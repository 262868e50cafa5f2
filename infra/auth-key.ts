/**
 * The cluster's keys for the compose layout (infra/compose.yaml):
 *   node infra/auth-key.ts ensure FILE          creates FILE with a new random token signing key
 *                                               unless it exists (mode 0600; the `auth-key` init
 *                                               service runs this)
 *   node infra/auth-key.ts token FILE [NAME]    prints an admin token for NAME (default admin)
 *                                               signed with that key, for GANTRY_TOKEN
 *   node infra/auth-key.ts ensure-exec FILE PUB creates the gateway's exec ticket key pair unless
 *                                               it exists: the private key in FILE (0600, the
 *                                               gateway's volume) and the public key copied to PUB
 *                                               (the agents' volume: they never see the private key)
 * A key never leaves its file: services read the token key with `--auth-key-file`, the gateway
 * the exec key with GANTRY_EXEC_KEY_FILE, agents the public key with GANTRY_AGENT_EXEC_KEY_FILE.
 */
import { copyFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { createTokenSigner, loadOrCreateSigningKey } from "@gantry/platform";
import { loadOrCreateExecTicketKeys } from "@gantry/gateway";

const USAGE = "usage: node infra/auth-key.ts ensure FILE | token FILE [NAME] | ensure-exec FILE PUBLIC_FILE";

const { positionals } = parseArgs({ allowPositionals: true, strict: true });
const [action, file, name = "admin"] = positionals;
if (action === "ensure-exec" && file && positionals[2]) {
  const { publicKeyFile } = await loadOrCreateExecTicketKeys(file);
  await mkdir(dirname(positionals[2]), { recursive: true });
  await copyFile(publicKeyFile, positionals[2]);
  console.log(`exec ticket key pair ready: ${file}, public key in ${positionals[2]}`);
  process.exit(0);
}
if (!file || (action !== "ensure" && action !== "token")) {
  console.error(USAGE);
  process.exit(2);
}
// Exclusive creation: two services racing for the file end up with one key.
const key = await loadOrCreateSigningKey(file);
if (action === "ensure") console.log(`signing key ready in ${file}`);
else console.log(createTokenSigner(key).issue({ name, roles: ["admin"] }).token);
