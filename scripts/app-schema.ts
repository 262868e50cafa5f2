/**
 * Writes Marathon's app JSON schema (built by the registry from the fields and defaults its
 * validator applies) into the contract, `proto/schemas/marathon-app.schema.json`, which the
 * gateway serves at `GET /v2/schemas/app`. With `--check`, fails when the file is stale.
 *   node scripts/app-schema.ts [--check]
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { appJsonSchema } from "@gantry/registry";

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../proto/schemas/marathon-app.schema.json");
const text = JSON.stringify(appJsonSchema, null, 2) + "\n";
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(file, "utf8");
  } catch {
    // Missing: stale.
  }
  if (current !== text) {
    console.error(`${path.relative(process.cwd(), file)} is stale: run 'npm run generate' and commit the result`);
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
}
