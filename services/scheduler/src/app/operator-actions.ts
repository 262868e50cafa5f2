import { create } from "@bufbuild/protobuf";
import { eventsV1Agent } from "@gantry/proto";
import { GantryError } from "@gantry/platform";
import type { Instance } from "../domain/index.ts";
import { CommandBatches, killCommands } from "./agent-commands.ts";
import { backoffChange, killRequest } from "./instance-events.ts";
import type { SchedulerContext } from "./scheduler.ts";

/**
 * What operators ask of the scheduler directly (leader only), each recorded in the log with the
 * caller's principal carried by the trace of the request: draining and undraining an agent,
 * ending a run spec's launch backoff, and killing instances.
 */

function knownAgent(ctx: SchedulerContext, agentId: string) {
  const agent = ctx.state.agents.get(agentId);
  if (!agent) throw new GantryError("NotFound", `agent ${agentId} is not known`, { details: { agentId } });
  return agent;
}

/** Maintenance: the agent takes no new instances; the ones it runs stay until told. Idempotent. */
export async function drainAgent(ctx: SchedulerContext, agentId: string, reason: string): Promise<void> {
  ctx.leading();
  const agent = knownAgent(ctx, agentId);
  if (agent.draining) return;
  const streamId = `agent-${agentId}`;
  await ctx.append([{ streamId, expectedVersion: ctx.state.versionOf(streamId), events: [{ schema: eventsV1Agent.AgentDrainedSchema, message: create(eventsV1Agent.AgentDrainedSchema, { agentId, reason }) }] }]);
  ctx.ports.logger.info({ agent: agentId, reason }, "agent draining");
}

/** The agent takes new instances again. Idempotent. */
export async function undrainAgent(ctx: SchedulerContext, agentId: string): Promise<void> {
  ctx.leading();
  const agent = knownAgent(ctx, agentId);
  if (!agent.draining) return;
  const streamId = `agent-${agentId}`;
  await ctx.append([{ streamId, expectedVersion: ctx.state.versionOf(streamId), events: [{ schema: eventsV1Agent.AgentUndrainedSchema, message: create(eventsV1Agent.AgentUndrainedSchema, { agentId }) }] }]);
  ctx.ports.logger.info({ agent: agentId }, "agent undrained");
  ctx.reconcileSoon();
}

/** Ends a waiting run spec's launch backoff now; NotFound when nothing of it waits (Marathon's message). */
export async function resetLaunchDelay(ctx: SchedulerContext, runSpecId: string): Promise<void> {
  ctx.leading();
  if (!ctx.state.explanations.get(runSpecId)) throw new GantryError("NotFound", `Application ${runSpecId} not found in tasks queue.`, { details: { appId: runSpecId } });
  if (ctx.state.backoff.has(runSpecId)) await ctx.append([backoffChange(ctx, runSpecId, undefined)]);
  ctx.state.dirty.add(runSpecId);
  ctx.reconcileSoon();
}

/** What a kill through the API found: the instances being killed, and the ids that name nothing live. */
export interface KilledInstances {
  instances: Instance[];
  unknownIds: string[];
}

/**
 * Kills the live instances that `ids` name (a task id of any of their tasks, or an instance id:
 * a pod's instance goes whole), in one transaction, then tells their agents. Instances already
 * being killed are reported but not killed again. They are replaced as any ended instance is
 * (a kill that also scales down is a deployment: the registry's KillAndScale).
 */
export async function killInstances(ctx: SchedulerContext, ids: readonly string[], reason: string): Promise<KilledInstances> {
  ctx.leading();
  const { state } = ctx;
  const found = new Map<string, Instance>();
  const unknownIds: string[] = [];
  for (const id of ids) {
    const inst = state.instanceOfTask(id) ?? state.instances.get(id);
    if (inst) found.set(inst.instanceId, inst);
    else unknownIds.push(id);
  }
  const toKill = [...found.values()].filter((i) => !i.killRequested);
  if (toKill.length > 0) {
    await ctx.append(toKill.map((inst) => killRequest(ctx, inst, reason)));
    const commands = new CommandBatches();
    for (const inst of toKill) commands.add(inst.agentId, ...killCommands(ctx, inst));
    commands.send(ctx);
    ctx.ports.logger.info({ instances: toKill.map((i) => i.instanceId), reason }, "instances killed through the API");
    for (const inst of toKill) state.dirty.add(inst.appId);
    ctx.reconcileSoon();
  }
  return { instances: [...found.values()].map((i) => state.instances.get(i.instanceId) ?? i), unknownIds };
}
