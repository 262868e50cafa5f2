import type { Command } from "commander";
import { schedulerV1 } from "@gantry/proto";
import { printResult, type OutputOptions } from "../output.ts";
import { renderTable } from "../render/table.ts";
import { commandGroup, withClient, withJson } from "./command-kit.ts";

/** `gantry node …`: list agents with their free and total resources. */
export function nodeCommand(): Command {
  const node = commandGroup("node", "inspect agents (nodes)");
  withJson(node.command("list").alias("ls").description("list agents, their state and free/total resources")).action(async (opts: OutputOptions) => {
    const result = await withClient((api) => api.scheduler.listAgents({}));
    printResult(opts, schedulerV1.ListAgentsResponseSchema, result, () => {
      const rows = result.agents.map((a) => [
        a.agentId,
        a.hostname,
        a.active ? "active" : "lost",
        `${a.free?.cpus ?? 0}/${a.total?.cpus ?? 0}`,
        `${a.free?.mem ?? 0}/${a.total?.mem ?? 0}`,
        `${a.free?.gpus ?? 0}/${a.total?.gpus ?? 0}`,
        a.capabilities.join(","),
      ]);
      return renderTable(["id", "hostname", "state", "cpus free/total", "mem free/total (MB)", "gpus", "isolation"], rows);
    });
  });
  return node;
}
