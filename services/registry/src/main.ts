/**
 * Runs the registry as its own process:
 *   node services/registry/src/main.ts [--host H] [--port P] [--cluster C] [--auth-key-file F]
 * with DATABASE_URL, NATS_URL, GANTRY_CLUSTER, GANTRY_AUTH_KEY and GANTRY_SECRETS_KEY_FILE from the environment (default
 * port 7001). Stops on SIGINT/SIGTERM.
 */
import { runServiceProcess, secretsKeyFromEnv, serviceEnvironment } from "@gantry/platform";
import { startRegistry } from "./start-registry.ts";

await runServiceProcess("registry", async (logger) => {
  const secretsKey = secretsKeyFromEnv();
  return startRegistry({ ...(await serviceEnvironment(process.argv.slice(2), 7001)), logger, ...(secretsKey ? { secretsKey } : {}) });
});
