import { Command } from "commander";
import { appCommand } from "./commands/app.command.ts";
import { nodeCommand } from "./commands/node.command.ts";
import { taskCommand } from "./commands/task.command.ts";
import { upCommand } from "./commands/up.command.ts";
import { reportError } from "./output.ts";

/** Builds the `gantry` command line (commander). */
export function buildProgram(): Command {
  return new Command("gantry")
    .description("Gantry: run apps and pods on a cluster (Marathon 1.4 JSON)")
    .version("0.1.0")
    .showHelpAfterError()
    .addCommand(upCommand())
    .addCommand(appCommand())
    .addCommand(taskCommand())
    .addCommand(nodeCommand());
}

/** Runs the CLI with `argv`; resolves to the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err);
  }
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv);
}
