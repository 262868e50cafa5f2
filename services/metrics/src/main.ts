/**
 * Runs the metrics service as its own process:
 *   node services/metrics/src/main.ts [--host H] [--port P] [--cluster C] [--auth-key-file F]
 * with NATS_URL, GANTRY_CLUSTER, GANTRY_AUTH_KEY from the environment (default port 7005), and
 * GANTRY_METRICS_DATA_DIR (default ~/.gantry/<cluster>/metrics), GANTRY_METRICS_PERSIST_MS
 * (default 10000), GANTRY_METRICS_MAX_SERIES (default 1000000). Stops on SIGINT/SIGTERM.
 */
import { GantryError, runServiceProcess, serviceEnvironment } from "@gantry/platform";
import { startMetrics } from "./start-metrics.ts";

await runServiceProcess("metrics", async (logger) => {
  const env = await serviceEnvironment(process.argv.slice(2), 7005);
  const positive = (name: string): number | undefined => {
    const raw = process.env[name];
    if (raw === undefined || raw === "") return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new GantryError("InvalidArgument", `${name}=${raw}: expected a positive integer`);
    return n;
  };
  const persistIntervalMs = positive("GANTRY_METRICS_PERSIST_MS");
  const maxSeries = positive("GANTRY_METRICS_MAX_SERIES");
  return startMetrics({
    ...env,
    logger,
    ...(process.env.GANTRY_METRICS_DATA_DIR ? { dataDir: process.env.GANTRY_METRICS_DATA_DIR } : {}),
    ...(persistIntervalMs ? { persistIntervalMs } : {}),
    ...(maxSeries ? { store: { maxSeries } } : {}),
  });
});
