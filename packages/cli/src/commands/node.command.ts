import { Command } from "commander";
import { schedulerV1 } from "@gantry/proto";
import { messageJson, printJson, type OutputOptions } from "../output.ts";
import { renderTable } from "../render/table.ts";
import { withClient } from "./app.command.ts";

/** `gantry node …`: list agents with their free and total resources. */
export function nodeCommand(): Command {
  const node = new Command("node").description("inspect agents (nodes)");
  node
    .command("list")
    .description("list agents, their state and free/total resources")
    .option("--json", "print the result as JSON")
    .action(async (opts: OutputOptions) => {
      const result = await withClient((api) => api.scheduler.listAgents({}));
      if (opts.json) return printJson(messageJson(schedulerV1.ListAgentsResponseSchema, result));
      const rows = result.agents.map((a) => [
        a.agentId,
        a.hostname,
        a.active ? "active" : "lost",
        `${a.free?.cpus ?? 0}/${a.total?.cpus ?? 0}`,
        `${a.free?.mem ?? 0}/${a.total?.mem ?? 0}`,
        `${a.free?.gpus ?? 0}/${a.total?.gpus ?? 0}`,
        a.capabilities.join(","),
      ]);
      process.stdout.write(renderTable(["id", "hostname", "state", "cpus free/total", "mem free/total (MB)", "gpus", "isolation"], rows) + "\n");
    });
  return node;
}
