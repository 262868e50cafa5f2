/**
 * Runs the gateway as its own process:
 *   node services/gateway/src/main.ts [--host H] [--port P] [--cluster C] [--auth-key-file F]
 * with GANTRY_REGISTRY_ADDRESS and GANTRY_SCHEDULER_ADDRESS (host:port of their gRPC servers)
 * and GANTRY_AUTH_KEY from the environment. Stops on SIGINT/SIGTERM.
 */
import { GantryError, runServiceProcess, serviceEnvironment } from "@gantry/platform";
import { startGateway } from "./start-gateway.ts";

function backend(name: string): string {
  const value = process.env[name];
  if (!value) throw new GantryError("InvalidArgument", `${name} is not set: give the backend's gRPC address as host:port`);
  return value;
}

await runServiceProcess("gateway", async (logger) => {
  const env = await serviceEnvironment(process.argv.slice(2), 8080);
  return startGateway({
    host: env.host,
    port: env.port,
    names: env.names,
    natsUrl: env.natsUrl,
    authenticator: env.authenticator,
    backends: { registry: backend("GANTRY_REGISTRY_ADDRESS"), scheduler: backend("GANTRY_SCHEDULER_ADDRESS") },
    logger,
  });
});
