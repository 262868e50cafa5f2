/**
 * The cluster's token signing key for the compose layout (infra/compose.yaml):
 *   node infra/auth-key.ts ensure FILE          creates FILE with a new random key unless it exists
 *                                               (mode 0600; the `auth-key` init service runs this)
 *   node infra/auth-key.ts token FILE [NAME]    prints an admin token for NAME (default admin)
 *                                               signed with that key, for GANTRY_TOKEN
 * The key never leaves the file: services read it with `--auth-key-file`.
 */
import { parseArgs } from "node:util";
import { createTokenSigner, loadOrCreateSigningKey } from "@gantry/platform";

const USAGE = "usage: node infra/auth-key.ts ensure FILE | token FILE [NAME]";

const { positionals } = parseArgs({ allowPositionals: true, strict: true });
const [action, file, name = "admin"] = positionals;
if (!file || (action !== "ensure" && action !== "token")) {
  console.error(USAGE);
  process.exit(2);
}
// Exclusive creation: two services racing for the file end up with one key.
const key = await loadOrCreateSigningKey(file);
if (action === "ensure") console.log(`signing key ready in ${file}`);
else console.log(createTokenSigner(key).issue({ name, roles: ["admin"] }).token);
