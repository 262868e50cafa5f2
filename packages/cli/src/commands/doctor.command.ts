import { Command } from "commander";
import { GantryError } from "@gantry/platform";
import { gantryHome, localClusterName } from "../client-config.ts";

/** `gantry doctor`: one line per part of a local cluster, ok or FAIL with what to do; exit 1 when any fails. */
export function doctorCommand(): Command {
  return new Command("doctor")
    .description("check a cluster `gantry up` runs here: data dir, PostgreSQL, NATS with JetStream, gateway, leading scheduler, agents")
    .option("--cluster <name>", "the cluster (default: GANTRY_CLUSTER, else the one local cluster, else gantry)")
    .option("--data-dir <dir>", "its data dir, when `gantry up` was given one")
    .action(async (flags: { cluster?: string; dataDir?: string }) => {
      const launcher = await import("@gantry/launcher");
      const location = await launcher.locateCluster({ gantryHome: gantryHome(), cluster: flags.cluster ?? localClusterName(), dataDir: flags.dataDir });
      const checks = await launcher.runDoctor({ ...location, env: process.env });
      process.stdout.write(`cluster "${location.cluster}", data dir ${location.dataDir}\n`);
      for (const check of checks) process.stdout.write(launcher.formatDoctorCheck(check) + "\n");
      const failed = checks.filter((c) => !c.ok).length;
      if (failed > 0) throw new GantryError("FailedPrecondition", `${failed} of ${checks.length} checks failed`);
    });
}
