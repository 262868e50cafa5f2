import { create } from "@bufbuild/protobuf";
import { eventsV1Agent } from "@gantry/proto";
import { GantryError } from "@gantry/platform";
import { backoffChange } from "./instance-events.ts";
import type { SchedulerContext } from "./scheduler.ts";

/**
 * What operators ask of the scheduler directly (leader only), each recorded in the log with the
 * caller's principal carried by the trace of the request: draining and undraining an agent, and
 * ending a run spec's launch backoff.
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
