import { Command } from "commander";
import { gantryHome, localClusterName } from "../client-config.ts";

/** `gantry down`: stops a cluster `gantry up` runs on this machine; `--purge` deletes its data too. */
export function downCommand(): Command {
  return new Command("down")
    .description("stop a cluster `gantry up` runs on this machine (its agents, tasks, control plane, PostgreSQL and NATS)")
    .option("--cluster <name>", "the cluster (default: GANTRY_CLUSTER, else the one local cluster, else gantry)")
    .option("--data-dir <dir>", "its data dir, when `gantry up` was given one and is no longer running")
    .option("--purge", "then delete its data dir, and its database and NATS streams on servers it did not start")
    .action(async (flags: { cluster?: string; dataDir?: string; purge?: boolean }) => {
      const launcher = await import("@gantry/launcher");
      const location = await launcher.locateCluster({ gantryHome: gantryHome(), cluster: flags.cluster ?? localClusterName(), dataDir: flags.dataDir });
      await launcher.stopCluster({ ...location, purge: flags.purge === true, out: process.stdout });
    });
}
