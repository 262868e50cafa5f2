import { Command } from "commander";
import { chooseCluster, CLUSTER_HELP } from "./client-config.ts";
import { appCommand } from "./commands/app.command.ts";
import { authCommand } from "./commands/auth.command.ts";
import { clusterCommand } from "./commands/cluster.command.ts";
import { deploymentCommand } from "./commands/deployment.command.ts";
import { doctorCommand } from "./commands/doctor.command.ts";
import { downCommand } from "./commands/down.command.ts";
import { eventsCommand } from "./commands/events.command.ts";
import { logCommand } from "./commands/log.command.ts";
import { groupCommand } from "./commands/group.command.ts";
import { iamCommand } from "./commands/iam.command.ts";
import { secretCommand } from "./commands/secret.command.ts";
import { nodeCommand } from "./commands/node.command.ts";
import { podCommand } from "./commands/pod.command.ts";
import { simCommand } from "./commands/sim.command.ts";
import { taskCommand } from "./commands/task.command.ts";
import { takeExecExitCode } from "./commands/exec.command.ts";
import { upCommand } from "./commands/up.command.ts";
import { reportError } from "./output.ts";

/** Builds the `gantry` command line (commander). */
export function buildProgram(): Command {
  return new Command("gantry")
    .description("Gantry: run apps and pods on a cluster (Marathon 1.4 JSON)")
    .version("0.1.0")
    .showHelpAfterError()
    // Options after a subcommand belong to it, so `gantry app show X --version V` is not the program's --version.
    .enablePositionalOptions()
    // Usage errors throw a CommanderError; runCli maps them to exit 2 (help and version to 0).
    .exitOverride()
    .option("--cluster <name>", "the local cluster to talk to (as `gantry up --cluster NAME` named it; also GANTRY_CLUSTER)")
    .addHelpText("after", `\n${CLUSTER_HELP}`)
    .hook("preAction", (program) => chooseCluster(program.opts<{ cluster?: string }>().cluster))
    .addCommand(upCommand())
    .addCommand(downCommand())
    .addCommand(doctorCommand())
    .addCommand(appCommand())
    .addCommand(podCommand())
    .addCommand(groupCommand())
    .addCommand(deploymentCommand())
    .addCommand(taskCommand())
    .addCommand(nodeCommand())
    .addCommand(eventsCommand())
    .addCommand(logCommand())
    .addCommand(authCommand())
    .addCommand(iamCommand())
    .addCommand(secretCommand())
    .addCommand(simCommand())
    .addCommand(clusterCommand());
}

/** Runs the CLI with `argv`; resolves to the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    // `task exec` / `pod exec` exit with their command's code.
    return takeExecExitCode();
  } catch (err) {
    return reportError(err);
  }
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv);
}
