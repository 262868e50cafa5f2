import { create } from "@bufbuild/protobuf";
import { agentV1, eventsV1Agent } from "@gantry/proto";
import type { Instance } from "../domain/index.ts";
import { CommandBatches, killCommands, killTaskCommand, launchInstanceCommand } from "./agent-commands.ts";
import { statusChange } from "./instance-events.ts";
import type { OutgoingEvent, StreamBatch } from "./ports.ts";
import type { SchedulerContext } from "./scheduler.ts";

/**
 * Agents' membership, one of the scheduler's inputs: registrations, heartbeats and the check that
 * declares silent agents lost. Only a leader takes them (the standby has no subscriptions).
 */

function agentEvent(ctx: SchedulerContext, agentId: string, event: OutgoingEvent): StreamBatch {
  const streamId = `agent-${agentId}`;
  return { streamId, expectedVersion: ctx.state.versionOf(streamId), events: [event] };
}

/** Records a registration (or re-registration) and answers it with this leader's epoch and heartbeat interval. */
export async function onRegistration(ctx: SchedulerContext, reg: agentV1.AgentRegistration): Promise<agentV1.AgentRegistered> {
  const { epoch, logId } = ctx.leading();
  await ctx.append([agentEvent(ctx, reg.agentId, { schema: eventsV1Agent.AgentRegisteredSchema, message: create(eventsV1Agent.AgentRegisteredSchema, { registration: reg }) })]);
  ctx.ports.logger.info({ agent: reg.agentId, hostname: reg.hostname, capabilities: reg.capabilities }, "agent registered");
  ctx.reconcileSoon();
  return create(agentV1.AgentRegisteredSchema, { agentId: reg.agentId, heartbeatIntervalSeconds: ctx.settings.heartbeatIntervalSeconds, epoch, logId });
}

/**
 * Notes a heartbeat and repairs what it shows, looking only at that agent's instances: an agent
 * declared lost is back (AgentReturned, in the log); tasks it runs that the scheduler does not
 * want (unknown or ended) are killed; kills not acted on are sent again; a launch it runs whose
 * RUNNING report was lost is recorded; launches that never arrived are sent again.
 */
export async function onHeartbeat(ctx: SchedulerContext, hb: agentV1.AgentHeartbeat, seenAt: number): Promise<void> {
  ctx.leading();
  const { state, settings, ports } = ctx;
  const agent = state.agents.get(hb.agentId);
  if (!agent) return;
  agent.lastSeenAt = Math.max(agent.lastSeenAt, seenAt);
  const appends: StreamBatch[] = [];
  if (!agent.active) {
    appends.push(agentEvent(ctx, agent.agentId, { schema: eventsV1Agent.AgentReturnedSchema, message: create(eventsV1Agent.AgentReturnedSchema, { agentId: agent.agentId }) }));
    ports.logger.info({ agent: agent.agentId }, "agent is back");
  }
  const running = new Set(hb.runningTaskIds);
  const now = ports.now();
  const resend = new CommandBatches();
  const reportedRunning: Instance[] = [];
  for (const taskId of running) {
    const inst = state.instanceOfTask(taskId);
    if (!inst || inst.agentId !== hb.agentId) resend.add(hb.agentId, killTaskCommand(ctx, { taskId, appId: inst?.appId ?? "" }));
  }
  for (const inst of state.instancesOn(hb.agentId)) {
    if (now - inst.updatedAt <= settings.relaunchAfterSeconds * 1000) continue;
    if (inst.killRequested) resend.add(hb.agentId, ...killCommands(ctx, inst));
    else if (inst.state === "TASK_STAGING" && !inst.pod && running.has(inst.taskId)) reportedRunning.push(inst);
    else if (inst.state === "TASK_STAGING") {
      const known = state.runSpecs.get(inst.appId);
      if (known && known.demand.configVersion === inst.appVersion) resend.add(hb.agentId, launchInstanceCommand(known.spec, inst));
    }
  }
  if (resend.agents > 0) {
    ports.logger.warn({ agent: hb.agentId }, "re-sending commands the agent has not acted on");
    resend.send(ctx);
  }
  appends.push(...reportedRunning.map((inst) => statusChange(ctx, inst, { state: "TASK_RUNNING", message: "reported running by the agent's heartbeat" })));
  if (appends.length > 0) {
    await ctx.append(appends);
    ctx.reconcileSoon();
  }
}

/**
 * Declares agents lost when they missed their heartbeats, and with them their tasks (TASK_LOST,
 * in the same transaction), so that reconciliation replaces the instances and their resources
 * stop counting.
 */
export async function checkAgents(ctx: SchedulerContext): Promise<void> {
  const { state, settings, ports } = ctx;
  const now = ports.now();
  const deadline = now - settings.heartbeatIntervalSeconds * settings.missedHeartbeatsBeforeLost * 1000;
  for (const agent of state.agents.values()) {
    if (!agent.active || agent.lastSeenAt >= deadline) continue;
    const reason = `no heartbeat for ${Math.round((now - agent.lastSeenAt) / 1000)} s`;
    const lost = [...state.instancesOn(agent.agentId)];
    await ctx.append([
      agentEvent(ctx, agent.agentId, { schema: eventsV1Agent.AgentLostSchema, message: create(eventsV1Agent.AgentLostSchema, { agentId: agent.agentId, reason }) }),
      ...lost.map((inst) => statusChange(ctx, inst, { state: "TASK_LOST", message: `agent ${agent.agentId} lost: ${reason}` })),
    ]);
    ports.logger.warn({ agent: agent.agentId, reason, tasksLost: lost.length }, "agent lost");
    if (lost.length > 0) ctx.reconcileSoon();
  }
}
