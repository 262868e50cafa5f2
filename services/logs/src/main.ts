/**
 * Runs the logs service as its own process:
 *   node services/logs/src/main.ts [--host H] [--port P] [--cluster C] [--auth-key-file F]
 *                                  [--retention 7d] [--partition-interval 1d]
 * with DATABASE_URL (its database is `LOGS_DATABASE_URL`, default `<that database>_logs`),
 * NATS_URL and GANTRY_AUTH_KEY from the environment. Stops on SIGINT/SIGTERM.
 */
import { infrastructureUrls, runServiceProcess, serviceEnvironment } from "@gantry/platform";
import { compileLogsSettings } from "./logs-options.ts";
import { startLogs } from "./start-logs.ts";

await runServiceProcess("logs", async (logger) => {
  const { settings, rest } = compileLogsSettings(process.argv.slice(2), infrastructureUrls().databaseUrl);
  return startLogs({ ...(await serviceEnvironment(rest, 7004)), logger, settings });
});
