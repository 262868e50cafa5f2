import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { clusterNames, deleteClusterStreams, GantryError } from "@gantry/platform";
import { removeClusterFile } from "./cluster-file.ts";
import { dataDirLayout } from "./data-dir.ts";
import { dropDatabase } from "./infrastructure/cluster-database.ts";
import { readInfrastructureRecord } from "./infrastructure/infrastructure-record.ts";
import { runningLauncherPid } from "./processes/pid-file.ts";
import { waitForExit } from "./processes/pids.ts";
import { createProgress } from "./progress.ts";

/** What `gantry down` stops, and whether it deletes the cluster's data too. */
export interface StopOptions {
  cluster: string;
  dataDir: string;
  clusterFile: string;
  purge: boolean;
  /** Progress lines. */
  out: NodeJS.WritableStream;
  /** How long the launcher may take to stop its agents, tasks and servers (default 90 s). */
  timeoutMs?: number;
}

/**
 * Stops the launcher of `dataDir` (SIGTERM, then waits for it to exit: it stops agents and their
 * tasks, the control plane and its servers first). With `purge`, then deletes the data dir and,
 * where the cluster ran on servers it does not own, its database (when the launcher named it,
 * `gantry_<cluster>`) and its NATS streams. Fails with FailedPrecondition when the launcher
 * does not exit in time, or when `dataDir` does not look like a data dir (nothing is deleted then).
 */
export async function stopCluster(options: StopOptions): Promise<void> {
  const layout = dataDirLayout(options.dataDir);
  const progress = createProgress(options.out);
  const pid = runningLauncherPid(layout.pidFile);
  if (pid === undefined) {
    progress.note(`cluster "${options.cluster}" is not running (no live pid in ${layout.pidFile})`);
  } else {
    const timeoutMs = options.timeoutMs ?? 90_000;
    await progress.step(`stopping cluster "${options.cluster}" (pid ${pid})`, async () => {
      process.kill(pid, "SIGTERM");
      if (!(await waitForExit(pid, timeoutMs))) {
        throw new GantryError("FailedPrecondition", `gantry (pid ${pid}) did not stop within ${timeoutMs / 1000} s; see ${layout.logFile}, or end it with \`kill -9 ${pid}\` (its PostgreSQL, NATS and agents may then need ending too)`);
      }
    });
  }
  if (!options.purge) return;
  if (!existsSync(layout.root)) {
    progress.note(`nothing to purge: ${layout.root} does not exist`);
    return;
  }
  if (!existsSync(layout.infrastructure) && !existsSync(layout.authKey)) {
    throw new GantryError("FailedPrecondition", `${layout.root} does not look like a Gantry data dir (it has neither infrastructure.json nor auth.key): not deleting it`);
  }
  const record = await readInfrastructureRecord(layout.infrastructure);
  if (record && !record.database.own) {
    if (record.database.derived) {
      await progress.step(`dropping database ${record.database.name} at ${new URL(record.database.url).host}`, () => dropDatabase(record.database));
    } else {
      progress.note(`keeping database ${record.database.name}: DATABASE_URL named it, so it is not Gantry's to drop`);
    }
  }
  if (record && !record.nats.own) {
    await progress.step(`deleting the NATS streams of cluster "${options.cluster}" at ${new URL(record.nats.url).host}`, async () => {
      const nc = await connect({ servers: record.nats.url, timeout: 5_000, reconnect: false });
      try {
        await deleteClusterStreams({ jsm: await jetstreamManager(nc), names: clusterNames(options.cluster) });
      } finally {
        await nc.close();
      }
    });
  }
  await progress.step(`deleting ${layout.root}`, async () => {
    await rm(layout.root, { recursive: true, force: true });
    await removeClusterFile(options.clusterFile);
  });
}
