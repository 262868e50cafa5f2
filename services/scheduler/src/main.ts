/**
 * Runs the scheduler as its own process:
 *   node services/scheduler/src/main.ts [--host H] [--port P] [--cluster C] [--auth-key-file F]
 * with DATABASE_URL, NATS_URL and GANTRY_AUTH_KEY from the environment. Stops on SIGINT/SIGTERM.
 */
import { runServiceProcess, serviceEnvironment } from "@gantry/platform";
import { startScheduler } from "./start-scheduler.ts";

await runServiceProcess("scheduler", async (logger) => startScheduler({ ...(await serviceEnvironment(process.argv.slice(2), 7002)), logger }));
