import type { Command } from "commander";
import { schedulerV1, type schedulerV1Model } from "@gantry/proto";
import { printResult, type OutputOptions } from "../output.ts";
import { renderAgents } from "../render/agents.ts";
import { commandGroup, withClient, withJson } from "./command-kit.ts";
import { addNodeMetricsCommand } from "./metrics.command.ts";
import { addNodeLogCommand } from "./log.command.ts";

const EXAMPLES = `Draining is maintenance: a draining agent takes no new instances, and those it runs stay
until they are told to stop (scale, restart or remove them); undrain ends it.

Examples:
  gantry node list
  gantry node drain sim-3 --reason "disk replacement"
  gantry node undrain sim-3`;

/** `<id> (<hostname>)`, or just the id when the scheduler gave no agent back. */
function named(agentId: string, agent: schedulerV1Model.Agent | undefined): string {
  return agent?.hostname && agent.hostname !== agentId ? `${agentId} (${agent.hostname})` : agentId;
}

/** `gantry node …`: list agents with their state and resources; drain and undrain them. */
export function nodeCommand(): Command {
  const node = commandGroup("node", "inspect agents (nodes) and put them in or out of maintenance", EXAMPLES);
  withJson(node.command("list").alias("ls").description("list agents, their state (active, draining, lost) and free/total resources; --json has every field")).action(
    async (opts: OutputOptions) => {
      const result = await withClient((api) => api.scheduler.listAgents({}));
      printResult(opts, schedulerV1.ListAgentsResponseSchema, result, () => renderAgents(result.agents));
    },
  );

  withJson(
    node
      .command("drain")
      .description("put an agent in maintenance: no new instances are placed on it; those it runs stay")
      .argument("<agentId>", "agent id (see `gantry node list`)")
      .option("--reason <text>", "why, recorded with the drain"),
  ).action(async (agentId: string, opts: OutputOptions & { reason?: string }) => {
    const result = await withClient((api) => api.scheduler.drainAgent({ agentId, reason: opts.reason ?? "" }));
    printResult(opts, schedulerV1.DrainAgentResponseSchema, result, () => `draining ${named(agentId, result.agent)}: no new instances; the ones it runs stay`);
  });

  withJson(node.command("undrain").description("end an agent's maintenance: it takes new instances again").argument("<agentId>", "agent id")).action(
    async (agentId: string, opts: OutputOptions) => {
      const result = await withClient((api) => api.scheduler.undrainAgent({ agentId }));
      printResult(opts, schedulerV1.UndrainAgentResponseSchema, result, () => `undrained ${named(agentId, result.agent)}: it takes new instances again`);
    },
  );
  addNodeMetricsCommand(node);
  addNodeLogCommand(node);
  return node;
}
