import { create } from "@bufbuild/protobuf";
import { agentV1, eventsV1Agent } from "@gantry/proto";
import { CommandBatches, killCommands, killTaskCommand, launchInstanceCommand } from "./agent-commands.ts";
import { DecisionBuilder } from "./decision-builder.ts";
import { everyTaskChange, statusChange } from "./instance-events.ts";
import type { OutgoingEvent, StreamBatch } from "./ports.ts";
import type { AgentNode } from "../domain/index.ts";
import type { SchedulerContext, SchedulerSettings } from "./scheduler.ts";

/**
 * Agents' membership, one of the scheduler's inputs: registrations, heartbeats and the check that
 * declares silent agents lost. Only a leader takes them (the standby has no subscriptions).
 */

function agentEvent(ctx: SchedulerContext, agentId: string, event: OutgoingEvent): StreamBatch {
  const streamId = `agent-${agentId}`;
  return { streamId, expectedVersion: ctx.state.versionOf(streamId), events: [event] };
}

/**
 * The heartbeat interval to ask of an agent joining a cluster of `agents`: the base interval,
 * longer once the cluster is large enough that the base would exceed maxHeartbeatsPerSecond
 * (5,000 agents at 250/s beat every 20 s; Nomad scales its heartbeat TTL the same way).
 */
export function heartbeatIntervalFor(agents: number, settings: Pick<SchedulerSettings, "heartbeatIntervalSeconds" | "maxHeartbeatsPerSecond">): number {
  return Math.max(settings.heartbeatIntervalSeconds, Math.ceil(agents / settings.maxHeartbeatsPerSecond));
}

/** How long an agent may stay silent before it is lost: its own interval, times the misses allowed. */
function silenceAllowedMs(agent: AgentNode, settings: SchedulerSettings): number {
  return (agent.heartbeatIntervalSeconds || settings.heartbeatIntervalSeconds) * settings.missedHeartbeatsBeforeLost * 1000;
}

/**
 * Records registrations (or re-registrations), all in ONE transaction, and answers each with this
 * leader's epoch and heartbeat interval (only once it is recorded: a deposed leader answers none).
 */
export async function onRegistrations(ctx: SchedulerContext, registrations: readonly agentV1.AgentRegistration[]): Promise<agentV1.AgentRegistered[]> {
  const { epoch, logId } = ctx.leading();
  const joining = new Set(registrations.map((r) => r.agentId).filter((id) => !ctx.state.agents.has(id)));
  const heartbeatIntervalSeconds = heartbeatIntervalFor(ctx.state.agents.size + joining.size, ctx.settings);
  const decision = new DecisionBuilder();
  for (const reg of registrations) decision.add(agentEvent(ctx, reg.agentId, { schema: eventsV1Agent.AgentRegisteredSchema, message: create(eventsV1Agent.AgentRegisteredSchema, { registration: reg, heartbeatIntervalSeconds }) }));
  await ctx.append(decision.batches());
  for (const reg of registrations) ctx.ports.logger.info({ agent: reg.agentId, hostname: reg.hostname, capabilities: reg.capabilities }, "agent registered");
  ctx.reconcileSoon();
  return registrations.map((reg) => create(agentV1.AgentRegisteredSchema, { agentId: reg.agentId, heartbeatIntervalSeconds, epoch, logId }));
}

/** A heartbeat and when it arrived. */
export interface ReceivedHeartbeat {
  hb: agentV1.AgentHeartbeat;
  seenAt: number;
}

/**
 * Repairs what a batch of heartbeats shows (the latest of each agent), looking only at each
 * agent's instances: an agent declared lost is back (AgentReturned, in the log), and its
 * unreachable instances run again (all their tasks run there) or were lost; tasks it runs
 * that the scheduler does not want (unknown, ended or expunged) are killed; kills not acted on are sent
 * again; a launch it runs whose RUNNING report was lost is recorded; launches that never arrived
 * are sent again. Whatever must be recorded is written in ONE transaction.
 */
export async function onHeartbeats(ctx: SchedulerContext, heartbeats: readonly ReceivedHeartbeat[]): Promise<void> {
  ctx.leading();
  const { state, settings, ports } = ctx;
  const decision = new DecisionBuilder();
  const resend = new CommandBatches();
  const now = ports.now();
  let returned = false;
  for (const { hb, seenAt } of heartbeats) {
    const agent = state.agents.get(hb.agentId);
    if (!agent) continue;
    agent.lastSeenAt = Math.max(agent.lastSeenAt, seenAt);
    if (!agent.active) {
      decision.add(agentEvent(ctx, agent.agentId, { schema: eventsV1Agent.AgentReturnedSchema, message: create(eventsV1Agent.AgentReturnedSchema, { agentId: agent.agentId }) }));
      ports.logger.info({ agent: agent.agentId }, "agent is back");
      returned = true;
    }
    const running = new Set(hb.runningTaskIds);
    for (const inst of state.instancesOn(hb.agentId)) {
      if (inst.state !== "TASK_UNREACHABLE") continue;
      // Its agent is back: what still runs there counts again (a surplus is killed by the next
      // pass); what does not was lost while it was away.
      if (inst.tasks.every((t) => running.has(t.taskId))) decision.add(everyTaskChange(ctx, inst, { state: "TASK_RUNNING", message: `running again: agent ${hb.agentId} is back` }));
      else decision.add(everyTaskChange(ctx, inst, { state: "TASK_LOST", message: `not running on agent ${hb.agentId} when it came back`, reason: "REASON_AGENT_REMOVED" }));
      state.dirty.add(inst.appId);
    }
    for (const taskId of running) {
      const inst = state.instanceOfTask(taskId);
      if (!inst || inst.agentId !== hb.agentId) resend.add(hb.agentId, killTaskCommand(ctx, { taskId, appId: inst?.appId ?? "" }));
    }
    for (const inst of state.instancesOn(hb.agentId)) {
      if (inst.state === "TASK_UNREACHABLE" || now - inst.updatedAt <= settings.relaunchAfterSeconds * 1000) continue;
      if (inst.killRequested) resend.add(hb.agentId, ...killCommands(ctx, inst));
      else if (inst.state === "TASK_STAGING" && !inst.pod && running.has(inst.taskId)) decision.add(statusChange(ctx, inst, { state: "TASK_RUNNING", message: "reported running by the agent's heartbeat" }));
      else if (inst.state === "TASK_STAGING") {
        const known = state.runSpecs.get(inst.appId);
        if (known && known.demand.configVersion === inst.appVersion) resend.add(hb.agentId, launchInstanceCommand(known.spec, inst));
      }
    }
  }
  if (resend.agents > 0) {
    ports.logger.warn({ agents: resend.agents }, "re-sending commands agents have not acted on");
    resend.send(ctx);
  }
  if (decision.size > 0) {
    await ctx.append(decision.batches());
    ctx.reconcileSoon();
  } else if (returned) ctx.reconcileSoon();
}

/**
 * Declares agents lost when they missed their heartbeats, in the same transaction as what that
 * does to their instances: those being killed are lost (TASK_LOST); the others become
 * unreachable (every task TASK_UNREACHABLE), waited for as their app's unreachableStrategy says
 * (the reconciler replaces them after inactiveAfterSeconds and expunges them after
 * expungeAfterSeconds).
 */
export async function checkAgents(ctx: SchedulerContext): Promise<void> {
  const { state, settings, ports } = ctx;
  const now = ports.now();
  for (const agent of state.agents.values()) {
    if (!agent.active || agent.lastSeenAt >= now - silenceAllowedMs(agent, settings)) continue;
    const reason = `no heartbeat for ${Math.round((now - agent.lastSeenAt) / 1000)} s`;
    const instances = [...state.instancesOn(agent.agentId)];
    await ctx.append([
      agentEvent(ctx, agent.agentId, { schema: eventsV1Agent.AgentLostSchema, message: create(eventsV1Agent.AgentLostSchema, { agentId: agent.agentId, reason }) }),
      ...instances.map((inst) =>
        inst.killRequested
          ? everyTaskChange(ctx, inst, { state: "TASK_LOST", message: `agent ${agent.agentId} lost while the task was being killed: ${reason}`, reason: "REASON_AGENT_REMOVED" })
          : everyTaskChange(ctx, inst, { state: "TASK_UNREACHABLE", message: `agent ${agent.agentId} unreachable: ${reason}`, reason: "REASON_AGENT_REMOVED" }),
      ),
    ]);
    ports.logger.warn({ agent: agent.agentId, reason, instances: instances.length }, "agent lost");
    for (const inst of instances) state.dirty.add(inst.appId);
    if (instances.length > 0) ctx.reconcileSoon();
  }
}
