/**
 * Runs the registry as its own process:
 *   node services/registry/src/main.ts [--host H] [--port P] [--cluster C] [--auth-key-file F]
 * with DATABASE_URL, NATS_URL, GANTRY_CLUSTER and GANTRY_AUTH_KEY from the environment (default
 * port 7001). Stops on SIGINT/SIGTERM.
 */
import { runServiceProcess, serviceEnvironment } from "@gantry/platform";
import { startRegistry } from "./start-registry.ts";

await runServiceProcess("registry", async (logger) => startRegistry({ ...(await serviceEnvironment(process.argv.slice(2), 7001)), logger }));
