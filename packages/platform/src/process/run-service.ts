import { createLogger, type Logger } from "../logging/index.ts";
import { startTelemetry } from "../telemetry/index.ts";

/** Something started that can be stopped. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * The life of one service process: starts telemetry and the service, logs a fatal line and
 * sets exit code 1 when starting fails, and on SIGINT/SIGTERM stops the service, then
 * telemetry. Every service's `main.ts` is this one call.
 */
export async function runServiceProcess(component: string, start: (logger: Logger) => Promise<Stoppable>): Promise<void> {
  const logger = createLogger(component);
  try {
    const telemetry = await startTelemetry(`gantry-${component}`);
    const running = await start(logger);
    const stop = async () => {
      logger.info("stopping");
      await running.stop();
      await telemetry.shutdown();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  } catch (err) {
    logger.fatal({ err }, `${component} failed to start`);
    process.exitCode = 1;
  }
}
