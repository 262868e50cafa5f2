/**
 * Runs the scheduler as its own process:
 *   node services/scheduler/src/main.ts [--host H] [--port P] [--cluster C] [--auth-key-file F]
 * with DATABASE_URL, NATS_URL and GANTRY_AUTH_KEY from the environment, and the placement policy
 * from GANTRY_PLACEMENT_SCORING (binpack|spread) and GANTRY_GPU_AGENTS (reserved|shared).
 * Stops on SIGINT/SIGTERM.
 */
import { runServiceProcess, serviceEnvironment } from "@gantry/platform";
import { placementPolicyFromEnv } from "./placement-policy.ts";
import { startScheduler } from "./start-scheduler.ts";

await runServiceProcess("scheduler", async (logger) =>
  startScheduler({ ...(await serviceEnvironment(process.argv.slice(2), 7002)), logger, settings: { placement: placementPolicyFromEnv(process.env) } }),
);
