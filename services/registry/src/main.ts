/**
 * Runs the registry as its own process:
 *   node services/registry/src/main.ts [--host H] [--port P] [--cluster C] [--auth-key-file F]
 * with DATABASE_URL, NATS_URL, GANTRY_CLUSTER and GANTRY_AUTH_KEY from the environment (default
 * port 7001). Stops on SIGINT/SIGTERM.
 */
import { createLogger, serviceEnvironment, startTelemetry } from "@gantry/platform";
import { startRegistry } from "./start-registry.ts";

const logger = createLogger("registry");
try {
  const telemetry = await startTelemetry("gantry-registry");
  const running = await startRegistry({ ...(await serviceEnvironment(process.argv.slice(2), 7001)), logger });
  const stop = async () => {
    await running.stop();
    await telemetry.shutdown();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (err) {
  logger.fatal({ err }, "registry failed to start");
  process.exitCode = 1;
}
