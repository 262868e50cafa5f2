/**
 * Runs the scheduler as its own process:
 *   node services/scheduler/src/main.ts [--host H] [--port P] [--cluster C] [--auth-key-file F]
 * with DATABASE_URL, NATS_URL and GANTRY_AUTH_KEY from the environment. Stops on SIGINT/SIGTERM.
 */
import { createLogger, serviceEnvironment, startTelemetry } from "@gantry/platform";
import { startScheduler } from "./start-scheduler.ts";

const logger = createLogger("scheduler");
try {
  const telemetry = await startTelemetry("gantry-scheduler");
  const running = await startScheduler({ ...(await serviceEnvironment(process.argv.slice(2), 7002)), logger });
  const stop = async () => {
    await running.stop();
    await telemetry.shutdown();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (err) {
  logger.fatal({ err }, "scheduler failed to start");
  process.exitCode = 1;
}
