import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { SingleNodeCluster } from "@gantry/launcher";
import type { RawAgentOptions } from "@gantry/agent";

/** A single-node cluster for one test file: its own database, cluster name, state dir and free port. */
export interface HarnessCluster extends SingleNodeCluster {
  databaseUrl: string;
  gantryHome: string;
  /** Environment for a CLI or client process aimed at this cluster. */
  clientEnv: NodeJS.ProcessEnv;
  /** Stops the cluster, deletes its streams, drops its database and removes its state dir. */
  destroy(): Promise<void>;
}

/**
 * Starts a single-node cluster exactly as `gantry up` does, isolated for one test file or
 * benchmark on the shared PostgreSQL and NATS: database `t_<prefix>_<random>`, cluster name
 * `t-<random>`, gateway on a free loopback port. Logs go to stderr at `GANTRY_LOG_LEVEL`
 * (default "warn" here, so test output stays readable).
 */
export async function startHarnessCluster(options: { prefix?: string; agent?: RawAgentOptions | false } = {}): Promise<HarnessCluster> {
  // Loaded here, not at the top: tests of single packages import this harness for its waits
  // and must not load (or depend on the state of) the whole control plane.
  const [{ connect }, { createLogger, infrastructureUrls }, { createTestCluster, createTestDatabase }, { startSingleNodeCluster }] = await Promise.all([
    import("@nats-io/transport-node"),
    import("@gantry/platform"),
    import("@gantry/platform/testing"),
    import("@gantry/launcher"),
  ]);
  const database = await createTestDatabase(options.prefix ?? "e2e");
  const testCluster = createTestCluster();
  const gantryHome = await mkdtemp(path.join(tmpdir(), "gantry-e2e-"));
  const { natsUrl } = infrastructureUrls();
  let cluster: SingleNodeCluster;
  try {
    cluster = await startSingleNodeCluster({
      databaseUrl: database.url,
      natsUrl,
      cluster: testCluster.names.cluster,
      host: "127.0.0.1",
      port: 0,
      gantryHome,
      agent: options.agent === false ? false : { cpus: 4, mem: 4096, disk: 10_000, ...options.agent },
      logger: createLogger("gantry", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" }),
    });
  } catch (err) {
    await database.drop();
    await dropHarnessLogsDatabase(database.url);
    await rm(gantryHome, { recursive: true, force: true });
    throw err;
  }
  return {
    ...cluster,
    databaseUrl: database.url,
    gantryHome,
    clientEnv: { ...process.env, GANTRY_URL: cluster.url, GANTRY_TOKEN: cluster.token, GANTRY_HOME: gantryHome, GANTRY_CLUSTER: cluster.cluster },
    async destroy() {
      await cluster.stop();
      const nc = await connect({ servers: natsUrl });
      await testCluster.cleanup(nc).finally(() => nc.close());
      await database.drop();
      await dropHarnessLogsDatabase(database.url);
      await rm(gantryHome, { recursive: true, force: true });
    },
  };
}

/** Drops the logs service's database beside a test cluster's (`<database>_logs`). */
async function dropHarnessLogsDatabase(databaseUrl: string): Promise<void> {
  const { dropLogsDatabase, logsDatabaseUrlOf } = await import("@gantry/logs");
  await dropLogsDatabase(logsDatabaseUrlOf(databaseUrl));
}
